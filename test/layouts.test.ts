// Storage layouts (issue 17): the facts, the detection, the per-group centres, and NL303/NL311
// judged in every layout. Checkpoints are built in memory for each layout x family class: offset
// (Gemma 2), plain (Llama), LayerNorm1P (Nemotron), gated exception (Qwen3-Next / Qwen3.5), with
// double shifts, mixed groups and already-converted input.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv from "ajv";
import { describe, expect, it } from "vitest";
import { verifyCommand, type VerifyJson } from "../src/cli/verify";
import { lintFolder, type ModelFolderInput, readModelFolder } from "../src/engine/folder";
import { cpuExec, runComparison } from "../src/engine/lab";
import { verdictView } from "../src/engine/lab-view";
import { planComparison, readLabTensors } from "../src/engine/lab-plan";
import { planToWire, validateToWebview } from "../src/protocol";
import { defaultSettings } from "../src/engine/index";
import { bytesSource } from "../src/engine/io";
import { family } from "../src/engine/knowledge/index";
import { expectedCentre, layoutFacts } from "../src/engine/knowledge/layouts";
import { groupOf } from "../src/engine/layout";
import { classifyCentre, tensorStats } from "../src/engine/weights/norm-stats";
import { buildGguf, buildSafetensors, fillValues, type Fill, type TensorDesc } from "./harness/checkpoint-builder";
import { folderDesc } from "./harness/model-folder";

const root = join(__dirname, "..");
const enc = new TextEncoder();

describe("layout facts", () => {
  const source = JSON.parse(readFileSync(join(root, "scripts/kb/layouts.json"), "utf8"));
  it("match schemas/kb-layouts.schema.json, and the shipped copy is the source", () => {
    const validate = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(join(root, "schemas/kb-layouts.schema.json"), "utf8")));
    expect(validate(source), JSON.stringify(validate.errors)).toBe(true);
    expect(JSON.parse(readFileSync(join(root, "src/engine/knowledge/layouts.json"), "utf8"))).toEqual(source);
  });
  it("cite a converter per format and name only known families", () => {
    const byFormat = (f: string) => layoutFacts().filter((x) => x.format === f);
    expect(byFormat("gguf").length).toBeGreaterThanOrEqual(8);
    expect(byFormat("mlx").length).toBeGreaterThanOrEqual(8);
    expect(byFormat("megatron").length).toBeGreaterThanOrEqual(3);
    for (const f of layoutFacts()) {
      for (const t of f.families) if (t !== "*") expect(family(t), `${f.id}: ${t}`).toBeDefined();
      expect(f.source.repo).toMatch(/llama\.cpp|mlx-lm|mlx-vlm|Megatron/);
    }
  });
  it("decide the expected centre per family, format and module group", () => {
    const c = (t: string, f: Parameters<typeof expectedCentre>[1], g: Parameters<typeof expectedCentre>[2]) => expectedCentre(family(t)!, f, g).centre;
    expect(c("gemma2", "hf", "trunk")).toBe(0);
    expect(c("gemma2", "gguf", "trunk")).toBe(1);
    expect(c("gemma2", "mlx", "trunk")).toBe(0);
    expect(c("gemma3n_text", "gguf", "trunk")).toBe(1);
    expect(c("llama", "gguf", "trunk")).toBe(1);
    expect(c("llama", "megatron", "trunk")).toBe("unknown");
    expect(c("nemotron", "megatron", "trunk")).toBe(0);
    expect(c("nemotron", "gguf", "trunk")).toBe(1);
    expect(c("qwen3_next", "hf", "gated")).toBe(1);
    expect(c("qwen3_next", "gguf", "gated")).toBe(1);
    expect(c("qwen3_next", "mlx", "trunk")).toBe(1);
    expect(c("qwen3_5_text", "gguf", "mtp")).toBe(1);
    expect(c("qwen3_5_text", "hf", "mtp")).toBe(0);
    expect(expectedCentre(family("gemma2")!, "gguf", "trunk").cite).toMatch(/conversion\/gemma\.py/);
  });
});

