// Reads a model folder: config.json, safetensors (single or sharded), GGUF and PyTorch pickles
// (never read). The async part reads headers and the norm tensors (ranged reads only) into a
// ModelFolder (folder-model.ts); the rules then run synchronously over it, each a plain check.
import { buildConfigFile, type ConfigFile, type ConfigScope } from "./config-model";
import { type CheckpointFile, type CodeModule, mainNormClasses, type ModelFolder, normPathRegex, type NormTensor, scaleParam } from "./folder-model";
import { type ByteSource, mapBounded, NORM_READS_IN_FLIGHT } from "./io";
import { type Family, family as familyOf } from "./knowledge/index";
import { familyForGgufArch } from "./knowledge/layouts";
import { detectLayout, groupOf, readNormGroups } from "./layout";
import { decodeText, nodeValue, parseJson } from "./parsers/json";
import { readGgufHeader, readGgufTensor } from "./parsers/gguf";
import { readParamsJson } from "./params-json";
import { readSafetensorsHeader, readTensor, type SafetensorsHeader } from "./parsers/safetensors";
import { checkShardIndex } from "./parsers/safetensors-index";
import { RULES } from "./registry";
import type { FolderRuleContext } from "./rule";
import { runRules } from "./runner";
import type { FileSettings } from "./settings";
import type { Finding } from "./types";
import { classifyOffsetEncoding, tensorStats } from "./weights/norm-stats";
import { table } from "./util/text";

const FOLDER_RULES = RULES.filter((r) => r.input === "folder");

export interface FolderFile {
  path: string;
  source: ByteSource;
}

export interface ModelFolderInput {
  /** Display path of the folder. */
  dir: string;
  config?: { path: string; bytes: Uint8Array };
  index?: { path: string; bytes: Uint8Array };
  /** Meta's params.json, when the folder has one beside config.json. */
  params?: { path: string; bytes: Uint8Array };
  safetensors: FolderFile[];
  gguf: FolderFile[];
  /** PyTorch pickles (.bin, .pt, .pth, .ckpt): listed, never read. */
  pickles: string[];
  /** Names of the folder's other files, for layout markers (mlx-lm's legacy `weights.npz`). */
  files?: string[];
  /** Total bytes of norm tensors to read for statistics (default 64 MiB). */
  maxNormBytes?: number;
  /**
   * Modeling code in the folder (`*.py`, notebooks), as analysed by lintPython/lintNotebook. For a
   * notebook `text` is the module text its cells make (the analysis's offsets refer to it).
   */
  code?: CodeModule[];
}

/** Text-model family: for a composite, the family of its text sub-config. */
function textFamily(config: ConfigFile | null): { family?: Family; values: Record<string, unknown>; scope?: ConfigScope } {
  const root = config?.scopes[0];
  if (!root?.family || !config) return { family: root?.family, values: {} };
  const all = nodeValue(config.doc, root.node) as Record<string, unknown>;
  const textKey = root.family.sub && Object.keys(root.family.sub).find((k) => /text|language|llm/.test(k));
  if (textKey) {
    const sub = config.scopes.find((s) => s.parent === root && s.path === textKey);
    const fam = sub?.family ?? (root.family.sub?.[textKey] ? familyOf(root.family.sub[textKey]!) : undefined);
    const values = sub ? (nodeValue(config.doc, sub.node) as Record<string, unknown>) : all;
    // A composite whose own classes carry the text norms (gemma3) keeps its own facts.
    return { family: fam ?? root.family, values, scope: sub ?? root };
  }
  return { family: root.family, values: all, scope: root };
}

const GGUF_ARCH_ALIASES: Record<string, string> = table({ command_r: "cohere", "gpt-neox": "gpt_neox", phi2: "phi", starcoder: "gpt_bigcode" });

