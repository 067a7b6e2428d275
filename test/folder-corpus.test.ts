// Precision of the cross-file rules on real code: each family's transformers modeling files (from
// .cache/transformers/, see transformers-corpus.test.ts) are put in a model folder with a config at
// the family's defaults and a checkpoint holding every norm the knowledge base records, and
// checkpoint-norm-keys-mismatch and config-code-eps-mismatch must stay silent; then a broken name,
// a broken eps or a broken config must give the finding. Skipped without the cache.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPythonWasm } from "../src/node/wasm";
import { lintFolder, type ModelFolderInput } from "../src/engine/folder";
import type { CodeModule } from "../src/engine/folder-model";
import { defaultSettings } from "../src/engine/index";
import { bytesSource } from "../src/engine/io";
import { family } from "../src/engine/knowledge/index";
import { createPythonParser, lintPython, type PythonParser } from "../src/engine/python";
import { buildSafetensors, type TensorDesc } from "./harness/checkpoint-builder";

const cache = join(__dirname, "..", ".cache", "transformers");
const present = existsSync(join(cache, "SOURCE.json"));
let parser: PythonParser;
const RULES = ["checkpoint-norm-keys-mismatch", "config-code-eps-mismatch"];

/**
 * Families whose knowledge-base norm records do not describe their checkpoints' keys, so the
 * synthetic checkpoint is wrong, not the code (each checked against the modeling file):
 * LayerNorm subclasses recorded with `bias: false` although nn.LayerNorm gives them a bias
 * (ConvNext, SAM and their kin, VitDetLayerNorm), Moonshine's `nn.LayerNorm(..., bias=False)`
 * recorded with a bias, and Moonshine Streaming's `gamma` recorded as `weight`.
 */
const KB_GAPS = new Set([
  "convnext", "convnextv2", "deepseek_vl_hybrid", "dinov3_convnext", "edgetam", "edgetam_video", "eomt", "eomt_dinov3",
  "got_ocr2", "lw_detr", "moonshine", "moonshine_streaming", "sam", "sam2", "sam2_video", "sam3_tracker",
  "sam3_tracker_video", "sam_hq", "vitdet",
]);

/** Every layer-expanded path of the family's norms, with `.weight` (and `.bias` where recorded). */
function checkpoint(modelType: string, rename: (key: string) => string = (k) => k): Record<string, TensorDesc> {
  const f = family(modelType)!;
  const tensors: Record<string, TensorDesc> = {};
  for (const c of f.classes ?? []) {
    if (!["rms", "rms-gated", "layer"].includes(c.kind) || c.init === "none") continue;
    for (const at of c.at) {
      let paths = [at];
      while (paths.some((p) => p.includes("{N}"))) paths = paths.flatMap((p) => (p.includes("{N}") ? [p.replace("{N}", "0"), p.replace("{N}", "1")] : [p]));
      for (const p of paths) {
        tensors[rename(`${p}.weight`)] = { dtype: "F32", shape: [8], fill: c.offset ? "gemma-like" : "llama-like" };
        if (c.bias) tensors[rename(`${p}.bias`)] = { dtype: "F32", shape: [8], fill: "zeros" };
      }
    }
  }
  return tensors;
}

function folder(modelType: string, code: CodeModule[], opts: { config?: Record<string, unknown>; rename?: (k: string) => string } = {}): ModelFolderInput {
  const f = family(modelType)!;
  const config: Record<string, unknown> = { model_type: modelType, hidden_size: 8, num_hidden_layers: 2 };
  for (const [k, v] of Object.entries(f.eps)) if (typeof v === "number") config[k] = v;
  Object.assign(config, opts.config);
  return {
    dir: "m",
    config: { path: "m/config.json", bytes: new TextEncoder().encode(JSON.stringify(config)) },
    safetensors: [{ path: "m/model.safetensors", source: bytesSource(buildSafetensors({ tensors: checkpoint(modelType, opts.rename) }).bytes) }],
    gguf: [],
    pickles: [],
    code,
  };
}