describe("module groups and centres", () => {
  it("groups tensor names of every naming scheme", () => {
    expect(groupOf("model.layers.3.input_layernorm.weight")).toBe("trunk");
    expect(groupOf("mtp.pre_fc_norm_embedding.weight")).toBe("mtp");
    expect(groupOf("mtp.layers.0.input_layernorm.weight")).toBe("mtp");
    expect(groupOf("blk.48.nextn.enorm.weight")).toBe("mtp");
    expect(groupOf("model.layers.2.linear_attn.norm.weight")).toBe("gated");
    expect(groupOf("blk.2.ssm_norm.weight")).toBe("gated");
    expect(groupOf("vision_tower.encoder.layers.0.layer_norm1.weight")).toBe("vision");
    expect(groupOf("model.layers.0.mlp.down_proj.weight")).toBeUndefined();
    expect(groupOf("model.norm.bias")).toBeUndefined();
  });
  it("classifies 0, 1 and 2 and stays unknown on a spread", () => {
    const stats = (fill: Fill, n = 8) => Array.from({ length: n }, (_, i) => tensorStats(`t${i}`, fillValues(fill, 256, i + 1)));
    expect(classifyCentre(stats("gemma-like")).centre).toBe(0);
    expect(classifyCentre(stats("gemma-folded")).centre).toBe(1);
    expect(classifyCentre(stats("gemma-double")).centre).toBe(2);
    expect(classifyCentre(stats("gemma-double", 2)).centre).toBe("unknown");
    const mixed = [...stats("gemma-like", 4), ...stats("gemma-double", 4)];
    expect(classifyCentre(mixed).centre).toBe("unknown");
  });
});

interface Spec {
  modelType: string;
  fill: Fill;
  /** Extra tensors (MTP, gated, Megatron-named...). */
  add?: Record<string, Fill>;
  metadata?: Record<string, string>;
  config?: Record<string, unknown>;
  /** Keep only the added tensors (Megatron naming). */
  onlyAdded?: boolean;
  shapes?: Record<string, number[]>;
}

function safetensorsFolder(s: Spec): ModelFolderInput {
  const { config, desc } = folderDesc({
    modelType: s.modelType,
    fill: s.fill,
    config: s.config,
    edit: (t) => {
      if (s.onlyAdded) for (const k of Object.keys(t)) if (k !== "model.embed_tokens.weight") delete t[k];
      for (const [name, fill] of Object.entries(s.add ?? {})) t[name] = { dtype: "BF16", shape: [64], fill } satisfies TensorDesc;
      for (const [name, shape] of Object.entries(s.shapes ?? {})) t[name] = { dtype: "BF16", shape, fill: "normal" };
    },
  });
  if (s.metadata) desc.metadata = s.metadata;
  return {
    dir: "m",
    config: { path: "m/config.json", bytes: enc.encode(JSON.stringify(config)) },
    safetensors: [{ path: "m/model.safetensors", source: bytesSource(buildSafetensors(desc).bytes) }],
    gguf: [],
    pickles: [],
  };
}

function ggufFolder(arch: string, fill: Fill, extra: Record<string, Fill> = {}): ModelFolderInput {
  const tensors: Record<string, { type: string; dims: number[]; fill: Fill }> = { "output_norm.weight": { type: "F32", dims: [64], fill } };
  for (let i = 0; i < 6; i++) {
    tensors[`blk.${i}.attn_norm.weight`] = { type: "F32", dims: [64], fill };
    tensors[`blk.${i}.ffn_norm.weight`] = { type: "F32", dims: [64], fill };
  }
  for (const [name, f] of Object.entries(extra)) tensors[name] = { type: "F32", dims: [64], fill: f };
  return { dir: "g", safetensors: [], gguf: [{ path: "g/m.gguf", source: bytesSource(buildGguf({ metadata: { "general.architecture": arch }, tensors })) }], pickles: [] };
}

async function lint(input: ModelFolderInput) {
  const { findings, folder } = await lintFolder(input, () => defaultSettings());
  return { ids: findings.filter((f) => f.code === "NL303" || f.code === "NL311").map((f) => `${f.code}/${f.messageId}`), findings, folder };
}

