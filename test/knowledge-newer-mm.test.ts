// Once hand-verified (verified/newer-mm.json, now retired), now extracted: multimodal composites, their text and vision
// sub-configs, and encoders new in transformers 5.18.0. Each row is a fact read in that release's
// source; a row that fails means the knowledge base no longer says what the source says.
import { describe, expect, it } from "vitest";
import { lintConfig } from "../src/engine/index";
import { family, familiesForArchitecture, normTensors, type Family } from "../src/engine/knowledge/index";
import { samePath } from "./harness/paths";

interface Facts {
  config: string;
  norm: Family["norm"];
  offset: boolean;
  bias: boolean;
  init: Family["init"];
  eps: Record<string, number>;
  sub?: Record<string, string | null>;
  /** One checkpoint tensor name the record must list. */
  tensor: string;
  epsFixed?: number;
  flatSub?: string;
  gguf?: Family["gguf"];
  arch?: string;
}

// Sub-configs as the extraction resolves them: a registered model type of 5.18.0 where the config class
// names one (sub_configs, `.get("model_type", x)`), null only where none is registered.
const FACTS: Record<string, Facts> = {
  cosmos3_edge: { config: "Cosmos3EdgeConfig", norm: "rms", offset: false, bias: false, init: "ones", eps: {}, sub: { text_config: "cosmos3_edge_text", vision_config: "cosmos3_edge_vision" }, tensor: "model.language_model.layers.{N}.input_layernorm.weight", arch: "Cosmos3EdgeForConditionalGeneration" },
  cosmos3_edge_text: { config: "Cosmos3EdgeTextConfig", norm: "rms", offset: false, bias: false, init: "ones", eps: { rms_norm_eps: 1e-5 }, tensor: "layers.{N}.post_attention_layernorm.weight" },
  cosmos3_edge_vision: { config: "Cosmos3EdgeVisionConfig", norm: "layer", offset: false, bias: true, init: "ones", eps: { layer_norm_eps: 1e-6 }, tensor: "encoder.layers.{N}.layer_norm1.bias" },
  hunyuan_vl: { config: "HunYuanVLConfig", norm: "rms", offset: false, bias: false, init: "ones", eps: {}, sub: { text_config: "hunyuan_vl_text", vision_config: "hunyuan_vl_vision" }, tensor: "model.language_model.layers.{N}.self_attn.query_layernorm.weight", flatSub: "text_config" },
  hunyuan_vl_text: { config: "HunYuanVLTextConfig", norm: "rms", offset: false, bias: false, init: "ones", eps: { rms_norm_eps: 1e-5 }, tensor: "layers.{N}.self_attn.key_layernorm.weight" },
  hunyuan_vl_vision: { config: "HunYuanVLVisionConfig", norm: "layer", offset: false, bias: true, init: "ones", eps: { rms_norm_eps: 1e-5, layer_norm_eps: 1e-5 }, tensor: "patch_merger.before_rms.weight" },
  inkling_mm_model: { config: "InklingConfig", norm: "rms", offset: false, bias: false, init: "ones", eps: {}, sub: { text_config: "inkling_text", audio_config: "inkling_audio", vision_config: "inkling_vision" }, tensor: "model.language_model.embed_tokens.embed_norm.weight" },
  inkling_text: { config: "InklingTextConfig", norm: "rms", offset: false, bias: false, init: "ones", eps: { rms_norm_eps: 1e-6 }, tensor: "model.layers.{N}.self_attn.q_norm.weight" },
  kimi_k25: { config: "Kimi_K25Config", norm: "rms", offset: false, bias: false, init: "ones", eps: { projection_layer_norm_eps: 1e-5 }, sub: { text_config: "deepseek_v3", vision_config: "kimi_k25_vision" }, tensor: "model.mm_projector.pre_norm.bias" },
  minimax_m3_vl: { config: "MiniMaxM3VLConfig", norm: "rms", offset: true, bias: false, init: "zeros", eps: {}, sub: { text_config: "minimax_m3_vl_text", vision_config: "minimax_m3_vl_vision" }, tensor: "model.vision_tower.pre_layrnorm.weight", gguf: { foldsOffset: true }, arch: "MiniMaxM3SparseForConditionalGeneration" },
  minimax_m3_vl_text: { config: "MiniMaxM3VLTextConfig", norm: "rms", offset: true, bias: false, init: "zeros", eps: { rms_norm_eps: 1e-6 }, tensor: "model.layers.{N}.self_attn.indexer.k_norm.weight", gguf: { foldsOffset: true } },
  muse_glimmer: { config: "MuseGlimmerConfig", norm: "rms", offset: true, bias: false, init: "zeros", eps: {}, sub: { text_config: "muse_glimmer_text", vision_config: "muse_glimmer_vision" }, tensor: "model.language_model.layers.{N}.post_feedforward_layernorm.weight", gguf: { foldsOffset: true, except: ["model.norm.weight"] } },
  muse_glimmer_text: { config: "MuseGlimmerTextConfig", norm: "rms", offset: true, bias: false, init: "zeros", eps: { rms_norm_eps: 1e-5, post_norm_eps: 1e-8 }, tensor: "layers.{N}.pre_feedforward_layernorm.weight", gguf: { foldsOffset: true, except: ["model.norm.weight"] } },
  qwen4_exp: { config: "Qwen4ExpConfig", norm: "rms", offset: true, bias: false, init: "zeros", eps: {}, sub: { vision_config: "qwen4_exp_vision", text_config: "qwen4_exp_text" }, tensor: "model.language_model.hyper_connection_mixer.hc_norm.weight", gguf: { foldsOffset: true, except: ["linear_attn.norm.weight"] } },
  qwen4_exp_text: { config: "Qwen4ExpTextConfig", norm: "rms", offset: true, bias: false, init: "zeros", eps: { rms_norm_eps: 1e-6 }, tensor: "model.layers.{N}.attn_hyper_connection.hc_norm.weight", gguf: { foldsOffset: true, except: ["linear_attn.norm.weight"] } },
  qwen4_exp_vision: { config: "Qwen4ExpVisionConfig", norm: "layer", offset: false, bias: true, init: "ones", eps: {}, tensor: "merger.norm.bias", epsFixed: 1e-6 },
  qwen3_omni_moe_thinker: { config: "Qwen3OmniMoeThinkerConfig", norm: "rms", offset: false, bias: false, init: "ones", eps: {}, sub: { audio_config: "qwen3_omni_moe_audio_encoder", vision_config: "qwen3_omni_moe_vision_encoder", text_config: "qwen3_omni_moe_text" }, tensor: "visual.merger_list.{N}.ln_q.weight", arch: "Qwen3OmniMoeThinkerForConditionalGeneration" },
  qwen3_omni_moe_text: { config: "Qwen3OmniMoeTextConfig", norm: "rms", offset: false, bias: false, init: "ones", eps: { rms_norm_eps: 1e-6 }, tensor: "model.layers.{N}.self_attn.k_norm.weight" },
  qwen2_5_omni_thinker: { config: "Qwen2_5OmniThinkerConfig", norm: "rms", offset: false, bias: false, init: "ones", eps: {}, sub: { audio_config: "qwen2_5_omni_audio_encoder", vision_config: "qwen2_5_omni_vision_encoder", text_config: "qwen2_5_omni_text" }, tensor: "audio_tower.ln_post.bias", arch: "Qwen2_5OmniThinkerForConditionalGeneration" },
  qwen2_5_omni_text: { config: "Qwen2_5OmniTextConfig", norm: "rms", offset: false, bias: false, init: "ones", eps: { rms_norm_eps: 1e-6 }, tensor: "model.norm.weight" },
  t5gemma2: { config: "T5Gemma2Config", norm: "rms", offset: true, bias: false, init: "zeros", eps: {}, sub: { encoder: "t5gemma2_encoder", decoder: "t5gemma2_decoder" }, tensor: "model.decoder.layers.{N}.post_self_attn_layernorm.weight", gguf: { foldsOffset: true } },
  t5gemma2_encoder: { config: "T5Gemma2EncoderConfig", norm: "rms", offset: true, bias: false, init: "zeros", eps: {}, sub: { text_config: "t5gemma2_text", vision_config: "siglip_vision_model" }, tensor: "multi_modal_projector.mm_soft_emb_norm.weight", gguf: { foldsOffset: true } },
  t5gemma2_text: { config: "T5Gemma2TextConfig", norm: "rms", offset: true, bias: false, init: "zeros", eps: { rms_norm_eps: 1e-6 }, tensor: "model.encoder.text_model.layers.{N}.pre_self_attn_layernorm.weight", gguf: { foldsOffset: true } },
  t5gemma2_decoder: { config: "T5Gemma2DecoderConfig", norm: "rms", offset: true, bias: false, init: "zeros", eps: { rms_norm_eps: 1e-6 }, tensor: "model.decoder.norm.weight", gguf: { foldsOffset: true } },
  granite4_vision: { config: "Granite4VisionConfig", norm: "rms", offset: false, bias: false, init: "ones", eps: {}, sub: { text_config: "granite4_vision_text", vision_config: "clip_vision_model", qformer_config: "blip_2_qformer" }, tensor: "model.spatial_projectors.{N}.norm.bias", arch: "Granite4VisionForConditionalGeneration" },
  granite4_vision_text: { config: "Granite4VisionTextConfig", norm: "rms", offset: false, bias: false, init: "ones", eps: { rms_norm_eps: 1e-6 }, tensor: "model.language_model.layers.{N}.input_layernorm.weight" },
  minicpmv4_6: { config: "MiniCPMV4_6Config", norm: "rms", offset: true, bias: false, init: "zeros", eps: {}, sub: { text_config: "qwen3_5_text", vision_config: "minicpmv4_6_vision" }, tensor: "model.vision_tower.vit_merger.pre_norm.weight", arch: "MiniCPMV4_6ForConditionalGeneration" },
  minicpmv4_7: { config: "MiniCPMV4_7Config", norm: "rms", offset: true, bias: false, init: "zeros", eps: {}, sub: { text_config: "qwen3_5_text", vision_config: "minicpmv4_7_vision" }, tensor: "model.merger.mlp.{N}.pre_norm.bias", arch: "MiniCPMV4_7ForConditionalGeneration" },
  jina_embeddings_v3: { config: "JinaEmbeddingsV3Config", norm: "layer", offset: false, bias: true, init: "ones", eps: { layer_norm_eps: 1e-5 }, tensor: "layers.{N}.post_mlp_layernorm.bias", arch: "JinaEmbeddingsV3Model" },
  nomic_bert: { config: "NomicBertConfig", norm: "layer", offset: false, bias: true, init: "ones", eps: { layer_norm_eps: 1e-12 }, tensor: "cls.predictions.transform.layer_norm.weight", arch: "NomicBertModel" },
  gte: { config: "GteConfig", norm: "layer", offset: false, bias: true, init: "ones", eps: { layer_norm_eps: 1e-12 }, tensor: "layers.{N}.post_attention_layernorm.weight", arch: "GteForMaskedLM" },
  modernvbert: { config: "ModernVBertConfig", norm: "layer", offset: false, bias: false, init: "ones", eps: {}, sub: { text_config: "modernbert", vision_config: "siglip_vision_model" }, tensor: "model.text_model.final_norm.weight", arch: "ModernVBertForMaskedLM" },
};