function codeOf(model: string, edit: (text: string) => string = (t) => t): CodeModule[] {
  return readdirSync(join(cache, model))
    .filter((f) => /^modeling_.*\.py$/.test(f))
    .flatMap((f) => {
      const original = readFileSync(join(cache, model, f), "utf8");
      const text = f === `modeling_${model}.py` ? edit(original) : original;
      const r = lintPython({ path: `${model}/${f}`, text }, defaultSettings(), parser);
      return r.module ? [{ path: r.path, text, module: r.module }] : [];
    });
}

async function ruleFindings(input: ModelFolderInput) {
  const { findings } = await lintFolder(input, () => defaultSettings());
  return findings.filter((f) => RULES.includes(f.rule));
}

describe.skipIf(!present)("cross-file rules on transformers' own code", () => {
  beforeAll(async () => {
    parser = await createPythonParser(loadPythonWasm([join(__dirname, "..")]));
  });

  it("are silent on every family's modeling files with a checkpoint and config that match", async () => {
    const out: string[] = [];
    let folders = 0;
    for (const d of readdirSync(cache, { withFileTypes: true })) {
      const f = d.isDirectory() ? family(d.name) : undefined;
      if (!f || KB_GAPS.has(d.name) || !Object.keys(checkpoint(d.name)).length) continue;
      const code = codeOf(d.name);
      if (!code.length) continue;
      folders++;
      for (const x of await ruleFindings(folder(d.name, code))) out.push(`${x.file} ${x.rule}: ${x.message}`);
    }
    console.log(`cross-file corpus: ${folders} model folders, ${out.length} findings`);
    expect(folders).toBeGreaterThanOrEqual(200);
    expect(out).toEqual([]);
  }, 120_000);

  it("checkpoint-norm-keys-mismatch: LlamaRMSNorm's weight renamed to scale", async () => {
    const code = codeOf("llama", (t) => t.replace(/(class LlamaRMSNorm[\s\S]*?)self\.weight/g, "$1self.scale").replace(/self\.weight \* hidden_states\.to/, "self.scale * hidden_states.to"));
    const f = await ruleFindings(folder("llama", code));
    expect(f.map((x) => x.rule)).toEqual(["checkpoint-norm-keys-mismatch"]);
    expect(f[0].message).toMatch(/missing key\(s\) \(`model\.layers\.0\.input_layernorm\.scale`/);
  });

  it("checkpoint-norm-keys-mismatch: GPT-2 with bias-free LayerNorms against a checkpoint with biases", async () => {
    const code = codeOf("gpt2", (t) => t.replace(/nn\.LayerNorm\(([^()\n]*?)\)/g, "nn.LayerNorm($1, bias=False)"));
    const f = await ruleFindings(folder("gpt2", code));
    expect(f.length).toBeGreaterThan(0);
    expect(f.every((x) => x.rule === "checkpoint-norm-keys-mismatch" && x.messageId === "unexpected")).toBe(true);
  });

  it("checkpoint-norm-keys-mismatch: TensorFlow-style gamma/beta keys load into BERT through transformers' rename", async () => {
    const rename = (k: string) => k.replace(/LayerNorm\.weight$/, "LayerNorm.gamma").replace(/LayerNorm\.bias$/, "LayerNorm.beta");
    expect(await ruleFindings(folder("bert", codeOf("bert"), { rename }))).toEqual([]);
  });

  it("config-code-eps-mismatch: a config eps the code no longer passes, and a config that differs from the code", async () => {
    const dropped = codeOf("llama", (t) => t.replace(/LlamaRMSNorm\(config\.hidden_size, eps=config\.rms_norm_eps\)/g, "LlamaRMSNorm(config.hidden_size)"));
    const f = await ruleFindings(folder("llama", dropped, { config: { rms_norm_eps: 1e-5 } }));
    expect(f.length).toBeGreaterThan(0);
    expect(f.every((x) => x.rule === "config-code-eps-mismatch" && x.messageId === "default")).toBe(true);
    // The unmodified code reads the config, whatever it says.
    expect(await ruleFindings(folder("llama", codeOf("llama"), { config: { rms_norm_eps: 1e-5 } }))).toEqual([]);
  });
});
