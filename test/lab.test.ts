// The Norm Lab's comparison on CPU (the float64 reference as executor): declared vs alternative
// conventions, verdicts consistent with NL303, reproducible activations, and GPU-result checking
// with a fake executor that returns wrong numbers.
import { describe, expect, it } from "vitest";
import { readModelFolder } from "../src/engine/folder";
import { activations, alternativeVariant, cpuExec, declaredVariant, type LabExec, runComparison } from "../src/engine/lab";
import { activationCandidates, implementedVariant, planComparison, readLabTensors } from "../src/engine/lab-plan";
import type { ModuleAnalysis } from "../src/engine/python";
import { family } from "../src/engine/knowledge/index";
import { bytesSource, countingSource } from "../src/engine/io";
import { readSafetensorsHeader, readTensor } from "../src/engine/parsers/safetensors";
import { buildGguf, buildSafetensors, type GgufMeta } from "./harness/checkpoint-builder";
import { folderInput, type FolderSpec } from "./harness/model-folder";

async function load(spec: FolderSpec) {
  const input = folderInput(spec);
  const folder = await readModelFolder(input);
  const tensors = [];
  for (const t of folder.normTensors) {
    const c = folder.checkpoints.find((k) => k.path === t.file)!;
    const r = await readTensor(input.safetensors[0].source, c.safetensors!, t.name);
    if (r.ok) tensors.push({ name: t.name, data: r.data });
  }
  return { folder, tensors };
}

describe("declared and alternative conventions", () => {
  it("maps families to variants", () => {
    expect(declaredVariant(family("gemma2"))).toBe("rmsnorm-offset");
    expect(declaredVariant(family("llama"))).toBe("rmsnorm");
    expect(alternativeVariant("rmsnorm-offset").variant).toBe("rmsnorm");
    expect(alternativeVariant("layernorm1p").variant).toBe("layernorm");
  });
});

describe("runComparison on CPU", () => {
  it("a correct Gemma 2 checkpoint is consistent", async () => {
    const { folder, tensors } = await load({ modelType: "gemma2", fill: "gemma-like", hidden: 96 });
    const plan = planComparison(folder, tensors, { rows: 4, seed: 7 });
    expect(plan.tensors.length).toBe(tensors.length);
    expect(plan.eps).toBe(1e-6);
    const r = await runComparison(plan, cpuExec);
    expect(r.verdict.kind).toBe("consistent");
    expect(r.backend).toBe("cpu");
    expect(r.verified).toBe(false);
    expect(r.tensors[0].baseline).toBe("declared");
    expect(r.tensors[0].channelRms.length).toBe(96);
    expect(r.tensors[0].histogram.fracNear0).toBeGreaterThan(r.tensors[0].histogram.fracNear1);
  });

  it("Gemma weights in a Llama model: the +1 offset is missing", async () => {
    const { folder, tensors } = await load({ modelType: "llama", fill: "gemma-like", hidden: 64 });
    const r = await runComparison(planComparison(folder, tensors, { rows: 4 }), cpuExec);
    expect(r.verdict.kind).toBe("offset-missing");
    expect(r.verdict.text).toMatch(/^the \+1 offset is missing: .* outputs differ by \d+% relative L2/);
    expect(r.tensors[0].baseline).toBe("alternative");
    expect(r.medianRelL2).toBeGreaterThan(0.5);
    expect(r.medianRelL2).toBeLessThan(1.5);
  });

  it("folded weights in a Gemma 2 model: the +1 offset is applied twice", async () => {
    const { folder, tensors } = await load({ modelType: "gemma2", fill: "llama-like", hidden: 64 });
    const r = await runComparison(planComparison(folder, tensors, { rows: 4 }), cpuExec);
    expect(r.verdict.kind).toBe("offset-twice");
    expect(r.minCosine).toBeLessThan(1);
  });

  it("activations are reproducible from the seed and scale", () => {
    const a = activations({ rows: 2, seed: 3, scale: 2 }, 10);
    expect(Array.from(a)).toEqual(Array.from(activations({ rows: 2, seed: 3, scale: 2 }, 10)));
    expect(Array.from(a)).not.toEqual(Array.from(activations({ rows: 2, seed: 4, scale: 2 }, 10)));
  });

  it("verifies GPU-labelled outputs and refuses wrong ones", async () => {
    const { folder, tensors } = await load({ modelType: "gemma2", fill: "gemma-like", hidden: 32, layers: 1 });
    const plan = planComparison(folder, tensors, { rows: 2 });
    const good: LabExec = async (run) => ({ ...(await cpuExec(run)), backend: "gpu" });
    const ok = await runComparison(plan, good);
    expect(ok.verified).toBe(true);
    expect(ok.worst?.maxUlp).toBe(0);
    expect(ok.tensors[0].verification?.declared.text).toMatch(/^GPU-verified/);
    const bad: LabExec = async (run) => {
      const r = await cpuExec(run);
      r.out[0] += 0.5;
      return { ...r, backend: "gpu" };
    };
    const wrong = await runComparison(plan, bad);
    expect(wrong.verified).toBe(false);
    expect(wrong.tensors[0].verification?.declared.text).toMatch(/^NOT verified/);
  });

  it("says why when the family is unknown", async () => {
    const { folder, tensors } = await load({ modelType: "llama", fill: "llama-like", config: { model_type: "no-such-model" } });
    const plan = planComparison(folder, tensors);
    expect(plan.tensors).toEqual([]);
    const r = await runComparison(plan, cpuExec);
    expect(r.verdict.kind).toBe("no-tensors");
  });
});