/** Reads headers and the main norm tensors of a folder. Never throws on bad input. */
export async function readModelFolder(input: ModelFolderInput): Promise<ModelFolder> {
  let configText = "";
  let config: ConfigFile | null = null;
  if (input.config) {
    const decoded = decodeText(input.config.bytes);
    if (decoded.ok) {
      configText = decoded.text;
      config = buildConfigFile(parseJson(configText));
    }
  }
  const { family: fam, values, scope: textScope } = textFamily(config);
  const mt = config?.scopes[0]?.modelTypeNode;
  const anchor = input.config
    ? { file: input.config.path, range: mt ? { start: mt.offset, end: mt.offset + mt.length } : { start: 0, end: 0 } }
    : { file: input.safetensors[0]?.path ?? input.gguf[0]?.path ?? input.dir, range: { start: 0, end: 0 } };

  const checkpoints: CheckpointFile[] = [];
  const tensorShapes = new Map<string, { shape: number[]; file: string }>();
  for (const f of input.safetensors) {
    const r = await readSafetensorsHeader(f.source);
    checkpoints.push({ path: f.path, kind: "safetensors", problems: r.ok ? [] : r.problems, safetensors: r.ok ? r.header : undefined });
    if (r.ok) for (const t of r.header.tensors) if (!tensorShapes.has(t.name)) tensorShapes.set(t.name, { shape: t.shape, file: f.path });
  }
  for (const f of input.gguf) {
    const r = await readGgufHeader(f.source);
    checkpoints.push({ path: f.path, kind: "gguf", problems: r.ok ? [] : r.problems, gguf: r.ok ? r.header : undefined });
  }

  let index: ModelFolder["index"];
  if (input.index) {
    const text = new TextDecoder().decode(input.index.bytes);
    const headers = new Map<string, SafetensorsHeader | undefined>();
    for (const f of input.safetensors) headers.set(f.path.split("/").pop()!, checkpoints.find((c) => c.path === f.path)?.safetensors);
    index = { path: input.index.path, text, result: checkShardIndex(text, headers) };
  }

  // The main norm tensors: from safetensors when there are any, else from the first GGUF.
  const normTensors: NormTensor[] = [];
  let budget = input.maxNormBytes ?? 64 * 1024 * 1024;
  let capped = false;
  let fromGguf = false;
  let statsFamily = fam;
  const st = checkpoints.filter((c) => c.safetensors);
  if (st.length && fam) {
    const patterns = mainNormClasses(fam).flatMap((c) => c.at.map((a) => normPathRegex(a, scaleParam(c))));
    const except = fam.gguf?.except ?? [];
    for (const c of st) {
      const src = input.safetensors.find((f) => f.path === c.path)!.source;
      const picked: SafetensorsHeader["tensors"] = [];
      for (const t of c.safetensors!.tensors) {
        // MTP-head and vision-tower layers reuse the trunk's module names: they are read as their own groups.
        if (!patterns.some((p) => p.test(t.name)) || except.some((e) => t.name.endsWith(e)) || (groupOf(t.name) ?? "trunk") !== "trunk") continue;
        const bytes = t.end - t.begin;
        if (bytes > budget) {
          capped = true;
          continue;
        }
        budget -= bytes;
        picked.push(t);
      }
      // Several reads in flight: over HTTP (a Hub repository) each is a round trip, and a model has
      // hundreds of norms; the results keep the header's order.
      const reads = await mapBounded(picked, NORM_READS_IN_FLIGHT, (t) => readTensor(src, c.safetensors!, t.name));
      picked.forEach((t, i) => {
        const read = reads[i];
        if (!read.ok) {
          // The header was valid when read, so a tensor that cannot be read now was cut off or
          // replaced meanwhile (or the disk failed): say so (NL301) instead of computing without it.
          if (read.reason === "truncated" || read.reason === "read-error") c.problems.push({ code: "read-error", message: read.message, offset: c.safetensors!.dataStart + t.begin });
          budget += t.end - t.begin;
          return;
        }
        normTensors.push({ name: t.name, file: c.path, shape: t.shape, stats: tensorStats(t.name, read.data) });
      });
    }
  } else {
    const g = checkpoints.find((c) => c.gguf);
    if (g?.gguf) {
      const arch = g.gguf.metadata.get("general.architecture")?.value;
      const archType = typeof arch === "string" ? GGUF_ARCH_ALIASES[arch] ?? arch : undefined;
      statsFamily = fam ?? (archType ? familyOf(archType) ?? familyOf(familyForGgufArch(archType) ?? "") : undefined);
      fromGguf = true;
      const src = input.gguf.find((f) => f.path === g.path)!.source;
      const header = g.gguf;
      const picked: typeof header.tensors = [];
      for (const t of header.tensors) {
        // llama.cpp names: blk.N.attn_norm.weight, output_norm.weight, blk.N.ffn_norm.weight...
        if (!/(^|\.)(attn_norm|ffn_norm|output_norm|post_attention_norm|post_ffw_norm|attn_post_norm|ffn_post_norm)\.weight$/.test(t.name)) continue;
        if (t.byteLength > budget) {
          capped = true;
          continue;
        }
        budget -= t.byteLength;
        picked.push(t);
      }
      const reads = await mapBounded(picked, NORM_READS_IN_FLIGHT, (t) => readGgufTensor(src, header, t.name));
      picked.forEach((t, i) => {
        const read = reads[i];
        if (!read.ok) {
          if (read.reason === "truncated" || read.reason === "read-error") g.problems.push({ code: "truncated", message: read.message, offset: header.dataStart + t.offset });
          budget += t.byteLength;
          return;
        }
        normTensors.push({ name: t.name, file: g.path, shape: [...t.dims].reverse(), stats: tensorStats(t.name, read.data) });
      });
    }
  }
  let offset = normTensors.length ? classifyOffsetEncoding(normTensors.map((n) => n.stats)) : undefined;
  // Storage layout and the norms outside the trunk (MTP head, vision tower, gated norms), by group.
  const layout = detectLayout(checkpoints, config?.scopes[0] ? (nodeValue(config.doc, config.scopes[0].node) as Record<string, unknown>) : {}, fromGguf, input.files);
  const sources = new Map([...input.safetensors, ...input.gguf].map((f) => [f.path, f.source]));
  const grouped = await readNormGroups(checkpoints, (p) => sources.get(p), layout, normTensors, offset, budget);
  if (grouped.capped) capped = true;
  if (!normTensors.length && grouped.trunk.length) {
    normTensors.push(...grouped.trunk);
    offset = classifyOffsetEncoding(normTensors.map((n) => n.stats));
  }
  return {
    layout,
    normGroups: grouped.groups,
    dir: input.dir,
    configPath: input.config?.path,
    configText,
    config,
    family: statsFamily,
    anchor,
    textConfig: values,
    textScope,
    code: input.code ?? [],
    checkpoints,
    tensorShapes,
    index,
    params: readParamsJson(input.params),
    pickles: input.pickles,
    normTensors,
    offset,
    fromGguf,
    normBytesCapped: capped,
  };
}