const eachLayer = (pattern: string, fill: Fill, n = 6) => Object.fromEntries(Array.from({ length: n }, (_, i) => [pattern.replace("{N}", String(i)), fill]));
const MLX = { format: "mlx" };
const QWEN35_MTP = (fill: Fill) => ({
  "mtp.pre_fc_norm_embedding.weight": fill,
  "mtp.pre_fc_norm_hidden.weight": fill,
  "mtp.norm.weight": fill,
  "mtp.layers.0.input_layernorm.weight": fill,
  "mtp.layers.0.post_attention_layernorm.weight": fill,
});

describe("layout detection", () => {
  const layoutOf = async (input: ModelFolderInput) => (await readModelFolder(input)).layout;
  it("names GGUF by general.architecture", async () => {
    expect((await layoutOf(ggufFolder("gemma3", "gemma-folded"))).label).toBe("GGUF (general.architecture=gemma3)");
  });
  it("recognises MLX by metadata, quantization config, quantized naming and sanitized conv1d", async () => {
    expect((await layoutOf(safetensorsFolder({ modelType: "llama", fill: "llama-like", metadata: MLX }))).format).toBe("mlx");
    expect((await layoutOf(safetensorsFolder({ modelType: "llama", fill: "llama-like", config: { quantization: { group_size: 64, bits: 4 } } }))).format).toBe("mlx");
    expect((await layoutOf(safetensorsFolder({ modelType: "llama", fill: "llama-like", shapes: { "model.layers.0.mlp.up_proj.scales": [64, 2], "model.layers.0.mlp.up_proj.biases": [64, 2] } }))).label).toMatch(/^MLX \(quantized tensor naming/);
    expect((await layoutOf(safetensorsFolder({ modelType: "qwen3_5_text", fill: "gemma-folded", shapes: { "model.layers.0.linear_attn.conv1d.weight": [64, 4, 1] } }))).label).toMatch(/sanitized conv1d/);
  });
  it("recognises Megatron naming, and calls plain HF naming unmarked", async () => {
    const meg = await layoutOf(safetensorsFolder({ modelType: "nemotron", fill: "gemma-like", onlyAdded: true, add: eachLayer("decoder.layers.{N}.self_attention.linear_qkv.layer_norm_weight", "gemma-like") }));
    expect(meg.format).toBe("megatron");
    const hf = await layoutOf(safetensorsFolder({ modelType: "llama", fill: "llama-like", metadata: { format: "pt" } }));
    expect(hf).toMatchObject({ format: "hf", marked: false });
  });
});

describe("NL303 in every layout", () => {
  it("offset family (Gemma 2): HF at 0, GGUF at 1, MLX at 0 are clean; the other centres are not", async () => {
    expect((await lint(safetensorsFolder({ modelType: "gemma2", fill: "gemma-like" }))).ids).toEqual([]);
    expect((await lint(safetensorsFolder({ modelType: "gemma2", fill: "gemma-folded" }))).ids).toEqual(["NL303/foldedTwice"]);
    expect((await lint(safetensorsFolder({ modelType: "gemma2", fill: "gemma-double" }))).ids).toEqual(["NL303/doubleShift"]);
    expect((await lint(ggufFolder("gemma2", "gemma-folded"))).ids).toEqual([]);
    expect((await lint(ggufFolder("gemma2", "gemma-like"))).ids).toEqual(["NL303/notShifted"]);
    expect((await lint(ggufFolder("gemma2", "gemma-double"))).ids).toEqual(["NL303/doubleShift"]);
    expect((await lint(safetensorsFolder({ modelType: "gemma2", fill: "gemma-like", metadata: MLX }))).ids).toEqual([]);
    expect((await lint(safetensorsFolder({ modelType: "gemma2", fill: "gemma-folded", metadata: MLX }))).ids).toEqual(["NL303/foldedTwice"]);
  });
  it("plain family (Llama): near 1 everywhere; near 0 is flagged; near 2 is left to trained norms", async () => {
    expect((await lint(safetensorsFolder({ modelType: "llama", fill: "llama-like" }))).ids).toEqual([]);
    expect((await lint(safetensorsFolder({ modelType: "llama", fill: "gemma-like", metadata: MLX }))).ids).toEqual(["NL303/offsetIntoPlain"]);
    expect((await lint(ggufFolder("llama", "llama-like"))).ids).toEqual([]);
    expect((await lint(safetensorsFolder({ modelType: "llama", fill: "gemma-double" }))).ids).toEqual([]);
  });
  it("LayerNorm1P (Nemotron): HF and Megatron at 0, GGUF at 1", async () => {
    expect((await lint(safetensorsFolder({ modelType: "nemotron", fill: "gemma-like" }))).ids).toEqual([]);
    expect((await lint(ggufFolder("nemotron", "gemma-folded"))).ids).toEqual([]);
    expect((await lint(ggufFolder("nemotron", "gemma-like"))).ids).toEqual(["NL303/notShifted"]);
    const megatron = (fill: Fill) => safetensorsFolder({ modelType: "nemotron", fill, onlyAdded: true, add: { ...eachLayer("decoder.layers.{N}.self_attention.linear_qkv.layer_norm_weight", fill), ...eachLayer("decoder.layers.{N}.mlp.linear_fc1.layer_norm_weight", fill), "decoder.final_layernorm.weight": fill } });
    expect((await lint(megatron("gemma-like"))).ids).toEqual([]);
    const folded = await lint(megatron("gemma-folded"));
    expect(folded.ids).toEqual(["NL303/foldedTwice"]);
    expect(folded.findings.find((f) => f.code === "NL303")!.message).toContain("layout: Megatron (tensor naming: decoder.layers.0.self_attention.linear_qkv.layer_norm_weight)");
    // A plain family's Megatron checkpoint may or may not be zero-centred: not judged.
    expect((await lint(safetensorsFolder({ modelType: "llama", fill: "gemma-like", onlyAdded: true, add: eachLayer("decoder.layers.{N}.self_attention.linear_qkv.layer_norm_weight", "gemma-like") }))).ids).toEqual([]);
  });
  it("gated exception (Qwen3-Next): plain gated norms beside offset trunk norms are clean in HF, GGUF and MLX", async () => {
    expect((await lint(safetensorsFolder({ modelType: "qwen3_next", fill: "gemma-like", add: eachLayer("model.layers.{N}.linear_attn.norm.weight", "llama-like") }))).ids).toEqual([]);
    expect((await lint(ggufFolder("qwen3next", "gemma-folded", eachLayer("blk.{N}.ssm_norm.weight", "llama-like")))).ids).toEqual([]);
    expect((await lint(safetensorsFolder({ modelType: "qwen3_next", fill: "gemma-folded", metadata: MLX, add: eachLayer("model.layers.{N}.linear_attn.norm.weight", "llama-like") }))).ids).toEqual([]);
    expect((await lint(safetensorsFolder({ modelType: "qwen3_next", fill: "gemma-like", metadata: MLX }))).ids).toEqual(["NL303/notShifted"]);
    expect((await lint(safetensorsFolder({ modelType: "qwen3_next", fill: "gemma-double", metadata: MLX }))).ids).toEqual(["NL303/doubleShift"]);
  });
  it("already-converted input: an unquantized MLX conversion without markers is not called a folded HF checkpoint", async () => {
    // mlx-lm's sanitize() put Qwen3-Next's norms at 1; the file has HF naming and no MLX metadata.
    const r = await lint(safetensorsFolder({ modelType: "qwen3_next", fill: "gemma-folded", add: eachLayer("model.layers.{N}.linear_attn.norm.weight", "llama-like") }));
    expect(r.folder.layout).toMatchObject({ format: "hf", marked: false });
    expect(r.ids).toEqual([]);
    // Gemma has no MLX layout at 1, so the same picture is still a folded Gemma checkpoint.
    expect((await lint(safetensorsFolder({ modelType: "gemma2", fill: "gemma-folded" }))).ids).toEqual(["NL303/foldedTwice"]);
  });
});

describe("NL311 checkpoint-norm-layout-mixed", () => {
  it("trunk at +2 beside an MTP head at +1 (unsloth-zoo #1095)", async () => {
    const r = await lint(safetensorsFolder({ modelType: "qwen3_5_text", fill: "gemma-double", add: QWEN35_MTP("gemma-folded") }));
    expect(r.ids.sort()).toEqual(["NL303/doubleShift", "NL311/mixed"]);
    const f = r.findings.find((x) => x.code === "NL311")!;
    expect(f.severity).toBe("error");
    expect(f.message).toMatch(/trunk norms sit near 2 .* mtp norms sit near 1/);
    expect(f.message).toContain("layout: Hugging Face");
  });
  it("is silent when every group is where the layout keeps it, or shifted alike", async () => {
    expect((await lint(safetensorsFolder({ modelType: "qwen3_5_text", fill: "gemma-like", add: QWEN35_MTP("gemma-like") }))).ids).toEqual([]);
    // GGUF Qwen3.5: the MTP norms (enorm, hnorm, shared_head.norm) get the +1 like the trunk.
    expect((await lint(ggufFolder("qwen35", "gemma-folded", { "blk.6.nextn.enorm.weight": "gemma-folded", "blk.6.nextn.hnorm.weight": "gemma-folded", "blk.6.nextn.shared_head_norm.weight": "gemma-folded" }))).ids).toEqual([]);
    // Everything folded once: one layout mistake (NL303), not a mixture.
    expect((await lint(safetensorsFolder({ modelType: "qwen3_5_text", fill: "gemma-folded", metadata: { format: "pt" }, add: QWEN35_MTP("gemma-folded") }))).ids).toEqual([]);
  });
  it("flags a GGUF whose MTP head missed the converter's +1", async () => {
    const r = await lint(ggufFolder("qwen35", "gemma-folded", { "blk.6.nextn.enorm.weight": "gemma-like", "blk.6.nextn.hnorm.weight": "gemma-like", "blk.6.nextn.shared_head_norm.weight": "gemma-like" }));
    expect(r.ids).toEqual(["NL311/mixed"]);
    expect(r.findings[0].message).toContain("layout: GGUF (general.architecture=qwen35)");
  });
  it("does not compare raw values across layouts (llama.cpp #22565): a folded GGUF with plain gated norms is clean", async () => {
    expect((await lint(ggufFolder("qwen35", "gemma-folded", eachLayer("blk.{N}.ssm_norm.weight", "llama-like")))).ids).toEqual([]);
  });
});

describe("Norm Lab and verify in the detected layout (CPU reference)", () => {
  async function lab(input: ModelFolderInput) {
    const folder = await readModelFolder(input);
    const sources = new Map([...input.safetensors, ...input.gguf].map((f) => [f.path, f.source]));
    const { tensors } = await readLabTensors(folder, (p) => sources.get(p));
    const plan = planComparison(folder, tensors, { rows: 4 });
    return { plan, result: await runComparison(plan, cpuExec) };
  }
  it("a GGUF is compared in its own layout, and the verdict says what a loader must do", async () => {
    const ok = await lab(ggufFolder("gemma2", "gemma-folded"));
    expect(ok.plan).toMatchObject({ layout: "GGUF (general.architecture=gemma2)", familyOffset: false, stored: "plain" });
    expect(ok.result.verdict.kind).toBe("consistent");
    expect(ok.result.verdict.text).toContain("a loader must do nothing to them (layout: GGUF (general.architecture=gemma2))");
    const missing = await lab(ggufFolder("gemma2", "gemma-like"));
    expect(missing.result.verdict.kind).toBe("offset-missing");
    expect(missing.result.verdict.text).toContain("a loader must add 1");
    const double = await lab(ggufFolder("gemma2", "gemma-double"));
    expect(double.plan.stored).toBe("double");
    expect(double.result.verdict.kind).toBe("double-shift");
    expect(double.result.verdict.text).toContain("a loader must remove 1");
    const view = verdictView(double.result);
    expect(view).toMatchObject({ tone: "problem", title: "The norms are wrong: the +1 offset was applied twice before storage" });
    expect(view.body).toContain("in this layout (GGUF (general.architecture=gemma2)) should sit near 1, but they sit near 2");
  });
  it("an MLX Qwen3-Next conversion is read with sanitize()'s +1 already in", async () => {
    const ok = await lab(safetensorsFolder({ modelType: "qwen3_next", fill: "gemma-folded", metadata: MLX }));
    expect(ok.plan.layout).toBe("MLX (safetensors metadata format=mlx)");
    expect(ok.plan.tensors[0]).toMatchObject({ declared: "rmsnorm", alternative: "rmsnorm-offset" });
    expect(ok.plan.declaredText).toMatch(/MLX stores 1 \+ w, so its runtime computes x \* w$/);
    expect(ok.result.verdict.kind).toBe("consistent");
    const missing = await lab(safetensorsFolder({ modelType: "qwen3_next", fill: "gemma-like", metadata: MLX }));
    expect(missing.result.verdict.kind).toBe("offset-missing");
    // mlx-lm keeps Gemma's offsets (its RMSNorm adds 1 at run time): near 0 is right there.
    const gemma = await lab(safetensorsFolder({ modelType: "gemma2", fill: "gemma-like", metadata: MLX }));
    expect(gemma.plan.familyOffset).toBe(true);
    expect(gemma.result.verdict.kind).toBe("consistent");
    const hfTwice = await lab(safetensorsFolder({ modelType: "gemma2", fill: "gemma-folded" }));
    expect(hfTwice.result.verdict.text).toContain("a loader must remove 1");
  });
  it("verify prints the layout line and exits 1 on a double shift", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "normlint-layouts-")), "gguf-double");
    mkdirSync(dir, { recursive: true });
    const input = ggufFolder("gemma2", "gemma-double");
    const src = input.gguf[0].source;
    writeFileSync(join(dir, "model.gguf"), await src.read(0, src.size));
    let stdout = "";
    const code = await verifyCommand([dir, "--cpu"], (s) => void (stdout += s), () => undefined);
    expect(stdout).toContain("layout: GGUF (general.architecture=gemma2)");
    expect(stdout).toMatch(/verdict: the \+1 offset was applied twice before storage/);
    expect(code).toBe(1);
    let json = "";
    await verifyCommand([dir, "--cpu", "--json"], (s) => void (json += s), () => undefined);
    expect((JSON.parse(json) as VerifyJson).result.plan).toMatchObject({ stored: "double", layout: "GGUF (general.architecture=gemma2)" });
  });
});