describe("the implemented convention (modeling code in the folder)", () => {
  const norm = (name: string, kind: "rms" | "layer", offset: boolean, bias?: string) =>
    ({ name, compute: { kind, via: "explicit", stats: { start: 0, end: 0 }, statsDtype: "fp32", ...(bias ? { bias } : {}), scale: { param: "weight", offset } } }) as unknown as ModuleAnalysis["norms"][number];
  const mod = (path: string, ...norms: ModuleAnalysis["norms"]) => ({ path, norms }) as unknown as ModuleAnalysis;

  it("reads the variant of the declared kind's classes, and notes classes that disagree", () => {
    const notes: string[] = [];
    expect(implementedVariant([mod("m/modeling.py", norm("GemmaRMSNorm", "rms", false), norm("SiglipLayerNorm", "layer", false, "bias"))], "rmsnorm-offset", notes)).toEqual({ variant: "rmsnorm", where: "GemmaRMSNorm in modeling.py" });
    expect(implementedVariant([mod("a.py", norm("A", "rms", true)), mod("b.py", norm("B", "rms", false))], "rmsnorm-offset", notes)).toBeUndefined();
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/A in a.py: rmsnorm-offset; B in b.py: rmsnorm/);
    expect(implementedVariant([], "rmsnorm", notes)).toBeUndefined();
  });

  it("runs a third variant only when the code's is neither declared nor alternative, and says so in the verdict", async () => {
    const { folder, tensors } = await load({ modelType: "gemma2", fill: "gemma-like", hidden: 64 });
    const plan = planComparison(folder, tensors, { rows: 4 }, [mod("modeling.py", norm("Gemma2RMSNorm", "layer", false))]);
    expect(plan.implementedText).toBe("Gemma2RMSNorm in modeling.py");
    expect(plan.tensors[0].implemented).toBe("layernorm-nobias");
    const variants: string[] = [];
    const counting: LabExec = async (run) => (variants.push(run.variant), cpuExec(run));
    const r = await runComparison(plan, counting);
    expect(variants.filter((v) => v === "layernorm-nobias")).toHaveLength(plan.tensors.length);
    expect(r.tensors[0].implemented!.relL2).toBeGreaterThan(0.1);
    expect(r.verdict.kind).toBe("consistent");
    expect(r.verdict.implementationDiffers).toBe(true);
    expect(r.verdict.text).toMatch(/the code implements LayerNorm x \* w \(Gemma2RMSNorm in modeling\.py\), gemma2 declares RMSNorm x \* \(1 \+ w\): its outputs differ by/);
  });
});

