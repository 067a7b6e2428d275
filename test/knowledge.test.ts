import { describe, expect, it } from "vitest";
import { allFamilies, family, familiesForArchitecture, normTensors } from "../src/engine/knowledge/index";

describe("knowledge base", () => {
  it("covers the transformers model types, each citing its source files", () => {
    const all = [...allFamilies()];
    expect(all.length).toBeGreaterThanOrEqual(440);
    for (const f of all) {
      expect(f.src.length, `${f.modelType} has sources`).toBeGreaterThan(0);
      for (const s of f.src) expect(s, f.modelType).toMatch(/^[\w./-]+@[\w.+-]+:\S+\.(py|json|md)(:\d+)?$/);
      expect(f.via, f.modelType).toMatch(/^extracted(\+override)?$/);
    }
    // Every record is extracted from transformers' own code; overrides only add what it cannot read.
    expect(all.filter((f) => f.via === "extracted").length).toBeGreaterThanOrEqual(600);
    expect(all.filter((f) => f.via === "extracted+override").every((f) => f.notes?.some((n) => n.includes("set by hand")))).toBe(true);
  });

  const trap = (t: string, facts: Record<string, unknown>) => it(`${t}: ${JSON.stringify(facts)}`, () => {
    const f = family(t);
    expect(f, t).toBeDefined();
    for (const [k, v] of Object.entries(facts)) expect((f as unknown as Record<string, unknown>)[k], `${t}.${k}`).toEqual(v);
  });

  describe("the traps", () => {
    for (const t of ["gemma", "gemma2", "gemma3_text"]) trap(t, { norm: "rms", offset: true, init: "zeros", cast: "gemma", eps: { rms_norm_eps: 1e-6 } });
    trap("gemma3", { offset: true, eps: {} });
    trap("gemma3n_text", { norm: "rms", offset: false, init: "ones" });
    trap("gemma4_text", { norm: "rms", offset: false, init: "ones" });
    trap("nemotron", { norm: "layer", offset: true, bias: true, eps: { norm_eps: 1e-5 } });
    trap("qwen3_next", { norm: "rms", offset: true, init: "zeros" });
    trap("qwen3_5_text", { norm: "rms", offset: true });
    trap("t5", { norm: "rms", bias: false, eps: { layer_norm_epsilon: 1e-6 } });
    trap("mamba", { norm: "rms", eps: { layer_norm_epsilon: 1e-5 } });
    trap("nemotron_h", { norm: "rms", eps: { layer_norm_epsilon: 1e-5 } });
    trap("cohere", { norm: "layer", bias: false });
    trap("olmo", { norm: "layer", init: "none", epsFixed: 1e-5 });
    trap("starcoder2", { eps: { norm_epsilon: 1e-5 } });
    trap("llama", { norm: "rms", offset: false, bias: false, init: "ones", cast: "llama", eps: { rms_norm_eps: 1e-6 } });
    trap("gpt2", { norm: "layer", bias: true, eps: { layer_norm_epsilon: 1e-5 } });

    it("Qwen3-Next's gated linear-attention norm has no offset beside the offset main norm", () => {
      const classes = family("qwen3_next")!.classes ?? [];
      const gated = classes.find((c) => c.kind === "rms-gated");
      expect(gated?.offset).toBe(false);
      expect(classes.some((c) => c.kind === "rms" && c.offset)).toBe(true);
    });
  });

  it("maps architectures to model types and derives checkpoint norm tensors", () => {
    expect(familiesForArchitecture("LlamaForCausalLM")).toContain("llama");
    expect(familiesForArchitecture("Gemma3ForCausalLM")).toContain("gemma3_text");
    expect(normTensors(family("llama")!)).toEqual(
      expect.arrayContaining(["model.layers.{N}.input_layernorm.weight", "model.norm.weight"]),
    );
    expect(normTensors(family("olmo")!)).toEqual([]);
  });
});