describe("newer-mm.json: multimodal and encoder model types new in transformers 5.18.0", () => {
  it("has a fact row for every record and a record for every fact row", () => {
    for (const t of Object.keys(FACTS)) expect(family(t)?.src.some((s) => /^transformers@5\.18\.0:models\/\w+\/\w+\.py:\d+$/.test(s)), t).toBe(true);
  });

  for (const [type, facts] of Object.entries(FACTS)) {
    it(`${type}: ${facts.norm}${facts.offset ? ", 1 + weight" : ""}, eps ${JSON.stringify(facts.eps)}`, () => {
      const f = family(type);
      expect(f, type).toBeDefined();
      if (!f) return;
      expect(f.via).toMatch(/^extracted(\+override)?$/);
      expect(f.config).toBe(facts.config);
      expect(f.norm).toBe(facts.norm);
      expect(f.offset).toBe(facts.offset);
      expect(f.bias).toBe(facts.bias);
      expect(f.init).toBe(facts.init);
      expect(f.eps).toEqual(facts.eps);
      expect(f.sub ?? {}).toEqual(facts.sub ?? {});
      expect(f.epsFixed).toBe(facts.epsFixed);
      expect(f.flatSub).toBe(facts.flatSub);
      expect(f.gguf).toEqual(facts.gguf);
      expect(normTensors(f).some((x) => samePath(x, facts.tensor)), `${type}: ${facts.tensor}`).toBe(true);
      if (facts.arch) expect(familiesForArchitecture(facts.arch)).toContain(type);
      // Every sub-config names a family the knowledge base has (or null: not resolved).
      for (const t of Object.values(f.sub ?? {})) if (t) expect(family(t), `${type} -> ${t}`).toBeDefined();
      // The main norm's facts agree with a class that implements it.
      expect((f.classes ?? []).some((c) => c.offset === f.offset && c.bias === f.bias && c.init === f.init)).toBe(true);
      // Every citation is a file at a named version.
      for (const s of f.src) expect(s).toMatch(/^[\w./-]+@[\w.+-]+:\S+\.py(:\d+)?$/);
    });
  }

  it("keeps the plain final norm of Muse Glimmer apart from its (1 + weight) layer norms", () => {
    const classes = family("muse_glimmer_text")!.classes ?? [];
    expect(classes.find((c) => c.at.includes("norm"))).toMatchObject({ offset: false, init: "ones" });
    expect(classes.find((c) => c.at.includes("layers.{N}.input_layernorm"))).toMatchObject({ offset: true, init: "zeros" });
  });

  it("keeps Qwen4-Exp's gated linear-attention norm without the offset", () => {
    const gated = (family("qwen4_exp_text")!.classes ?? []).find((c) => c.kind === "rms-gated");
    expect(gated).toMatchObject({ offset: false, init: "ones" });
    expect(gated!.at.map((a) => a.replace(/^model\./, ""))).toEqual(["layers.{N}.linear_attn.norm"]);
  });
});