export interface FolderLintResult {
  /** Findings by file (config.json, checkpoints, the index, the code files' lines). */
  findings: Finding[];
  folder: ModelFolder;
}

/**
 * Lints a model folder: the folder rules only (config.json's own rules run through lintConfig, the
 * code's through lintPython). A finding on a code line honours that file's suppression comments, one
 * on config.json the `ignore` pointers of its settings (see runRules).
 */
export async function lintFolder(input: ModelFolderInput, settingsFor: (file: string) => FileSettings): Promise<FolderLintResult> {
  const folder = await readModelFolder(input);
  const code = new Map(folder.code.map((c) => [c.path, c]));
  // Every file a folder rule can report into: a rule off in all of them does not run.
  const files = [folder.anchor.file, folder.configPath, folder.index?.path, folder.params?.path, ...folder.checkpoints.map((c) => c.path), ...code.keys()].filter((f): f is string => f !== undefined);
  const findings = runRules<FolderRuleContext<string>>({
    rules: FOLDER_RULES,
    file: folder.anchor.file,
    files,
    settingsFor,
    suppressionsOf(file) {
      if (file === folder.configPath) return { kind: "pointers", root: folder.config?.doc.root };
      const c = code.get(file);
      return c ? { kind: "comments", text: c.text, suppressions: c.module.suppressions } : undefined;
    },
    context: (_rule, report) => ({ file: folder.anchor.file, text: folder.configText, folder, report }),
  });
  // Every finding about a checkpoint's norm tensors says which storage layout they were read in.
  const normRules = new Set(FOLDER_RULES.filter((r) => r.tags.includes("checkpoint") && r.tags.includes("norm")).map((r) => r.name));
  if (folder.checkpoints.length) for (const f of findings) if (normRules.has(f.rule) && !f.message.includes("layout: ")) f.message += ` (layout: ${folder.layout.label})`;
  return { findings, folder };
}
