// Knowledge-base module paths with more than one `{N}` (StableLM's per-head q/k LayerNorms, Swin's
// `layers.{N}.blocks.{N}`, LongCat-Flash's two attentions per layer, MLA latent norms) as the
// checkpoint rules NL305/NL306/NL307 match them, and the name patterns on hostile names.
import { describe, expect, it } from "vitest";
import { lintFolder, type ModelFolderInput } from "../src/engine/folder";
import { MAX_TENSOR_NAME, normPathRegex } from "../src/engine/folder-model";
import { defaultSettings } from "../src/engine/index";
import { bytesSource } from "../src/engine/io";
import { buildSafetensors, type TensorDesc } from "./harness/checkpoint-builder";
import { folderInput } from "./harness/model-folder";

const enc = new TextEncoder();
const checkpointRules = /^NL30[567]$/;
const codes = async (input: ModelFolderInput) =>
  (await lintFolder(input, () => defaultSettings())).findings.filter((f) => checkpointRules.test(f.code)).map((f) => `${f.code}/${f.messageId}`);

function folder(config: Record<string, unknown>, tensors: Record<string, TensorDesc>): ModelFolderInput {
  return {
    dir: "m",
    config: { path: "m/config.json", bytes: enc.encode(JSON.stringify(config)) },
    safetensors: [{ path: "m/model.safetensors", source: bytesSource(buildSafetensors({ tensors }).bytes) }],
    gguf: [],
    pickles: [],
  };
}

const ln = (width: number, bias = true): Record<string, TensorDesc> => ({
  weight: { dtype: "F32", shape: [width], fill: "llama-like" },
  ...(bias ? { bias: { dtype: "F32", shape: [width], fill: "zeros" } } : {}),
});
const at = (path: string, t: Record<string, TensorDesc>) => Object.fromEntries(Object.entries(t).map(([k, v]) => [`${path}.${k}`, v]));

describe("normPathRegex", () => {
  it("turns every {N} into an index, the layer's first", () => {
    const p = normPathRegex("model.layers.{N}.self_attn.q_layernorm.norms.{N}", "weight");
    const m = p.exec("model.layers.7.self_attn.q_layernorm.norms.3.weight");
    expect(m?.slice(2)).toEqual(["7", "3"]);
    expect(p.test("model.layers.7.self_attn.q_layernorm.norms.{N}.weight")).toBe(false);
    expect(normPathRegex("swin.encoder.layers.{N}.blocks.{N}.layernorm_before", "bias").test("swin.encoder.layers.1.blocks.0.layernorm_before.bias")).toBe(true);
  });

  it("skips names longer than MAX_TENSOR_NAME, and a megabyte-long hostile name returns at once", () => {
    const p = normPathRegex("model.layers.{N}.blocks.{N}.input_layernorm", "weight");
    const real = "model.layers.1.blocks.2.input_layernorm.weight";
    expect(p.test(real)).toBe(true);
    expect(p.test(`${"x".repeat(MAX_TENSOR_NAME)}.${real}`)).toBe(false);
    const hostile = `.layers.${"1".repeat(1 << 20)}.blocks.${".layers.1.blocks.".repeat(1 << 16)}`;
    const t0 = performance.now();
    expect(p.test(hostile)).toBe(false);
    expect(p.exec(hostile)).toBeNull();
    expect(performance.now() - t0).toBeLessThan(50);
  });
});

