import { describe, expect, it } from "vitest";
import { lintFolder, type ModelFolderInput } from "../src/engine/folder";
import { bytesSource } from "../src/engine/io";
import { defaultSettings } from "../src/engine/index";
import { buildGguf, buildSafetensors } from "./harness/checkpoint-builder";
import { folderInput } from "./harness/model-folder";

const lint = async (input: ModelFolderInput) => (await lintFolder(input, () => defaultSettings())).findings;
const codes = async (input: ModelFolderInput) => (await lint(input)).map((f) => `${f.code}/${f.messageId}`);

describe("checkpoint-norm-offset-mismatch (NL303)", () => {
  it("is silent on a correct Gemma 2 checkpoint (weights near 0) and a correct Llama one (near 1)", async () => {
    expect(await codes(folderInput({ modelType: "gemma2", fill: "gemma-like" }))).toEqual([]);
    expect(await codes(folderInput({ modelType: "llama", fill: "llama-like" }))).toEqual([]);
  });

  it("flags a Gemma 2 checkpoint whose +1 was folded in", async () => {
    const findings = await lint(folderInput({ modelType: "gemma2", fill: "llama-like" }));
    expect(findings.map((f) => `${f.code}/${f.messageId}`)).toEqual(["NL303/foldedTwice"]);
    expect(findings[0].file).toBe("m/config.json");
    expect(findings[0].message).toMatch(/median of means (0\.9|1\.)\d+, \d+\/25 near 1/);
    expect(findings[0].related?.[0].file).toBe("m/model.safetensors");
  });

  it("flags Gemma-encoded weights under a Llama config", async () => {
    expect(await codes(folderInput({ modelType: "llama", fill: "gemma-like" }))).toEqual(["NL303/offsetIntoPlain"]);
  });

  it("flags Nemotron (LayerNorm1P) weights stored with the offset folded", async () => {
    expect(await codes(folderInput({ modelType: "nemotron", fill: "llama-like", edit: (t) => {
      for (const k of Object.keys(t)) if (k.endsWith("layernorm.weight") || k === "model.norm.weight") t[k.replace(/weight$/, "bias")] = { dtype: "BF16", shape: t[k].shape, fill: "zeros" };
    } }))).toEqual(["NL303/foldedTwice"]);
  });

  it("stays silent when the evidence is weak (two tensors)", async () => {
    expect(await codes(folderInput({ modelType: "gemma2", fill: "llama-like", layers: 0 }))).toEqual([]);
  });

  it("knows llama.cpp folds Gemma's +1 into GGUF files", async () => {
    const gguf = (fill: "gemma-like" | "llama-like") => {
      const tensors: Record<string, { type: string; dims: number[]; fill: typeof fill }> = { "output_norm.weight": { type: "F32", dims: [64], fill } };
      for (let i = 0; i < 6; i++) {
        tensors[`blk.${i}.attn_norm.weight`] = { type: "F32", dims: [64], fill };
        tensors[`blk.${i}.ffn_norm.weight`] = { type: "F32", dims: [64], fill };
      }
      return buildGguf({ metadata: { "general.architecture": "gemma2", "gemma2.attention.layer_norm_rms_epsilon": { type: "f32", value: 1e-6 } }, tensors });
    };
    const input = (fill: "gemma-like" | "llama-like"): ModelFolderInput => ({ dir: "g", safetensors: [], gguf: [{ path: "g/m.gguf", source: bytesSource(gguf(fill)) }], pickles: [] });
    expect(await codes(input("llama-like"))).toEqual([]);
    expect(await codes(input("gemma-like"))).toEqual(["NL303/notShifted"]);
  });
});