describe("NL311 stays silent where trained weights could explain the picture", () => {
  it("a plain family's MTP norms away from 1, and an HF trunk in place beside an MTP group near 1", async () => {
    const deepseekLike = safetensorsFolder({ modelType: "llama", fill: "llama-like", add: { "model.layers.6.enorm.weight": "gemma-like", "model.layers.6.hnorm.weight": "gemma-like", "model.layers.6.shared_head.norm.weight": "gemma-like" } });
    expect((await lint(deepseekLike)).ids).toEqual([]);
    expect((await lint(safetensorsFolder({ modelType: "qwen3_5_text", fill: "gemma-like", add: QWEN35_MTP("gemma-folded") }))).ids).toEqual([]);
  });
});

describe("Megatron Bridge's gated exception (Qwen3-Next)", () => {
  const megatron = (trunk: Fill, gated: Fill) =>
    safetensorsFolder({
      modelType: "qwen3_next",
      fill: trunk,
      onlyAdded: true,
      add: {
        ...eachLayer("decoder.layers.{N}.self_attention.in_proj.layer_norm_weight", trunk),
        ...eachLayer("decoder.layers.{N}.pre_mlp_layernorm.weight", trunk),
        "decoder.final_layernorm.weight": trunk,
        ...eachLayer("decoder.layers.{N}.self_attention.out_norm.weight", gated),
      },
    });
  it("keeps every group near 0 (the gated norm had 1 subtracted); a gated norm left at 1 is mixed", async () => {
    expect(expectedCentre(family("qwen3_next")!, "megatron", "gated").centre).toBe(0);
    const ok = await lint(megatron("gemma-like", "gemma-like"));
    expect(ok.folder.layout.format).toBe("megatron");
    expect(ok.ids).toEqual([]);
    expect((await lint(megatron("gemma-like", "llama-like"))).ids).toEqual(["NL311/mixed"]);
  });
});