describe("checkpoint rules on paths with two {N}", () => {
  const stablelm = (perHead: (l: number, h: number) => Record<string, TensorDesc> | undefined, layers = 12) => {
    const t: Record<string, TensorDesc> = {};
    for (let l = 0; l < layers; l++) {
      Object.assign(t, at(`model.layers.${l}.input_layernorm`, ln(64)), at(`model.layers.${l}.post_attention_layernorm`, ln(64)));
      for (let h = 0; h < 4; h++) {
        const x = perHead(l, h);
        if (x) Object.assign(t, at(`model.layers.${l}.self_attn.q_layernorm.norms.${h}`, x), at(`model.layers.${l}.self_attn.k_layernorm.norms.${h}`, x));
      }
    }
    Object.assign(t, at("model.norm", ln(64)));
    return folder({ model_type: "stablelm", hidden_size: 64, num_hidden_layers: layers, num_attention_heads: 4, num_key_value_heads: 4, layer_norm_eps: 1e-5, qk_layernorm: true }, t);
  };

  it("StableLM's bias-free per-head q/k LayerNorms are clean; a bias on them is NL307", async () => {
    expect(await codes(stablelm(() => ln(16, false)))).toEqual([]);
    expect(await codes(stablelm(() => ln(16, true)))).toEqual(["NL307/unexpected"]);
  });

  it("a layer without its per-head norms is NL305", async () => {
    const input = stablelm((l) => (l === 5 ? undefined : ln(16, false)));
    const f = (await lintFolder(input, () => defaultSettings())).findings.filter((x) => x.code === "NL305");
    expect(f.map((x) => x.messageId)).toEqual(["missingLayers", "missingLayers"]);
    expect(f[0].message).toContain("layers.{N}.self_attn.q_layernorm.norms.{N}.weight` is missing for layer(s) 5 of 12");
  });

  const swin = (edit?: (t: Record<string, TensorDesc>) => void) => {
    const t: Record<string, TensorDesc> = { ...at("swin.embeddings.norm", ln(8)), ...at("swin.layernorm", ln(16)) };
    for (const s of [0, 1]) {
      for (const b of [0, 1]) for (const n of ["layernorm_before", "layernorm_after"]) Object.assign(t, at(`swin.encoder.layers.${s}.blocks.${b}.${n}`, ln(8 << s)));
    }
    Object.assign(t, at("swin.encoder.layers.0.downsample.norm", ln(32)));
    edit?.(t);
    // As SwinConfig saves it: hidden_size is the last stage's width (embed_dim * 2 ** (len(depths) - 1)).
    return folder({ model_type: "swin", embed_dim: 8, depths: [2, 2], num_heads: [2, 4], hidden_size: 16, layer_norm_eps: 1e-5 }, t);
  };

  it("a Swin checkpoint, whose stages widen, is clean; a block norm without its bias is NL307", async () => {
    expect(await codes(swin())).toEqual([]);
    expect(await codes(swin((t) => delete t["swin.encoder.layers.1.blocks.1.layernorm_after.bias"]))).toEqual(["NL307/missing"]);
  });

  it("MLA latent norms are judged against q_lora_rank / kv_lora_rank, not hidden_size (DeepSeek V3, LongCat-Flash)", async () => {
    const ds = (q: number) =>
      folderInput({
        modelType: "deepseek_v3",
        fill: "llama-like",
        config: { q_lora_rank: 32, kv_lora_rank: 16 },
        edit: (t) => {
          for (let l = 0; l < 6; l++) {
            t[`model.layers.${l}.self_attn.q_a_layernorm.weight`] = { dtype: "BF16", shape: [l === 2 ? q : 32], fill: "llama-like" };
            t[`model.layers.${l}.self_attn.kv_a_layernorm.weight`] = { dtype: "BF16", shape: [16], fill: "llama-like" };
          }
        },
      });
    expect(await codes(ds(32))).toEqual([]);
    const f = (await lintFolder(ds(48), () => defaultSettings())).findings.filter((x) => x.code === "NL306");
    expect(f.map((x) => x.message)).toEqual([expect.stringContaining("`model.layers.2.self_attn.q_a_layernorm.weight` has shape [48], but the config says q_lora_rank = 32")]);

    const longcat = (edit?: (t: Record<string, TensorDesc>) => void) => {
      const t: Record<string, TensorDesc> = { ...at("model.norm", ln(64, false)) };
      for (let l = 0; l < 12; l++) {
        for (const i of [0, 1]) {
          Object.assign(t, at(`model.layers.${l}.input_layernorm.${i}`, ln(64, false)), at(`model.layers.${l}.post_attention_layernorm.${i}`, ln(64, false)));
          Object.assign(t, at(`model.layers.${l}.self_attn.${i}.q_a_layernorm`, ln(32, false)), at(`model.layers.${l}.self_attn.${i}.kv_a_layernorm`, ln(16, false)));
        }
      }
      edit?.(t);
      return folder({ model_type: "longcat_flash", hidden_size: 64, num_layers: 12, num_attention_heads: 4, q_lora_rank: 32, kv_lora_rank: 16, rms_norm_eps: 1e-5 }, t);
    };
    expect(await codes(longcat())).toEqual([]);
    expect(await codes(longcat((t) => (t["model.layers.4.input_layernorm.1.weight"] = { dtype: "F32", shape: [63], fill: "llama-like" })))).toEqual(["NL306/shape"]);
    expect(await codes(longcat((t) => (t["model.layers.4.input_layernorm.1.bias"] = { dtype: "F32", shape: [64], fill: "zeros" })))).toEqual(["NL307/unexpected"]);
  });
});
