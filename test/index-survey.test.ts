// The checkpoint rules on REAL tensor names: the pairs pinned in scripts/corpus/indexes.json (a Hugging
// Face checkpoint index, model.safetensors.index.json or pytorch_model.bin.index.json, with the
// config.json beside it at the same commit, from GitHub mirrors of Hub model repositories), exported
// into .cache/indexes/ by scripts/corpus/fetch-indexes.sh. Without the cache the suite is skipped and
// says so.
//
// Each pair becomes an in-memory model folder: the real config.json, the real index, and one
// safetensors file per shard the index names, holding exactly the index's tensors of that shard. A
// pytorch_model.bin index is read as the safetensors index a conversion writes (each
// `pytorch_model-0000i-of-0000n.bin` renamed `model-0000i-of-0000n.safetensors`, the names of the
// tensors unchanged). The index holds names only, so shapes and values are made up:
//   - a norm-like tensor (a norm scale by src/engine/layout.ts groupOf, or a path of one of the
//     family's knowledge-base norm classes) is 1-D, as wide as the config implies (the vision
//     config's hidden size in a vision tower, the head dim for q/k norms, else the text hidden size),
//     with values near the centre of the class whose path it matches (0 for an offset class such as
//     Gemma's, else 1; unmatched: the centre normlint expects for its module group); a norm bias is
//     near 0;
//   - every other tensor is a single BF16 element.
// So only the rules that read names and config.json are judged:
//   NL305 checkpoint-norm-missing, NL307 checkpoint-norm-bias-unexpected, NL308
//   checkpoint-index-invalid (the shards hold exactly what the index lists, so a finding is a fault
//   of the index text itself), NL311 checkpoint-norm-layout-mixed (its groups come from the names;
//   the values are each matched class's convention, so a finding means the names put a tensor in a
//   group whose expected centre contradicts its class), NL219 qk-norm-config-mismatch except its
//   `shape` message (present/absent/per-head counts read names and config.json), and every
//   config.json rule (NL0xx, NL1xx, through lintConfig) on the real file.
// Not judged: NL303 checkpoint-norm-offset-mismatch (it reads the values, which are made up here),
// NL306 checkpoint-norm-shape-mismatch and NL219's `shape` (the widths are made up from the same
// config they would be compared with), NL301 safetensors-invalid / NL302 gguf-invalid (the files are
// built valid), NL304 checkpoint-norm-keys-mismatch and NL309 config-code-eps-mismatch (no modeling
// code in the folder), NL218, NL310, NL312, NL313 (dtype of the data, pickles, GGUF and params.json,
// none of which the folder has).
//
// Every finding at warning or above is listed in TRUE_FINDINGS with the reason it is true (the
// triage is in docs/findings.md, "Index survey"); the test asserts the exact set. Then recall: each
// folder is mutated the way a broken conversion would be, and the rule for it must fire.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lintFolder, type ModelFolderInput, readModelFolder } from "../src/engine/folder";
import { mainNormClasses, normPathRegex, scaleParam } from "../src/engine/folder-model";
import { defaultSettings, lintConfig } from "../src/engine/index";
import { bytesSource } from "../src/engine/io";
import { type Family, family as familyOf, type NormClass } from "../src/engine/knowledge/index";
import { expectedCentre } from "../src/engine/knowledge/layouts";
import { groupOf } from "../src/engine/layout";
import type { Finding } from "../src/engine/types";
import { buildSafetensors, type Fill, type TensorDesc } from "./harness/checkpoint-builder";

const root = join(__dirname, "..");
const cache = join(root, ".cache", "indexes");
const present = existsSync(join(cache, "SOURCE.json"));
if (!present) {
  console.warn("\n*** Index survey SKIPPED: .cache/indexes/ is absent. Run scripts/corpus/fetch-indexes.sh <git mirrors folder> to enable it. ***\n");
}

interface Pair {
  repo: string;
  commit: string;
  index: string;
  config: string;
}
const PAIRS: Pair[] = JSON.parse(readFileSync(join(root, "scripts", "corpus", "indexes.json"), "utf8")).pairs;
const JUDGED_FOLDER_RULES = new Set(["checkpoint-norm-missing", "checkpoint-norm-bias-unexpected", "checkpoint-index-invalid", "checkpoint-norm-layout-mixed", "qk-norm-config-mismatch"]);
const enc = new TextEncoder();