describe("hostile names", () => {
  it("a megabyte-long tensor name neither hangs the layout detection nor the group reading", async () => {
    const long = `${"norm".repeat(250_000)}x`;
    const input = safetensorsFolder({ modelType: "gemma2", fill: "gemma-like", shapes: { [long]: [64] } });
    const t0 = performance.now();
    const r = await lint(input);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(groupOf(long)).toBeUndefined();
    expect(r.folder.layout.format).toBe("hf");
  });
});

describe("protocol: the layout line and the double state", () => {
  it("a GGUF plan with a double shift crosses the wire and still rejects what the schema does not allow", async () => {
    const folder = await readModelFolder(ggufFolder("gemma2", "gemma-double"));
    const src = ggufFolder("gemma2", "gemma-double").gguf[0].source;
    const { tensors } = await readLabTensors(folder, () => src);
    const wire = planToWire(planComparison(folder, tensors, { rows: 2 }));
    expect(wire).toMatchObject({ stored: "double", layout: "GGUF (general.architecture=gemma2)" });
    expect(validateToWebview({ type: "load", folder: "g", plan: wire }).ok).toBe(true);
    expect(validateToWebview({ type: "load", folder: "g", plan: { ...wire, stored: "triple" } }).ok).toBe(false);
    expect(validateToWebview({ type: "load", folder: "g", plan: { ...wire, layout: 3 } }).ok).toBe(false);
  });
});

