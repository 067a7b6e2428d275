// LLM families new in transformers 5.18.0, once hand-verified (verified/newer-llm.json, now retired) and
// now extracted: each record's key facts through the knowledge API, and the config rule that uses them (NL101).
import { describe, expect, it } from "vitest";
import { lintConfig } from "../src/engine/index";
import { family, familiesForArchitecture, knowledgeMeta, normTensors } from "../src/engine/knowledge/index";
import { samePath } from "./harness/paths";

interface Facts {
  norm: string;
  offset: boolean;
  bias: boolean;
  init: string;
  eps: Record<string, number | null>;
  epsFixed?: number;
  tensor?: string;
  arch?: string;
}

// One line per record: the facts a port most often gets wrong.
const RECORDS: Record<string, Facts> = {
  axk1: { norm: "rms", offset: false, bias: false, init: "ones", eps: { rms_norm_eps: 1e-6 }, tensor: "model.layers.{N}.post_mlp_layernorm.weight", arch: "AXK1ForCausalLM" },
  axk2: { norm: "rms", offset: false, bias: false, init: "ones", eps: { rms_norm_eps: 1e-6 }, tensor: "model.layers.{N}.input_layernorm.norm.weight", arch: "AXK2ForCausalLM" },
  cohere2_moe: { norm: "layer", offset: false, bias: false, init: "ones", eps: { layer_norm_eps: 1e-5, rms_norm_eps: null }, tensor: "model.layers.{N}.input_layernorm.weight", arch: "Cohere2MoeForCausalLM" },
  deepseek_v4: { norm: "rms", offset: false, bias: false, init: "ones", eps: { rms_norm_eps: 1e-6 }, tensor: "layers.{N}.attn_norm.weight", arch: "DeepseekV4ForCausalLM" },
  diffusion_gemma: { norm: "rms", offset: false, bias: false, init: "ones", eps: {}, tensor: "model.decoder.self_conditioning.pre_norm.weight", arch: "DiffusionGemmaForBlockDiffusion" },
  diffusion_gemma_text: { norm: "rms", offset: false, bias: false, init: "ones", eps: { rms_norm_eps: 1e-6 }, tensor: "model.decoder.layers.{N}.pre_feedforward_layernorm_2.weight" },
  eurobert: { norm: "rms", offset: false, bias: false, init: "ones", eps: { rms_norm_eps: 1e-5 }, tensor: "model.layers.{N}.input_layernorm.weight", arch: "EuroBertForMaskedLM" },
  exaone4_5: { norm: "rms", offset: false, bias: false, init: "ones", eps: {}, tensor: "model.visual.merger.ln_q.weight", arch: "Exaone4_5_ForConditionalGeneration" },
  glm5_next: { norm: "rms", offset: false, bias: false, init: "ones", eps: {}, tensor: "model.language_model.layers.{N}.self_attn.o_norm.weight", arch: "Glm5NextForConditionalGeneration" },
  glm5_next_text: { norm: "rms", offset: false, bias: false, init: "ones", eps: { rms_norm_eps: 1e-5 }, tensor: "layers.{N}.self_attn.indexer.k_norm.bias", arch: "Glm5NextTextModel" },
  glmga: { norm: "rms", offset: false, bias: false, init: "ones", eps: {}, tensor: "model.language_model.layers.{N}.post_mlp_layernorm.weight", arch: "Glm46VForConditionalGeneration" },
  granite_swa: { norm: "rms", offset: false, bias: false, init: "ones", eps: { rms_norm_eps: 1e-5 }, tensor: "model.norm.weight", arch: "GraniteSWAForCausalLM" },
  granitemoe_swa: { norm: "rms", offset: false, bias: false, init: "ones", eps: { rms_norm_eps: 1e-6 }, tensor: "model.norm.weight", arch: "GraniteMoeSWAForCausalLM" },
  hrm_text: { norm: "rms", offset: false, bias: false, init: "none", eps: { rms_norm_eps: 1e-6 }, arch: "HrmTextForCausalLM" },
  hy_v3: { norm: "rms", offset: false, bias: false, init: "ones", eps: { rms_norm_eps: 1e-5 }, tensor: "model.layers.{N}.self_attn.q_norm.weight", arch: "HYV3ForCausalLM" },
  hy_v4: { norm: "rms", offset: false, bias: false, init: "ones", eps: { rms_norm_eps: 1e-5 }, tensor: "model.layers.{N}.self_attn.indexer.k_norm.bias", arch: "HYV4ForCausalLM" },
  hyperclovax: { norm: "rms", offset: false, bias: false, init: "ones", eps: { rms_norm_eps: 1e-6 }, tensor: "model.layers.{N}.post_norm2.weight", arch: "HyperCLOVAXForCausalLM" },
  laguna: { norm: "rms", offset: false, bias: false, init: "ones", eps: { rms_norm_eps: 1e-6 }, tensor: "model.layers.{N}.self_attn.k_norm.weight", arch: "LagunaForCausalLM" },
  mellum: { norm: "rms", offset: false, bias: false, init: "ones", eps: { rms_norm_eps: 1e-6 }, tensor: "model.layers.{N}.self_attn.q_norm.weight", arch: "MellumForCausalLM" },
  mimo_v2_flash: { norm: "rms", offset: false, bias: false, init: "ones", eps: { rms_norm_eps: 1e-5 }, tensor: "model.layers.{N}.post_attention_layernorm.weight", arch: "MiMoV2FlashForCausalLM" },
  zaya: { norm: "rms", offset: false, bias: false, init: "ones", eps: { rms_norm_eps: 1e-5 }, tensor: "model.layers.{N}.self_attn.qk_norm.temp", arch: "ZayaForCausalLM" },
  neomme: { norm: "rms", offset: false, bias: false, init: "none", eps: { norm_eps: 1e-6 }, tensor: "model.patch_embeddings.norm.bias", arch: "NeoMMEForMaskedLM" },
};