describe("newer-mm.json facts in config.json linting", () => {
  const lint = (config: unknown) => lintConfig({ path: "config.json", text: JSON.stringify(config, null, 2) }).findings;
  const nl101 = (config: unknown) => lint(config).filter((f) => f.code === "NL101").map((f) => `${f.messageId}:${f.message.match(/`(\w+)`/)?.[1]}`);

  it("flags a LayerNorm eps key inside a Cosmos3-Edge text_config, whose RMSNorms read rms_norm_eps", () => {
    expect(nl101({ model_type: "cosmos3_edge", text_config: { model_type: "cosmos3_edge_text", layer_norm_eps: 1e-5 } })).toEqual(["unused:layer_norm_eps"]);
    expect(nl101({ model_type: "cosmos3_edge", text_config: { model_type: "cosmos3_edge_text", rms_norm_eps: 1e-5 }, vision_config: { layer_norm_eps: 1e-6 } })).toEqual([]);
  });

  it("flags a wrong eps key in a MiniMax-M3-VL text_config even without its own model_type", () => {
    expect(nl101({ model_type: "minimax_m3_vl", text_config: { norm_eps: 1e-6 } })).toEqual(["unused:norm_eps"]);
  });

  it("says a Qwen4-Exp rms_norm_eps at the top level belongs in text_config", () => {
    expect(nl101({ model_type: "qwen4_exp", rms_norm_eps: 1e-6, text_config: {} })).toEqual(["subConfig:rms_norm_eps"]);
  });

  it("says a Kimi-K2.5 rms_norm_eps at the top level belongs in text_config, though the composite reads its own projector eps", () => {
    // Not "rename it to projection_layer_norm_eps": that key sets the projector's LayerNorm, not the text model's norms.
    const f = lint({ model_type: "kimi_k25", rms_norm_eps: 1e-6, text_config: { model_type: "deepseek_v3", rms_norm_eps: 1e-6 } }).filter((x) => x.code === "NL101");
    expect(f.map((x) => x.messageId)).toEqual(["subConfig"]);
    expect(f[0].message).toMatch(/the `text_config` sub-config reads it, where it is 1e-6\.$/);
    expect(f[0].fixes ?? []).toEqual([]);
  });

  it("accepts Muse Glimmer's second eps key, post_norm_eps, in its text_config", () => {
    expect(nl101({ model_type: "muse_glimmer", text_config: { rms_norm_eps: 1e-5, post_norm_eps: 1e-8 } })).toEqual([]);
  });

  it("accepts a flat HunYuanVL config, whose config class folds top-level text keys into text_config", () => {
    expect(nl101({ model_type: "hunyuan_vl", rms_norm_eps: 1e-5, hidden_size: 1024 })).toEqual([]);
  });

  it("flags BERT's layer_norm_eps in a ModernVBert text_config, whose ModernBERT LayerNorms read norm_eps", () => {
    expect(nl101({ model_type: "modernvbert", text_config: { model_type: "modernbert", layer_norm_eps: 1e-12 } })).toEqual(["unused:layer_norm_eps"]);
  });

  it("accepts both spellings HunYuanVL's vision config reads (layer_norm_eps is an alias of rms_norm_eps)", () => {
    expect(nl101({ model_type: "hunyuan_vl", text_config: { rms_norm_eps: 1e-5 }, vision_config: { model_type: "hunyuan_vl_vision", layer_norm_eps: 1e-5 } })).toEqual([]);
  });

  it("flags a T5Gemma2 decoder eps key the decoder config never reads", () => {
    expect(nl101({ model_type: "t5gemma2", decoder: { layer_norm_eps: 1e-6 }, encoder: { text_config: { rms_norm_eps: 1e-6 } } })).toEqual(["unused:layer_norm_eps"]);
  });
});