describe("field incidents (../shared/notes/field-incidents.md, theme B)", () => {
  it("unsloth-zoo #1095: GGUF at source + 2 with a grafted MTP head at + 1", async () => {
    const r = await lint(ggufFolder("qwen35", "gemma-double", { "blk.6.nextn.enorm.weight": "gemma-folded", "blk.6.nextn.hnorm.weight": "gemma-folded", "blk.6.nextn.shared_head_norm.weight": "gemma-folded" }));
    expect(r.ids.sort()).toEqual(["NL303/doubleShift", "NL311/mixed"]);
  });
  it("llama.cpp #23758: an MLX-shifted Qwen3.5 converted again to GGUF sits near 2", async () => {
    expect((await lint(ggufFolder("qwen35", "gemma-double", eachLayer("blk.{N}.ssm_norm.weight", "gemma-folded")))).ids).toContain("NL303/doubleShift");
  });
  it("mlx-lm #1623 / mlx-vlm #1528: sanitize() re-shifts an already-converted Qwen3.5 MLX checkpoint", async () => {
    expect((await lint(safetensorsFolder({ modelType: "qwen3_5_text", fill: "gemma-double", metadata: MLX }))).ids).toEqual(["NL303/doubleShift"]);
  });
});

describe("classifyCentre never answers against the evidence", () => {
  it("random groups mixing fills are never called at a centre most of their tensors are not at", () => {
    const fills: Fill[] = ["gemma-like", "gemma-folded", "gemma-double", "llama-like"];
    let seed = 11;
    for (let k = 0; k < 400; k++) {
      const n = 3 + (k % 12);
      const pick = fills[k % 4];
      const other = fills[(k >> 2) % 4];
      const stray = k % 3;
      const stats = Array.from({ length: n }, (_, i) => tensorStats(`t${i}`, fillValues(i < stray ? other : pick, 128, seed++)));
      const c = classifyCentre(stats);
      if (c.centre === "unknown") continue;
      const [lo, hi] = { 0: [-0.5, 0.6], 1: [0.7, 1.6], 2: [1.75, 3.2] }[c.centre];
      const inside = stats.filter((t) => t.median > lo && t.median < hi).length;
      expect(inside / n, `${k}: ${pick} with ${stray} ${other} called ${c.centre}`).toBeGreaterThanOrEqual(n < 10 ? 1 : 0.9);
    }
  });
});

describe("mlx-lm's legacy weights.npz", () => {
  it("marks the folder as MLX", async () => {
    const input = { ...safetensorsFolder({ modelType: "qwen3_next", fill: "gemma-folded" }), files: ["config.json", "weights.npz", "model.safetensors"] };
    const r = await lint(input);
    expect(r.folder.layout).toMatchObject({ format: "mlx", label: "MLX (weights.npz)", marked: true });
    expect(r.ids).toEqual([]);
  });
});

describe("trunk norms whose names the group patterns do not know", () => {
  it("reads BERT's `LayerNorm.weight` scales as the trunk's norm statistics", async () => {
    const { folderInput } = await import("./harness/model-folder");
    const folder = await readModelFolder(folderInput({ modelType: "bert", fill: "zeros" }));
    expect(folder.normTensors.length).toBeGreaterThan(0);
    expect(folder.normTensors.every((n) => /LayerNorm\.weight$/.test(n.name))).toBe(true);
  });
});
