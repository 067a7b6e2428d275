// Unit tests of the declared-convention analysis: which family a name serves, and the tensor-name
// guards of weight conversions.
import { beforeAll, describe, expect, it } from "vitest";
import { loadPythonWasm } from "../src/node/wasm";
import { admits } from "../src/engine/analysis/conversions";
import { familyFromRepoName, familyInIdentifier } from "../src/engine/analysis/declared-scope";
import { defaultSettings } from "../src/engine/index";
import { createPythonParser, lintPython, type PythonParser } from "../src/engine/python";

let parser: PythonParser;
beforeAll(async () => {
  parser = await createPythonParser(loadPythonWasm([`${__dirname}/..`]));
});

describe("families named in code", () => {
  it("reads adapter, kernel and function names", () => {
    const cases: Record<string, string | undefined> = {
      Gemma3nArchitectureAdapter: "gemma3n",
      Gemma1ArchitectureAdapter: "gemma",
      Qwen3NextArchitectureAdapter: "qwen3_next",
      Qwen3_5MultimodalArchitectureAdapter: "qwen3_5",
      LigerRMSNormForOlmo2: "olmo2",
      _LigerGemma4RMSNorm: "gemma4",
      apply_liger_kernel_to_gemma3_text: "gemma3_text",
      convert_gemma_weights: "gemma",
      PhiArchitectureAdapter: "phi",
      // The first family named wins; a version right after a name names another model.
      LlamaEmbedNemotronModel: "llama",
      MiniMaxM3Model: undefined,
      Phi4Adapter: undefined,
      ArchitectureAdapter: undefined,
      _patch_rms_norm_module: undefined,
    };
    for (const [name, want] of Object.entries(cases)) expect(familyInIdentifier(name)?.modelType, name).toBe(want);
  });

  it("reads repository names conservatively", () => {
    expect(familyFromRepoName("google/gemma-2-9b")?.modelType).toBe("gemma2");
    expect(familyFromRepoName("gemma-2b")?.modelType).toBe("gemma");
    expect(familyFromRepoName("google/gemma-3n-E4B-it")?.modelType).toBe("gemma3n");
    expect(familyFromRepoName("tiiuae/falcon-7b")?.modelType).toBe("falcon");
    expect(familyFromRepoName("tiiuae/Falcon3-7B")).toBeUndefined();
    expect(familyFromRepoName("microsoft/phi-4")).toBeUndefined();
    expect(familyFromRepoName("meta-llama/Llama-2-7b-hf")).toBeUndefined();
  });
});

describe("conversion guards", () => {
  const conversions = (text: string) => lintPython({ path: "c.py", text }, defaultSettings(), parser).module!.declared!.conversions;

  it("follows elif chains, early exits and suffix tables", () => {
    const [c] = conversions(`# normlint-test: model_type=qwen3_next
def modify_tensors(data_torch, name, bid):
    if name.endswith(".A_log"):
        data_torch = -data_torch.exp()
    elif name.endswith("norm.weight") and not name.endswith("linear_attn.norm.weight"):
        data_torch = data_torch + 1
    return data_torch
`);
    expect(admits(c.guard, "model.layers.0.input_layernorm.weight")).toBe(true);
    expect(admits(c.guard, "model.layers.0.linear_attn.norm.weight")).toBe(false);
    expect(admits(c.guard, "model.layers.0.mlp.A_log")).toBe(false);

    const [d] = conversions(`def sanitize(weights):
    keys = (".input_layernorm.weight", "model.norm.weight")
    for k, v in weights.items():
        if "mtp." in k:
            continue
        if any(k.endswith(s) for s in keys) and v.ndim == 1:
            weights[k] = v + 1.0
`);
    expect(admits(d.guard, "model.norm.weight")).toBe(true);
    expect(admits(d.guard, "model.layers.3.linear_attn.norm.weight")).toBe(false);
    expect(admits(d.guard, "mtp.layers.0.input_layernorm.weight")).toBe(false);
  });

  it("resolves a shift method per converter class", () => {
    const cs = conversions(`class ModelBase:
    pass

@ModelBase.register("Gemma3ForCausalLM")
class Gemma3Model(ModelBase):
    def norm_shift(self, name):
        return 1.0 if name.endswith("norm.weight") else 0.0

    def modify_tensors(self, data_torch, name, bid):
        f_shift = self.norm_shift(name)
        if f_shift != 0.0:
            data_torch = data_torch + f_shift
        return data_torch

@ModelBase.register("Gemma3nForCausalLM")
class Gemma3NModel(Gemma3Model):
    def norm_shift(self, name):
        return 0.0
`);
    expect(cs.map((c) => c.unit)).toEqual(["Gemma3Model"]);
    expect(admits(cs[0].guard, "model.norm.weight")).toBe(true);
    expect(admits(cs[0].guard, "model.embed_tokens.weight")).toBe(false);
  });
});

describe("a kernel's defaults in messages", () => {
  it("names the argument to pass with the kernel's own spelling (a float offset), not the boolean it is normalised to", () => {
    const text = [
      "from liger_kernel.transformers.rms_norm import LigerRMSNorm",
      "from torch import nn",
      "",
      "class Gemma2DecoderLayer(nn.Module):",
      "    def __init__(self, config):",
      "        super().__init__()",
      "        self.input_layernorm = LigerRMSNorm(config.hidden_size, eps=config.rms_norm_eps)",
      "",
    ].join("\n");
    const found = lintPython({ path: "modeling_gemma2.py", text }, defaultSettings(), parser).findings;
    const nl210 = found.find((f) => f.code === "NL210");
    expect(nl210?.message).toContain("defaults to `offset=0.0`");
    expect(nl210?.message).toContain("pass `offset=1.0`");
    expect(found.map((f) => f.message).join("\n")).not.toContain("the default of");
  });
});
