#!/usr/bin/env node
// Builds src/engine/knowledge/families.json, the shipped knowledge base, from:
//   1. the research table ../shared/reference/norm-conventions.json (465 model types, transformers
//      5.3.0.dev0 at 147b7aa0; every record keeps its file citations),
//   2. architectures.json: model_type -> architecture class names, extracted from that commit's
//      models/auto/modeling_auto.py by scripts/kb/extract-architectures.py,
//   3. src/engine/knowledge/verified/*.json: facts verified by hand against the source files they cite,
//      and records for model types newer than that commit (Gemma 4, Nemotron-H...). These win.
// Usage: node scripts/kb/build-knowledge.mjs [path/to/norm-conventions.json]
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const referencePath = process.argv[2] ?? join(root, "..", "shared", "reference", "norm-conventions.json");
const knowledgeDir = join(root, "src", "engine", "knowledge");
const reference = JSON.parse(readFileSync(referencePath, "utf8"));
const architectures = JSON.parse(readFileSync(join(root, "scripts", "kb", "architectures.json"), "utf8"));

const REF_VERSION = "5.3.0.dev0";
const REF_REPO = "huggingface/transformers";

/** Python literal as written in a signature default -> JSON value. */
function pyLiteral(text) {
  const t = String(text).trim();
  if (t === "True") return true;
  if (t === "False") return false;
  if (t === "None") return null;
  if (/^-?[\d.]+(e-?\d+)?$/i.test(t)) return Number(t);
  const quoted = /^(["'])(.*)\1$/.exec(t);
  if (quoted) return quoted[2];
  return t;
}

function classKind(kind, centering, name) {
  const k = kind.toLowerCase();
  if (k.startsWith("batchnorm")) return "batch";
  if (k.startsWith("groupnorm")) return "group";
  if (k.includes("nonorm")) return "other";
  if (k.includes("gated")) return "rms-gated";
  if (k.includes("no weight; l2")) return "l2";
  if (k.startsWith("rmsnorm") || (!centering && /norm/i.test(name))) return "rms";
  if (k.includes("layernorm")) return "layer";
  return "other";
}

function castOf(order) {
  const head = order.split(":")[0].trim();
  if (/^(llama|llama4|llama-like)$/.test(head)) return "llama";
  if (head === "gemma") return "gemma";
  if (head === "t5") return "t5";
  if (/^(olmo2|fp32-multiply|fp32|helium|cohere)$/.test(head) || /^fp32 computation/.test(head)) return "fp32";
  if (/^(torch native|F\.|nn\.LayerNorm)/.test(head)) return "torch";
  if (/layer_norm\(/.test(head)) return "torch";
  return "other";
}

function initOf(init, offset) {
  if (/^none/.test(init)) return "none";
  if (/^zeros/.test(init) || /= 0 /.test(init)) return "zeros";
  return offset && /gamma/.test(init) ? "zeros" : "ones";
}

const SUBMODEL = /vision|visual|audio|image|patch|speech|acoustic|siglip|projector|mm_|vqmodel|tokenizer|depth|backbone/i;

function mainClass(classes) {
  const normLike = classes.filter((c) => !["batch", "group"].includes(c.kind));
  const pool = normLike.length ? normLike : classes;
  let best;
  let bestScore = -1;
  for (const c of pool) {
    const score = c.at.filter((p) => !SUBMODEL.test(p)).length;
    if (score > bestScore) [best, bestScore] = [c, score];
  }
  return best;
}

const byConfigClass = new Map(reference.map((r) => [r.config_class, r.model_type]));

function fromReference(r) {
  const classes = (r.norm_classes ?? []).map((n) => {
    const kind = classKind(n.kind, n.centering, n.name);
    const offset = n.weight_offset != null;
    return {
      name: n.name,
      kind,
      offset,
      bias: /^(True|default True)/.test(String(n.bias)),
      init: initOf(n.weight_init, offset),
      cast: castOf(n.casting_order),
      eps: n.eps_from_config ?? [],
      at: n.used_at ?? [],
    };
  });
  const main = mainClass(classes);
  const norm = !main ? "none" : main.kind === "rms" || main.kind === "rms-gated" || main.kind === "l2" ? "rms" : main.kind === "layer" ? "layer" : "other";
  const eps = Object.fromEntries(Object.entries(r.eps_config_keys ?? {}).map(([k, v]) => [k, pyLiteral(v)]));
  const normKeys = Object.fromEntries(Object.entries(r.other_norm_config_keys ?? {}).map(([k, v]) => [k, pyLiteral(v)]));
  const sub = Object.fromEntries(Object.entries(r.sub_configs ?? {}).map(([k, cls]) => [k, byConfigClass.get(cls) ?? null]));
  const rec = {
    config: r.config_class,
    norm,
    bias: main?.bias ?? false,
    offset: main?.offset ?? false,
    init: main ? (main.kind === "l2" ? "none" : main.init) : "none",
    cast: main?.cast ?? "none",
    eps,
  };
  if (Object.keys(normKeys).length) rec.normKeys = normKeys;
  if (Object.keys(sub).length) rec.sub = sub;
  const arch = architectures[r.model_type];
  if (arch?.length) rec.arch = arch;
  if (classes.length) rec.classes = classes;
  // Checkpoint tensor names are derived from classes[].at (+ .weight / .bias) by the engine.
  if (r.notes?.length) rec.notes = r.notes;
  rec.src = r.source.files.map((f) => `transformers@${REF_VERSION}:${f.replace(/^src\/transformers\//, "")}`);
  rec.via = "research";
  return rec;
}

const families = {};
for (const r of reference) families[r.model_type] = fromReference(r);

const verifiedDir = join(knowledgeDir, "verified");
const verifiedFiles = readdirSync(verifiedDir).filter((f) => f.endsWith(".json")).sort();
const newer = {};
for (const file of verifiedFiles) {
  const entries = JSON.parse(readFileSync(join(verifiedDir, file), "utf8"));
  for (const [type, v] of Object.entries(entries)) {
    if (type.startsWith("_")) {
      if (type === "_meta") newer[file] = v;
      continue;
    }
    const base = families[type] ?? { src: [] };
    const rec = { ...base, ...v.set };
    if (v.src?.length) rec.src = v.src;
    if (v.notes?.length) rec.notes = [...v.notes, ...(families[type] ? base.notes ?? [] : [])];
    rec.via = `hand (${file.replace(/\.json$/, "")}): ${v.verified}`;
    // The hand-verified main-norm facts are the main class's facts too (the research table's
    // per-class fields can be wrong: Nemotron's LayerNorm1P has a bias).
    if (rec.classes?.length && !v.set.classes) {
      const main = mainClass(rec.classes);
      if (main) {
        const updated = { ...main, offset: rec.offset, bias: rec.bias, init: rec.init, cast: rec.cast };
        if (rec.norm === "rms" && main.kind === "layer") updated.kind = "rms";
        if (rec.norm === "layer" && main.kind === "rms") updated.kind = "layer";
        rec.classes = rec.classes.map((c) => (c === main ? updated : c));
      }
    }
    families[type] = rec;
  }
}

// Composite configs whose __init__ builds text_config from the top-level keys when the file has no
// text_config object (`text_config = {key: kwargs.pop(key) for key in text_params ...}` or
// `sub_configs["text_config"](**kwargs)` in configuration_<type>.py at 5.3.0.dev0).
const FLAT_TEXT_CONFIG = ["ernie4_5_vl_moe", "glm4v", "glm4v_moe", "glm_image", "glm_ocr", "paddleocr_vl", "qwen2_5_vl", "qwen2_vl"];
for (const t of FLAT_TEXT_CONFIG) {
  if (!families[t]) continue;
  families[t].flatSub = "text_config";
  families[t].src = [...new Set([...families[t].src, `transformers@${REF_VERSION}:models/${t}/configuration_${t}.py`])];
}
// llama.cpp's converter folds the +1 into GGUF norm weights for offset families, so a GGUF of these
// stores 1 + w (near 1) and its runtime uses a plain x * w norm (norm_shift / `data_torch + 1` in
// convert_hf_to_gguf.py at ba8303ac, per the research notes; Gemma3n and Gemma 4 return 0).
const GGUF_SOURCE = "ggml-org/llama.cpp@ba8303ac:convert_hf_to_gguf.py";
const GGUF_FOLDS = {
  gemma: [], gemma2: [], gemma3: [], gemma3_text: [], nemotron: [], step3p5: [],
  qwen3_next: ["linear_attn.norm.weight"], qwen3_5: ["linear_attn.norm.weight"], qwen3_5_text: ["linear_attn.norm.weight"],
  qwen3_5_moe: ["linear_attn.norm.weight"], qwen3_5_moe_text: ["linear_attn.norm.weight"],
};
for (const [t, except] of Object.entries(GGUF_FOLDS)) {
  if (!families[t]) continue;
  families[t].gguf = except.length ? { foldsOffset: true, except } : { foldsOffset: true };
  families[t].src = [...new Set([...families[t].src, GGUF_SOURCE])];
}
for (const t of ["gemma3n", "gemma3n_text", "gemma4", "gemma4_text"]) {
  if (!families[t]) continue;
  families[t].gguf = { foldsOffset: false };
  families[t].src = [...new Set([...families[t].src, GGUF_SOURCE])];
}

// A sub-config that names its parent's own model_type (qwen2_vl's vision config) is not that family.
for (const [t, rec] of Object.entries(families)) {
  for (const [k, v] of Object.entries(rec.sub ?? {})) if (v === t || v === "") rec.sub[k] = null;
}

const sorted = Object.fromEntries(Object.keys(families).sort().map((k) => [k, families[k]]));
const meta = {
  generatedBy: "scripts/kb/build-knowledge.mjs",
  base: { repo: REF_REPO, version: REF_VERSION, commit: "147b7aa040812b079f467e777a2d2e1284167de0", via: "shared/reference/norm-conventions.json" },
  citations: "transformers@<version>:<path> is huggingface/transformers src/transformers/<path> at that release; other entries name their repository",
  newer,
};
// One record per line: compact to ship, readable in a diff.
const lines = Object.entries(sorted).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
const out = `{\n  "_meta": ${JSON.stringify(meta)},\n  "families": {\n${lines.map((l) => "  " + l).join(",\n")}\n  }\n}\n`;
writeFileSync(join(knowledgeDir, "families.json"), out);
console.log(`wrote ${Object.keys(sorted).length} families, ${verifiedFiles.length} verified file(s), ${out.length} bytes`);
