// What the Norm Lab page shows, computed from comparisons on CPU (src/engine/lab-view.ts): tensors
// placed by layer and role, where each tensor's weights sit against each convention, the verdict in
// plain words with its next step, the kernel check kept apart, and the table's filter and sort.
import { describe, expect, it } from "vitest";
import { readModelFolder } from "../src/engine/folder";
import { cpuExec, runComparison } from "../src/engine/lab";
import { planComparison, readLabTensors } from "../src/engine/lab-plan";
import { constantDifferenceNote, fitOf, kernelCheck, modelMap, placeOf, tableColumns, tableRows, verdictView } from "../src/engine/lab-view";
import { folderInput, type FolderSpec } from "./harness/model-folder";

async function result(spec: FolderSpec) {
  const input = folderInput(spec);
  const folder = await readModelFolder(input);
  const { tensors } = await readLabTensors(folder, () => input.safetensors[0].source);
  return runComparison(planComparison(folder, tensors, { rows: 4, seed: 2 }), cpuExec);
}

describe("placing tensors", () => {
  it("reads the layer index and the role from HF and GGUF names", () => {
    expect(placeOf("model.layers.12.post_attention_layernorm.weight")).toEqual({ layer: 12, role: "post_attention_layernorm" });
    expect(placeOf("blk.3.attn_norm.weight")).toEqual({ layer: 3, role: "attn_norm" });
    expect(placeOf("encoder.block.0.layer.1.layer_norm.weight")).toEqual({ layer: 0, role: "layer.1.layer_norm" });
    expect(placeOf("model.norm.weight")).toEqual({ role: "model.norm" });
  });

  it("a tensor fits the convention that expects its side: near 0 for x * (1 + w), near 1 for x * w", () => {
    expect(fitOf({ side: "offset", declared: "rmsnorm-offset", alternative: "rmsnorm" })).toBe("declared");
    expect(fitOf({ side: "plain", declared: "rmsnorm-offset", alternative: "rmsnorm" })).toBe("alternative");
    expect(fitOf({ side: undefined, declared: "rmsnorm", alternative: "rmsnorm-offset" })).toBe("unclear");
    // LayerNorm against RMSNorm: both expect near 1, so near 0 fits neither.
    expect(fitOf({ side: "offset", declared: "layernorm-nobias", alternative: "rmsnorm" })).toBe("neither");
  });
});

describe("the model map and the verdict", () => {
  it("Gemma weights under a Llama config: every tensor on the map contradicts llama, the +1 is missing, NL303 next", async () => {
    const r = await result({ modelType: "llama", fill: "gemma-like", hidden: 64, layers: 6 });
    const map = modelMap(r);
    expect(map.layers).toEqual([0, 1, 2, 3, 4, 5]);
    expect(map.rows.map((x) => x.role)).toEqual(["input_layernorm", "post_attention_layernorm"]);
    expect(map.outside.map((x) => x.role)).toEqual(["model.norm"]);
    expect(map.counts.declared + map.counts.neither).toBe(0);
    expect(map.counts.alternative).toBeGreaterThanOrEqual(10);
    expect(map.counts.alternative + map.counts.unclear).toBe(13);
    expect(map.summary).toMatch(/^Model map of 13 norm tensors \(6 layers by 2 norm roles, plus 1 outside the layers\): \d+ sit where the other convention expects them/);
    expect(map.rows[1].cells[3]?.label).toMatch(/^layer 3, post_attention_layernorm: weights median -?0\.\d+ \((near 0\), fits the other convention|between 0 and 1\), between 0 and 1: unclear); output change \d+%$/);
    const v = verdictView(r, map);
    expect(v.tone).toBe("problem");
    expect(v.title).toBe("The norms are wrong: the +1 offset is missing");
    expect(v.body).toMatch(/^llama computes x \* w, so its norm weights should sit near 1, but \d+ of 13 sit near 0/);
    expect(v.consequence).toMatch(/^Each norm's output changes by a median \d+% \(relative L2\) from what the weights were trained to give; cosine similarity falls to 0\.\d+\./);
    expect(v.next.join(" ")).toMatch(/add 1 to every norm weight/);
    expect(v.actions.map((a) => (a.kind === "finding" ? a.code : a.kind))).toEqual(["NL303", "problems"]);
    // The verdict speaks about the model; the kernel check is apart.
    expect(`${v.title} ${v.body} ${v.consequence}`).not.toMatch(/GPU|ULP|kernel/);
  });

  it("a correct Gemma 2 checkpoint: the norms are right, with the size of the mistake ruled out", async () => {
    const r = await result({ modelType: "gemma2", fill: "gemma-like", hidden: 64, layers: 4 });
    const v = verdictView(r);
    expect(v.tone).toBe("ok");
    expect(v.title).toBe("The norms are right");
    expect(v.consequence).toMatch(/^The other convention would change each norm's output by a median \d+%/);
    expect(v.actions.map((a) => a.kind)).toEqual(["problems"]);
  });

  it("folded Gemma 2 weights: the +1 is added twice, and the next step takes it back out", async () => {
    const v = verdictView(await result({ modelType: "gemma2", fill: "llama-like", hidden: 64, layers: 4 }));
    expect(v.title).toBe("The norms are wrong: the +1 offset is added twice");
    expect(v.next[0]).toMatch(/^Take the folded \+1 back out: subtract 1 from every norm weight/);
  });
});

describe("kernel check and table", () => {
  it("the kernel check names a CPU fallback adapter in the warning tone and says it checks normlint", async () => {
    const r = await result({ modelType: "llama", fill: "gemma-like", hidden: 64, layers: 2 });
    expect(kernelCheck(r)).toEqual({ tone: "warning", text: expect.stringMatching(/no GPU kernel ran, so there is no kernel check/) });
    const gpu = { ...r, backend: "gpu" as const, verified: true, worst: { maxUlp: 2, maxAbs: 1e-7, maxRel: 1e-7 } };
    expect(kernelCheck(gpu, { label: "google swiftshader", fallback: true })).toEqual({
      tone: "warning",
      text: "Kernel check: normlint's GPU kernel matched its float64 reference within 2.00 ULP on google swiftshader, a CPU fallback adapter (SwiftShader-like), not a GPU. This checks normlint, not your model.",
    });
    expect(kernelCheck(gpu, { label: "nvidia", fallback: false }).tone).toBe("neutral");
  });

  it("columns explain themselves, the constant difference is said once, rows filter and sort", async () => {
    const r = await result({ modelType: "llama", fill: "gemma-like", hidden: 64, layers: 6 });
    const cols = tableColumns(r);
    expect(cols.map((c) => c.header)).toEqual(["Layer", "Norm", "Weights median", "Fits", "Output change", "Cosine"]);
    for (const c of cols) expect(c.tooltip.length).toBeGreaterThan(30);
    expect(tableColumns({ ...r, backend: "gpu" }).at(-1)!.header).toBe("Kernel check");
    expect(constantDifferenceNote(r)).toMatch(/the same for every tensor of a hidden size \(\d\.\d+ here\)/);
    expect(tableRows(r, cols, "post_attention")).toHaveLength(6);
    const byMedian = tableRows(r, cols, "", { id: "median", descending: true }).map((i) => r.tensors[i].median);
    expect(byMedian).toEqual([...byMedian].sort((a, b) => b - a));
    const byLayer = tableRows(r, cols, "", { id: "layer", descending: false });
    expect(placeOf(r.tensors[byLayer.at(-1)!].name).layer).toBeUndefined();
  });
});