/**
 * The findings at warning or above that are true, by `<repo>@<commit 8>:<index> <rule>/<messageId>`,
 * each with why (docs/findings.md, "Index survey", has the evidence).
 */
const TRUE_FINDINGS: Record<string, string> = {};

/**
 * Mutations normlint does not find, each with why (recall limits, docs/findings.md "Index survey"):
 * Qwen3.5's q_norm exists only on its full-attention layers (every 4th, config `layer_types`), so
 * NL305 sees it on a quarter of the layers and, below its 90% bar, does not judge that path; M2M-100's
 * encoder and decoder layers share the tail `layers.{N}.self_attn_layer_norm`, so an encoder layer
 * without it is covered by the decoder layer of the same index. NL311 on a trunk shifted twice: in
 * the Gemma 3 composite the vision group's expected centre is asked of the text family (gemma3_text
 * knows no vision tower), so only the trunk is judged and one group compares with nothing (NL303
 * reports the trunk on its own); on Qwen3.5 the gated norms' made-up `llama-like` values (per-tensor
 * medians 0.7-2) sit in no one band, so the gated group has no centre and the trunk is compared with
 * nothing (NL303 reports the trunk near 2 as a double shift).
 */
const KNOWN_MISSES = new Set([
  ...["Arp1tMoga/fast_qwen@0d831f79", "bryce-hoehn/Qwen3.5-18B-REAP-A3B-Coding@06f86b02", "bryce-hoehn/Qwen3.5-25B-REAP-A3B-Coding@9f5e0065", "bryce-hoehn/Qwen3.5-25B-REAP-A3B-Coding@f7aa1a50"].flatMap((p) => [
    `drop one layer's norm ${p}:model.safetensors.index.json`,
    `one layer's q_norm renamed query_norm ${p}:model.safetensors.index.json`,
  ]),
  "drop one layer's norm GatDeguin/SLT_v2@48f0111c:model.safetensors.index.json",
  ...["Arp1tMoga/fast_qwen@0d831f79", "bryce-hoehn/Qwen3.5-18B-REAP-A3B-Coding@06f86b02", "bryce-hoehn/Qwen3.5-25B-REAP-A3B-Coding@9f5e0065", "bryce-hoehn/Qwen3.5-25B-REAP-A3B-Coding@f7aa1a50", "Ibtasam-98/medgemma-27b-it@24889024"].map(
    (p) => `trunk shifted twice beside another group ${p}:model.safetensors.index.json`,
  ),
]);

const pairKey = (p: Pair) => `${p.repo}@${p.commit.slice(0, 8)}:${p.index}`;

interface Case {
  pair: Pair;
  configText: string;
  /** The index as the folder holds it (a .bin index renamed to safetensors shards). */
  indexText: string;
  /** tensor -> shard, from the index. */
  weightMap: Map<string, string>;
  fam?: Family;
  /** Every family whose classes may name a tensor: the text model's, the root's, the sub-configs'. */
  families: Family[];
  text: Record<string, unknown>;
  config: Record<string, unknown>;
}

function num(o: unknown, ...keys: string[]): number | undefined {
  if (!o || typeof o !== "object") return undefined;
  for (const k of keys) {
    const v = (o as Record<string, unknown>)[k];
    if (typeof v === "number" && Number.isInteger(v) && v > 0) return v;
  }
  return undefined;
}