describe("GGUF folders", () => {
  // llama.cpp's converter folds Gemma's +1 into the stored weights and computes x * w.
  const gguf = (fill: "gemma-like" | "llama-like", eps?: number) => {
    const tensors: Record<string, { type: string; dims: number[]; fill: typeof fill }> = { "output_norm.weight": { type: "F32", dims: [64], fill } };
    for (let i = 0; i < 6; i++) {
      tensors[`blk.${i}.attn_norm.weight`] = { type: "F32", dims: [64], fill };
      tensors[`blk.${i}.ffn_norm.weight`] = { type: "F32", dims: [64], fill };
    }
    const metadata: Record<string, GgufMeta> = { "general.architecture": "gemma2" };
    if (eps !== undefined) metadata["gemma2.attention.layer_norm_rms_epsilon"] = { type: "f32", value: eps };
    return buildGguf({ metadata, tensors });
  };
  async function plan(fill: "gemma-like" | "llama-like", eps?: number) {
    const src = bytesSource(gguf(fill, eps));
    const folder = await readModelFolder({ dir: "g", safetensors: [], gguf: [{ path: "g/m.gguf", source: src }], pickles: [] });
    const { tensors, problems } = await readLabTensors(folder, () => src);
    expect(problems).toEqual([]);
    return planComparison(folder, tensors, { rows: 4 });
  }

  it("a folded Gemma GGUF is consistent with x * w, and adding the 1 again is the alternative", async () => {
    const p = await plan("llama-like", 2 ** -20);
    expect(p.family).toBe("gemma2");
    expect(p.tensors).toHaveLength(13);
    expect(p.tensors[0]).toMatchObject({ declared: "rmsnorm", alternative: "rmsnorm-offset", alternativeLabel: "with the +1 added again (x * (1 + w))" });
    expect(p.declaredText).toMatch(/GGUF stores 1 \+ w, so llama\.cpp computes x \* w$/);
    // No config.json: eps comes from the GGUF metadata (an f32, exactly representable here).
    expect(p.eps).toBe(2 ** -20);
    const r = await runComparison(p, cpuExec);
    expect(r.verdict.kind).toBe("consistent");
  });

  it("an unfolded Gemma GGUF (weights near 0): the +1 is missing under llama.cpp", async () => {
    const r = await runComparison(await plan("gemma-like"), cpuExec);
    expect(r.verdict.kind).toBe("offset-missing");
    expect(r.medianRelL2).toBeGreaterThan(0.5);
  });
});

describe("activations from the folder", () => {
  it("offers tensors of a norm's hidden size, activation names first, then embeddings; never norm weights", async () => {
    const input = folderInput({
      modelType: "llama",
      fill: "llama-like",
      hidden: 64,
      edit: (t) => {
        t["hidden_states"] = { dtype: "F32", shape: [3, 64], fill: "normal" };
        t["lm_head.weight"] = { dtype: "BF16", shape: [32, 64], fill: "normal" };
        t["model.layers.0.mlp.up_proj.weight"] = { dtype: "BF16", shape: [64, 48], fill: "normal" };
        t["ids"] = { dtype: "I64", shape: [2, 64], fill: "normal" };
      },
    });
    const folder = await readModelFolder(input);
    const c = activationCandidates(folder, [64]);
    expect(c.map((x) => x.tensor)).toEqual(["hidden_states", "model.embed_tokens.weight", "lm_head.weight"]);
    expect(c[0]).toMatchObject({ shape: [3, 64], dtype: "F32" });
    expect(activationCandidates(folder, [64], 1)).toHaveLength(1);
    expect(activationCandidates(folder, [128])).toEqual([]);
  });

  it("readTensor's firstRows reads only the leading rows' bytes", async () => {
    const values = Array.from({ length: 32 * 64 }, (_, i) => i);
    const built = buildSafetensors({ tensors: { e: { dtype: "F32", shape: [2, 16, 64], values } } });
    const src = countingSource(bytesSource(built.bytes));
    const h = await readSafetensorsHeader(src);
    if (!h.ok) throw new Error("bad header");
    const before = src.bytesRead;
    const r = await readTensor(src, h.header, "e", { firstRows: 3 });
    expect(r).toMatchObject({ ok: true, shape: [3, 64] });
    if (r.ok) expect(Array.from(r.data.subarray(0, 3))).toEqual([0, 1, 2]);
    if (r.ok) expect(r.data.length).toBe(192);
    expect(src.bytesRead - before).toBe(192 * 4);
    // Asking for more rows than there are reads them all; a huge tensor is sampled under the cap.
    expect(await readTensor(src, h.header, "e", { firstRows: 1000 })).toMatchObject({ ok: true, shape: [32, 64] });
    expect(await readTensor(src, h.header, "e", { firstRows: 2, maxBytes: 1024 })).toMatchObject({ ok: true, shape: [2, 64] });
    expect(await readTensor(src, h.header, "e", { firstRows: 100, maxBytes: 1024 })).toMatchObject({ ok: true, shape: [4, 64] });
    // A single row over the cap is not read.
    expect(await readTensor(src, h.header, "e", { firstRows: 1, maxBytes: 100 })).toMatchObject({ ok: false, reason: "too-large" });
    expect(await readTensor(src, h.header, "e", { maxBytes: 1024 })).toMatchObject({ ok: false, reason: "too-large" });
  });
});