describe("checkpoint structure rules", () => {
  it("NL305: a layer missing a norm the others have", async () => {
    const f = await lint(folderInput({ modelType: "llama", fill: "llama-like", layers: 12, edit: (t) => void delete t["model.layers.7.post_attention_layernorm.weight"] }));
    expect(f.map((x) => x.code)).toEqual(["NL305"]);
    expect(f[0].message).toContain("layer(s) 7 of 12");
  });

  it("NL305: layers the model builds without the norm are not missing (ModernBERT's layer 0, MoE-only norms)", async () => {
    const modern = (drop: number[]) => folderInput({ modelType: "modernbert", fill: "llama-like", layers: 12, config: { norm_eps: 1e-5 }, edit: (t) => drop.forEach((l) => delete t[`model.layers.${l}.attn_norm.weight`]) });
    expect(await codes(modern([0]))).toEqual([]);
    const f = await lint(modern([0, 5]));
    expect(f.map((x) => x.code)).toEqual(["NL305"]);
    expect(f[0].message).toContain("layer(s) 5 of 12");
    // A.X K1: post_mlp_layernorm exists only on MoE layers, from first_k_dense_replace on.
    const axk1 = (dense: number) =>
      folderInput({ modelType: "axk1", fill: "llama-like", layers: 12, config: { first_k_dense_replace: dense }, edit: (t) => [0, 1].forEach((l) => delete t[`model.layers.${l}.mlp.post_mlp_layernorm.weight`]) });
    expect((await lint(axk1(2))).filter((x) => x.code === "NL305")).toEqual([]);
    expect((await lint(axk1(1))).find((x) => x.code === "NL305")?.message).toContain("layer(s) 1 of 12");
  });

  it("NL307: a config switch for the norm bias decides (ModernBERT's norm_bias)", async () => {
    const modern = (config: Record<string, unknown>) =>
      folderInput({ modelType: "modernbert", fill: "llama-like", config: { norm_eps: 1e-5, ...config }, edit: (t) => void (t["model.final_norm.bias"] = { dtype: "BF16", shape: [64], fill: "zeros" }) });
    expect(await codes(modern({}))).toEqual(["NL307/unexpected"]);
    expect(await codes(modern({ norm_bias: false }))).toEqual(["NL307/unexpected"]);
    // norm_bias true: the final norm's bias is expected, and the others' are missing.
    expect(await codes(modern({ norm_bias: true }))).toEqual(["NL307/missing"]);
  });

  it("NL306: a norm whose size is not hidden_size", async () => {
    const f = await lint(folderInput({ modelType: "llama", fill: "llama-like", config: { hidden_size: 128 } }));
    expect(f.map((x) => x.code)).toEqual(["NL306"]);
    expect(f[0].message).toContain("hidden_size = 128");
  });

  it("NL307: a LayerNorm bias in a bias-free RMSNorm family, and a missing required bias", async () => {
    const llama = await lint(folderInput({ modelType: "llama", fill: "llama-like", edit: (t) => void (t["model.norm.bias"] = { dtype: "BF16", shape: [64], fill: "zeros" }) }));
    expect(llama.map((x) => `${x.code}/${x.messageId}`)).toEqual(["NL307/unexpected"]);
  });

  it("NL301 and NL302: invalid files with byte offsets, the folder still linted", async () => {
    const good = buildSafetensors({ tensors: { a: { dtype: "F32", shape: [2], values: [1, 2] } } }).bytes;
    const truncated = good.subarray(0, good.length - 3);
    const f = await lint({ dir: "x", safetensors: [{ path: "x/a.safetensors", source: bytesSource(truncated) }], gguf: [{ path: "x/b.gguf", source: bytesSource(new TextEncoder().encode("GGUF\x03\x00")) }], pickles: [] });
    expect(f.map((x) => x.code).sort()).toEqual(["NL301", "NL302"]);
    expect(f.find((x) => x.code === "NL301")!.message).toMatch(/at byte \d+/);
  });

  it("NL308: an index that lists a tensor in the wrong shard", async () => {
    const a = buildSafetensors({ tensors: { "model.norm.weight": { dtype: "F32", shape: [4], fill: "ones" } } }).bytes;
    const index = { weight_map: { "model.norm.weight": "model-00002-of-00002.safetensors" } };
    const f = await lint({
      dir: "s",
      index: { path: "s/model.safetensors.index.json", bytes: new TextEncoder().encode(JSON.stringify(index)) },
      safetensors: [{ path: "s/model-00001-of-00002.safetensors", source: bytesSource(a) }],
      gguf: [],
      pickles: [],
    });
    expect(f.every((x) => x.code === "NL308")).toBe(true);
    expect(f.length).toBeGreaterThan(0);
  });

  it("NL310: a folder with only a PyTorch pickle is noted, never read", async () => {
    const input = folderInput({ modelType: "llama", fill: "llama-like" });
    expect(await codes({ ...input, safetensors: [], pickles: ["m/pytorch_model.bin"] })).toEqual(["NL310/unread"]);
  });
});