async function loadCase(pair: Pair): Promise<Case> {
  const dir = join(cache, pair.repo.replace("/", "+"), pair.commit);
  const configText = readFileSync(join(dir, pair.config), "utf8");
  let indexText = readFileSync(join(dir, pair.index), "utf8");
  if (pair.index.endsWith("pytorch_model.bin.index.json")) indexText = indexText.replace(/pytorch_model(-\d+-of-\d+)?\.bin"/g, (_m, n: string | undefined) => `model${n ?? ""}.safetensors"`);
  const parsed = JSON.parse(indexText) as { weight_map: Record<string, string> };
  const weightMap = new Map(Object.entries(parsed.weight_map));
  // The family and text config exactly as the folder reader identifies them.
  const read = await readModelFolder({ dir: "m", config: { path: "m/config.json", bytes: enc.encode(configText) }, safetensors: [], gguf: [], pickles: [] });
  const config = JSON.parse(configText) as Record<string, unknown>;
  const rootFam = read.config?.scopes[0]?.family;
  const subs = Object.values(rootFam?.sub ?? {}).flatMap((t) => (t ? [familyOf(t)].filter((f): f is Family => !!f) : []));
  const families = [read.family, rootFam, ...subs].filter((f, i, all): f is Family => !!f && all.indexOf(f) === i);
  return { pair, configText, indexText, weightMap, fam: read.family, families, text: read.textConfig, config };
}

/** The knowledge-base class whose module path names this tensor (scale or bias), if any. */
function classOf(c: Case, name: string): NormClass | undefined {
  for (const f of c.families) {
    for (const cls of f.classes ?? []) {
      if (cls.at.some((at) => normPathRegex(at, scaleParam(cls)).test(name) || normPathRegex(at, "bias").test(name))) return cls;
    }
  }
  return undefined;
}

/** A norm scale or bias, by name: groupOf's patterns or a knowledge-base class path. */
function normKind(c: Case, name: string): "scale" | "bias" | undefined {
  const cls = classOf(c, name);
  if (name.endsWith(".bias")) return cls || groupOf(`${name.slice(0, -".bias".length)}.weight`) ? "bias" : undefined;
  return cls || groupOf(name) ? "scale" : undefined;
}

function widthOf(c: Case, name: string): number {
  const hidden = num(c.text, "hidden_size", "d_model", "n_embd", "hidden_dim", "dim") ?? num(c.config, "hidden_size", "d_model", "n_embd") ?? 64;
  const scale = name.endsWith(".bias") ? `${name.slice(0, -".bias".length)}.weight` : name;
  if (groupOf(scale) === "vision") return num(c.config.vision_config, "hidden_size", "width", "embed_dim") ?? hidden;
  if (/(^|\.)(q_norm|k_norm|q_layernorm|k_layernorm)\.weight$/.test(scale)) {
    const heads = num(c.text, "num_attention_heads", "n_head");
    return num(c.text, "head_dim") ?? (heads ? Math.max(1, Math.floor(hidden / heads)) : hidden);
  }
  return hidden;
}

function fillOf(c: Case, name: string): Fill {
  if (name.endsWith(".bias")) return "zeros";
  const cls = classOf(c, name);
  if (cls) return cls.offset ? "gemma-like" : "llama-like";
  const g = groupOf(name);
  const exp = c.fam && g ? expectedCentre(c.fam, "hf", g).centre : undefined;
  if (exp === 0 || exp === 1) return exp === 0 ? "gemma-like" : "llama-like";
  return c.fam?.offset ? "gemma-like" : "llama-like";
}

function tensorDesc(c: Case, name: string): TensorDesc {
  if (!normKind(c, name)) return { dtype: "BF16", shape: [1], fill: "zeros" };
  return { dtype: "BF16", shape: [Math.min(widthOf(c, name), 16384)], fill: fillOf(c, name) };
}

interface Edit {
  /** The weight map to build the shards from (default: the index's). */
  stored?: Map<string, string>;
  /** The index text (default: the case's). */
  indexText?: string;
  /** Overrides of made-up tensors (values, shapes). */
  desc?: (name: string, d: TensorDesc) => TensorDesc;
}

function folderOf(c: Case, edit: Edit = {}): ModelFolderInput {
  const stored = edit.stored ?? c.weightMap;
  const byShard = new Map<string, string[]>();
  for (const [t, s] of stored) byShard.set(s, [...(byShard.get(s) ?? []), t]);
  const safetensors = [...byShard].map(([shard, names]) => {
    const tensors: Record<string, TensorDesc> = {};
    for (const n of names) tensors[n] = edit.desc ? edit.desc(n, tensorDesc(c, n)) : tensorDesc(c, n);
    return { path: `m/${shard}`, source: bytesSource(buildSafetensors({ tensors }).bytes) };
  });
  return {
    dir: "m",
    config: { path: "m/config.json", bytes: enc.encode(c.configText) },
    index: { path: "m/model.safetensors.index.json", bytes: enc.encode(edit.indexText ?? c.indexText) },
    safetensors,
    gguf: [],
    pickles: [],
  };
}

const atLeastWarning = (f: Finding) => f.severity === "error" || f.severity === "warning";

async function judged(c: Case, edit?: Edit): Promise<Finding[]> {
  const { findings } = await lintFolder(folderOf(c, edit), () => defaultSettings());
  return findings.filter((f) => JUDGED_FOLDER_RULES.has(f.rule) && !(f.rule === "qk-norm-config-mismatch" && f.messageId === "shape"));
}

function configFindings(c: Case): Finding[] {
  const r = lintConfig({ path: "m/config.json", text: c.configText });
  return r.findings;
}

/** A weight map with one entry renamed (in the index text and, when `stored`, in the shards too). */
function renameTensor(c: Case, from: string, to: string): Edit {
  const stored = new Map([...c.weightMap].map(([t, s]) => [t === from ? to : t, s]));
  return { stored, indexText: c.indexText.replace(JSON.stringify(from), JSON.stringify(to)) };
}

function dropTensor(c: Case, name: string): Edit {
  const stored = new Map(c.weightMap);
  stored.delete(name);
  const o = JSON.parse(c.indexText);
  delete o.weight_map[name];
  return { stored, indexText: JSON.stringify(o, null, 2) };
}

function addTensor(c: Case, name: string, shard: string): Edit {
  const stored = new Map(c.weightMap).set(name, shard);
  const o = JSON.parse(c.indexText);
  o.weight_map[name] = shard;
  return { stored, indexText: JSON.stringify(o, null, 2) };
}

/** The per-layer main-norm paths of the family the checkpoint holds, as tensor names by layer. */
function perLayerNorms(c: Case): Array<{ at: string; cls: NormClass; byLayer: Map<number, string> }> {
  if (!c.fam) return [];
  const out: Array<{ at: string; cls: NormClass; byLayer: Map<number, string> }> = [];
  for (const cls of mainNormClasses(c.fam)) {
    for (const at of cls.at) {
      if (!at.includes("{N}")) continue;
      const re = normPathRegex(at, scaleParam(cls));
      const byLayer = new Map<number, string>();
      for (const n of c.weightMap.keys()) {
        const m = re.exec(n);
        if (m && groupOf(n) !== "mtp" && groupOf(n) !== "vision") byLayer.set(Number(m[2]), n);
      }
      if (byLayer.size) out.push({ at, cls, byLayer });
    }
  }
  return out;
}

const cases: Case[] = [];
async function allCases(): Promise<Case[]> {
  if (!cases.length) for (const p of PAIRS) cases.push(await loadCase(p));
  return cases;
}

describe.skipIf(!present)("checkpoint rules on real tensor names (.cache/indexes)", () => {
  it("the cache is the export of the pinned list", () => {
    const source = JSON.parse(readFileSync(join(cache, "SOURCE.json"), "utf8"));
    expect(source.exported + source.missing, "stale .cache/indexes: run scripts/corpus/fetch-indexes.sh").toBe(PAIRS.length);
    expect(source.missing).toBe(0);
    expect(PAIRS.length).toBeGreaterThanOrEqual(60);
  });

  it("finds only the true problems (precision)", async () => {
    const found = new Map<string, string>();
    const types = new Set<string>();
    let withFamily = 0;
    for (const c of await allCases()) {
      types.add(String(c.config.model_type ?? "?"));
      if (c.fam) withFamily++;
      const all = [...configFindings(c), ...(await judged(c))].filter(atLeastWarning);
      for (const f of all) found.set(`${pairKey(c.pair)} ${f.rule}/${f.messageId}`, `${f.severity} ${f.file}: ${f.message}`);
    }
    console.log(`index survey: ${cases.length} pairs, ${types.size} model types, ${withFamily} with a known family; ${found.size} findings at warning or above`);
    for (const [k, v] of found) console.log(`  ${k}\n    ${v}`);
    expect([...found.keys()].sort()).toEqual(Object.keys(TRUE_FINDINGS).sort());
  }, 300_000);

  it("fires on every mutation of the real names (recall)", async () => {
    const results: Array<{ kind: string; pair: string; fired: boolean }> = [];
    const fires = async (c: Case, kind: string, edit: Edit, rule: string, messageId?: string) => {
      const f = await judged(c, edit);
      results.push({ kind, pair: pairKey(c.pair), fired: f.some((x) => x.rule === rule && (!messageId || x.messageId === messageId)) });
    };
    for (const c of await allCases()) {
      if (!c.fam) continue;
      const layers = perLayerNorms(c);
      // A partial conversion: one layer's first per-layer norm missing from the index and its shard.
      const full = layers.find((l) => l.byLayer.size >= 10);
      if (full) {
        const keys = [...full.byLayer.keys()].sort((a, b) => a - b);
        await fires(c, "drop one layer's norm", dropTensor(c, full.byLayer.get(keys[Math.floor(keys.length / 2)])!), "checkpoint-norm-missing");
      }
      const some = layers[0];
      if (some) {
        const name = [...some.byLayer.values()][0];
        const base = name.slice(0, -(scaleParam(some.cls).length + 1));
        if (!some.cls.bias) await fires(c, "norm bias added to a bias-free norm", addTensor(c, `${base}.bias`, c.weightMap.get(name)!), "checkpoint-norm-bias-unexpected", "unexpected");
        else if (c.weightMap.has(`${base}.bias`)) await fires(c, "required norm bias dropped", dropTensor(c, `${base}.bias`), "checkpoint-norm-bias-unexpected", "missing");
      }
      // A shard renamed on disk but not in the index (or the reverse).
      const [firstTensor, firstShard] = [...c.weightMap][0] ?? [];
      if (firstTensor) {
        const renamed = `renamed-${firstShard}`;
        await fires(c, "shard file renamed", { stored: new Map([...c.weightMap].map(([t, s]) => [t, s === firstShard ? renamed : s])) }, "checkpoint-index-invalid");
      }
      // An offset family whose trunk norms got the +1 twice while its other groups (vision tower,
      // gated, MTP) are where they belong: NL311, when the names give it two groups to compare.
      const groups = new Set([...c.weightMap.keys()].map((n) => (normKind(c, n) === "scale" ? groupOf(n) : undefined)).filter((g) => g));
      if (c.fam.offset && groups.size >= 2 && groups.has("trunk")) {
        await fires(c, "trunk shifted twice beside another group", { desc: (n, d) => (groupOf(n) === "trunk" && d.fill === "gemma-like" ? { ...d, fill: "gemma-double" } : d) }, "checkpoint-norm-layout-mixed");
      }
      // q_norm renamed in one layer (a converter with its own name for it).
      const q = layers.find((l) => /q_norm$/.test(l.at) && l.byLayer.size >= 10);
      if (q) {
        const name = [...q.byLayer.values()][0];
        await fires(c, "one layer's q_norm renamed query_norm", renameTensor(c, name, name.replace(/q_norm\.weight$/, "query_norm.weight")), "checkpoint-norm-missing");
      }
    }
    const byKind = new Map<string, { n: number; fired: number; missed: string[] }>();
    for (const r of results) {
      const k = byKind.get(r.kind) ?? { n: 0, fired: 0, missed: [] };
      k.n++;
      if (r.fired) k.fired++;
      else k.missed.push(r.pair);
      byKind.set(r.kind, k);
    }
    const fired = results.filter((r) => r.fired).length;
    console.log(`index survey recall: ${fired}/${results.length} mutations found`);
    for (const [k, v] of byKind) console.log(`  ${k}: ${v.fired}/${v.n}${v.missed.length ? `; missed: ${v.missed.join(", ")}` : ""}`);
    expect(results.length).toBeGreaterThanOrEqual(200);
    expect(results.filter((r) => !r.fired).map((r) => `${r.kind} ${r.pair}`).sort()).toEqual([...KNOWN_MISSES].sort());
  }, 600_000);
});