const lint = (config: Record<string, unknown>) => lintConfig({ path: "config.json", text: JSON.stringify(config) });
const nl101 = (config: Record<string, unknown>) => lint(config).findings.filter((f) => f.code === "NL101");

describe("newer-llm.json: LLM families new in transformers 5.18.0", () => {
  it("extracts every record from the 5.18.0 sources, citing file and line", () => {
    expect((knowledgeMeta.base as { version: string }).version).toBe("5.18.0");
    for (const t of Object.keys(RECORDS)) {
      const f = family(t)!;
      expect(f.via, t).toMatch(/^extracted(\+override)?$/);
      expect(f.src.some((s) => /^transformers@5\.18\.0:models\/\w+\/(configuration|modeling)_\w+\.py:\d+$/.test(s)), t).toBe(true);
    }
  });

  for (const [t, facts] of Object.entries(RECORDS)) {
    it(`${t}: ${facts.norm}, ${facts.offset ? "1 + weight" : "weight"}, eps ${JSON.stringify(facts.eps)}`, () => {
      const f = family(t);
      expect(f, t).toBeDefined();
      expect(f!.norm).toBe(facts.norm);
      expect(f!.offset).toBe(facts.offset);
      expect(f!.bias).toBe(facts.bias);
      expect(f!.init).toBe(facts.init);
      expect(f!.eps).toEqual(facts.eps);
      expect(f!.epsFixed).toBe(facts.epsFixed);
      // No family in this batch scales by (1 + weight), so none may claim a GGUF fold.
      expect(f!.gguf).toBeUndefined();
      expect(f!.classes?.every((c) => !c.offset), t).toBe(true);
      // Checkpoint prefixes differ with the root class (the engine matches from `layers.{N}.`): by suffix.
      if (facts.tensor) expect(normTensors(f!).some((x) => samePath(x, facts.tensor!)), `${t}: ${facts.tensor}`).toBe(true);
      else expect(normTensors(f!)).toEqual([]);
      if (facts.arch) expect(familiesForArchitecture(facts.arch)).toContain(t);
    });
  }

  describe("the traps", () => {
    it("cohere2_moe reads both keys; the first is the LayerNorm default's", () => {
      const f = family("cohere2_moe")!;
      expect(Object.keys(f.eps)[0]).toBe("layer_norm_eps");
      expect(f.classes!.map((c) => c.kind).sort()).toEqual(["layer", "rms"]);
    });

    it("MLA latent norms built without eps keep the class default, not the config key", () => {
      for (const t of ["axk1", "axk2", "hy_v4"]) {
        const qa = family(t)!.classes!.find((c) => c.at.some((a) => a.endsWith("q_a_layernorm")))!;
        const at = qa.at.find((a) => a.endsWith("q_a_layernorm"))!;
        expect(qa.epsAt?.[at] ?? (qa.eps.length === 1 ? qa.eps[0] : undefined), t).toBe("1e-06");
      }
      // hy_v4's block norms default to 1e-5, so the two disagree out of the box.
      expect(family("hy_v4")!.eps.rms_norm_eps).toBe(1e-5);
    });

    it("indexer k_norms are LayerNorms with a bias; hy_v4's reads the RMS eps key", () => {
      for (const t of ["axk2", "glm5_next_text", "hy_v4"]) {
        const k = family(t)!.classes!.find((c) => c.at.some((a) => a.endsWith("indexer.k_norm")));
        expect(k, t).toMatchObject({ kind: "layer", bias: true });
      }
      expect(family("hy_v4")!.classes!.find((c) => c.kind === "layer")!.eps).toEqual(["rms_norm_eps"]);
    });

    it("gated norms are filed as rms-gated, with no offset", () => {
      const gated = family("glm5_next_text")!.classes!.filter((c) => c.kind === "rms-gated");
      expect(gated.length).toBe(1);
      expect(gated[0].offset).toBe(false);
      // AXK2GatedRMSNorm is a wrapper (modeling_axk2.py:87): a plain AXK2RMSNorm at `.norm` and a gate MLP.
      const inner = family("axk2")!.classes!.find((c) => c.at.includes("model.layers.{N}.input_layernorm.norm"));
      expect(inner).toMatchObject({ name: "AXK2RMSNorm", kind: "rms", offset: false });
    });

    it("weightless stacks leave no norm weights: hrm_text everywhere, neomme except the patch LayerNorm", () => {
      expect(family("hrm_text")!.classes!.every((c) => c.init === "none")).toBe(true);
      expect(normTensors(family("neomme")!)).toEqual(["model.patch_embeddings.norm.weight", "model.patch_embeddings.norm.bias"]);
    });

    it("composites point at their text sub-config; glm5_next also accepts a flat config", () => {
      expect(family("diffusion_gemma")!.sub).toMatchObject({ text_config: "diffusion_gemma_text", vision_config: "gemma4_vision" });
      expect(family("glm5_next")!.sub).toMatchObject({ text_config: "glm5_next_text" });
      expect(family("glm5_next")!.flatSub).toBe("text_config");
      expect(family("exaone4_5")!.sub).toMatchObject({ text_config: "exaone4" });
      expect(family("glmga")!.sub).toEqual({ text_config: "glm4v_text", vision_config: "glm4v_vision" });
      expect(familiesForArchitecture("Glm46VForConditionalGeneration")).toEqual(expect.arrayContaining(["glm46v", "glmga"]));
    });

    it("hyperclovax's peri-layer norms are switched by use_post_norm", () => {
      expect(family("hyperclovax")!.normKeys).toEqual({ use_post_norm: true });
    });
  });

  describe("eps-key-unused (NL101) with these records", () => {
    it("flags the BERT-habit layer_norm_eps on EuroBERT, which reads rms_norm_eps", () => {
      const found = nl101({ model_type: "eurobert", layer_norm_eps: 1e-5 });
      expect(found.map((f) => f.messageId)).toEqual(["unused"]);
      expect(found[0].message).toContain("`rms_norm_eps`");
    });

    it("flags rms_norm_eps on NeoMME, which reads norm_eps", () => {
      const found = nl101({ model_type: "neomme", rms_norm_eps: 1e-6 });
      expect(found.map((f) => f.messageId)).toEqual(["unused"]);
      expect(found[0].message).toContain("`norm_eps`");
    });

    it("flags a DeepSeek-V3-era layer_norm_epsilon on DeepSeek-V4 and HY-V4", () => {
      for (const t of ["deepseek_v4", "hy_v4"]) expect(nl101({ model_type: t, layer_norm_epsilon: 1e-6 }).map((f) => f.messageId), t).toEqual(["unused"]);
    });

    it("sends a top-level rms_norm_eps on diffusion_gemma to text_config", () => {
      expect(nl101({ model_type: "diffusion_gemma", rms_norm_eps: 1e-6 }).map((f) => f.messageId)).toEqual(["subConfig"]);
    });

    it("leaves the keys these configs do read alone", () => {
      expect(nl101({ model_type: "cohere2_moe", layer_norm_eps: 1e-5, rms_norm_eps: 1e-5 })).toEqual([]);
      expect(nl101({ model_type: "neomme", norm_eps: 1e-6 })).toEqual([]);
      // A flat GLM-5.3-Flash config: Glm5NextConfig builds text_config from the top-level keys.
      expect(nl101({ model_type: "glm5_next", rms_norm_eps: 1e-5 })).toEqual([]);
      expect(nl101({ model_type: "glm5_next", text_config: { rms_norm_eps: 1e-5 } })).toEqual([]);
    });
  });
});
