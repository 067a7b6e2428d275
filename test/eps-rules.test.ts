// The eps and q/k norm rules of issue 17 (NL218, NL219, NL312, NL313) on model folders built in
// memory, the numerics and knowledge they stand on, the readers that bring params.json in, and
// hostile inputs. The inline-marker fixtures under test/fixtures/<rule>/ hold the basic cases.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { lintFolder, type ModelFolderInput } from "../src/engine/folder";
import { defaultSettings } from "../src/engine/index";
import { bytesSource } from "../src/engine/io";
import { ggufEpsArchitectures, ggufEpsKey, ggufEpsKind, ggufEpsSource } from "../src/engine/knowledge/gguf-eps";
import { expectedQkShapes, qkNormFacts, qkNormFamilies } from "../src/engine/knowledge/qk-norm";
import { family } from "../src/engine/knowledge/index";
import { epsClass, epsDiffersAt, epsEffect, FORMATS, floatFormat, sameEpsAsFloat32 } from "../src/engine/numerics/eps";
import { nodeAccess } from "../src/node/access";
import { readModelFolderInput } from "../src/node/folder";
import { buildGguf, buildSafetensors, type GgufMeta } from "./harness/checkpoint-builder";
import { ensureBuilt, positionOf, Sandbox } from "./harness/cli";
import { folderDesc, folderInput, QWEN3_FP16_CONFIG, QWEN3_FP16_MODELING } from "./harness/model-folder";

const enc = new TextEncoder();
const lint = async (input: ModelFolderInput) => (await lintFolder(input, () => defaultSettings())).findings;
const ours = /^NL(218|219|312|313)$/;
const codes = async (input: ModelFolderInput) => (await lint(input)).filter((f) => ours.test(f.code)).map((f) => `${f.code}/${f.messageId}/${f.severity}`);

function ggufFolder(metadata: Record<string, GgufMeta>, config?: Record<string, unknown>): ModelFolderInput {
  const gguf = buildGguf({ metadata, tensors: { "output_norm.weight": { type: "F32", dims: [64], fill: "llama-like" } } });
  return {
    dir: "g",
    ...(config ? { config: { path: "g/config.json", bytes: enc.encode(JSON.stringify(config)) } } : {}),
    safetensors: [],
    gguf: [{ path: "g/model.gguf", source: bytesSource(gguf) }],
    pickles: [],
  };
}

const f32 = (value: number): GgufMeta => ({ type: "f32", value });
const llamaConfig = (extra: Record<string, unknown> = {}) => ({ model_type: "llama", hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, rms_norm_eps: 1e-6, ...extra });

describe("eps numerics", () => {
  it("holds each format's constants as the hardware's own numbers give them", () => {
    const f32 = (bits: number) => new Float32Array(Uint32Array.of(bits).buffer)[0];
    expect(FORMATS.float32).toEqual({ unitRoundoff: 1 - f32(0x3f7fffff), minNormal: f32(0x00800000), minSubnormal: f32(1) });
    expect(FORMATS.float64).toEqual({ unitRoundoff: Number.EPSILON / 2, minNormal: 2 ** -1022, minSubnormal: Number.MIN_VALUE });
    // bfloat16 is float32's top 16 bits; float16's smallest subnormal and normal are 2^-24 and 2^-14.
    expect(FORMATS.bfloat16).toEqual({ unitRoundoff: 2 ** -8, minNormal: f32(0x00800000), minSubnormal: f32(0x00010000) });
    expect(FORMATS.float16).toEqual({ unitRoundoff: 2 ** -11, minNormal: 6.103515625e-5, minSubnormal: 5.960464477539063e-8 });
  });

  it("knows where an eps is zero, subnormal or normal", () => {
    expect(epsClass(1e-12, "float16")).toBe("zero");
    expect(epsClass(2.9e-8, "float16")).toBe("zero");
    expect(epsClass(6e-8, "float16")).toBe("subnormal");
    expect(epsClass(1e-6, "float16")).toBe("subnormal");
    expect(epsClass(6.2e-5, "float16")).toBe("normal");
    // bfloat16 has float32's range.
    expect(epsClass(1e-12, "bfloat16")).toBe("normal");
    expect(epsClass(1e-40, "bfloat16")).toBe("subnormal");
    expect(epsClass(1e-12, "float32")).toBe("normal");
  });

  it("judges two eps against the format's resolution on the smallest realistic rows", () => {
    // 1e-5 vs 1e-6: about 1.1% on rows of mean square 4e-4, above bfloat16's 0.39%.
    expect(epsEffect(1e-5, 1e-6)).toBeCloseTo(9e-6 / (2 * (4e-4 + 1e-6)), 12);
    expect(epsDiffersAt(1e-5, 1e-6, "bfloat16")).toBe(true);
    // 1e-6 vs 1e-7: 0.11%, below bfloat16's resolution, above float16's (0.049%).
    expect(epsDiffersAt(1e-6, 1e-7, "bfloat16")).toBe(false);
    expect(epsDiffersAt(1e-6, 1e-7, "float16")).toBe(true);
    expect(epsDiffersAt(1e-6, 1e-6, "float32")).toBe(false);
  });

  it("reads dtype names as configs write them, and float32 eps as GGUF stores them", () => {
    expect(["float16", "torch.float16", "fp16", "half", "bfloat16", "bf16", "float32", "auto", 16, null].map(floatFormat)).toEqual(["float16", "float16", "float16", "float16", "bfloat16", "bfloat16", "float32", undefined, undefined, undefined]);
    expect(Math.fround(1e-6)).not.toBe(1e-6);
    expect(sameEpsAsFloat32(Math.fround(1e-6), 1e-6)).toBe(true);
    expect(sameEpsAsFloat32(1e-6, 1.0001e-6)).toBe(false);
  });
});

describe("knowledge: GGUF eps keys and q/k norms", () => {
  it("records llama.cpp's eps key per architecture, through gpt-oss", () => {
    expect(ggufEpsKind("llama")).toBe("rms");
    expect(ggufEpsKind("gpt-oss")).toBe("rms");
    expect(ggufEpsKind("gemma3")).toBe("rms");
    expect(ggufEpsKind("command-r")).toBe("layer");
    expect(ggufEpsKind("stablelm")).toBe("layer");
    expect(ggufEpsKind("nemotron")).toBe("layer");
    expect(ggufEpsKind("rwkv7")).toBe("either");
    expect(ggufEpsKind("clip")).toBeUndefined();
    expect(ggufEpsKind("constructor")).toBeUndefined();
    expect(ggufEpsKey("gpt-oss", "rms")).toBe("gpt-oss.attention.layer_norm_rms_epsilon");
    expect(ggufEpsArchitectures().length).toBeGreaterThan(90);
  });

  it("records newer architectures from their per-model loaders, each cited at its own commit", () => {
    for (const arch of ["gemma4", "qwen3vlmoe", "minimax-m2"]) {
      expect(ggufEpsKind(arch), arch).toBe("rms");
      expect(ggufEpsSource(arch), arch).toMatch(new RegExp(`^ggml-org/llama\\.cpp@[0-9a-f]{12}:src/models/${arch}\\.cpp `));
    }
    // The older ones keep the load_hparams citation they were read from.
    expect(ggufEpsSource("llama")).toBe("ggml-org/llama.cpp@00342301d01a:src/llama-model.cpp (llama_model::load_hparams)");
    // Read in a fork mirror at a pinned commit; nemotron_h_moe inherits nemotron_h's loader.
    for (const arch of ["qwen3vl", "qwen35", "qwen35moe"]) {
      expect(ggufEpsKind(arch), arch).toBe("rms");
      expect(ggufEpsSource(arch), arch).toMatch(new RegExp(`^unslothai/llama\\.cpp@[0-9a-f]{12}:src/models/${arch}\\.cpp `));
    }
    expect(ggufEpsSource("nemotron_h_moe")).toContain("src/models/nemotron-h.cpp");
    // Read nowhere at a known commit: not judged.
    expect(ggufEpsKind("qwen4exp")).toBeUndefined();
    expect(ggufEpsKind("kimi-k3")).toBeUndefined();
  });

  it("records q/k norm shapes only for families the knowledge base has, with q/k norm paths", () => {
    for (const t of qkNormFamilies()) {
      const f = family(t);
      expect(f, t).toBeDefined();
      const facts = qkNormFacts(t)!;
      const paths = (f!.classes ?? []).flatMap((c) => c.at);
      expect(paths.some((p) => p.includes(`.${facts.q}`)), `${t}: ${facts.q}`).toBe(true);
      expect(facts.src.length).toBeGreaterThan(0);
    }
    const dims = { hidden: 64, heads: 4, kvHeads: 2 };
    expect(expectedQkShapes(qkNormFacts("olmo2")!, dims)).toEqual({ q: [64], k: [32], headDim: 16 });
    expect(expectedQkShapes(qkNormFacts("qwen3")!, dims)).toEqual({ q: [128], k: [128], headDim: 128 });
    expect(expectedQkShapes(qkNormFacts("qwen3")!, { ...dims, headDim: 16 })).toEqual({ q: [16], k: [16], headDim: 16 });
    expect(expectedQkShapes(qkNormFacts("cohere")!, dims)).toEqual({ q: [4, 16], k: [2, 16], headDim: 16 });
    // StableLM ignores a config head_dim: hidden_size / heads.
    expect(expectedQkShapes(qkNormFacts("stablelm")!, { ...dims, headDim: 99 })?.headDim).toBe(16);
  });
});

describe("gguf-eps-mismatch (NL312)", () => {
  it("is silent on a GGUF that holds config.json's eps (as float32), and on a GGUF without a config", async () => {
    expect(await codes(ggufFolder({ "general.architecture": "llama", "llama.attention.layer_norm_rms_epsilon": f32(1e-6) }, llamaConfig()))).toEqual([]);
    expect(await codes(ggufFolder({ "general.architecture": "llama", "llama.attention.layer_norm_rms_epsilon": f32(1e-5) }))).toEqual([]);
  });

  it("is an error where the dtype resolves the difference, a warning where it does not", async () => {
    const meta = { "general.architecture": "llama", "llama.attention.layer_norm_rms_epsilon": f32(1e-7) };
    expect(await codes(ggufFolder(meta, llamaConfig({ torch_dtype: "float16" })))).toEqual(["NL312/mismatch/error"]);
    expect(await codes(ggufFolder(meta, llamaConfig({ torch_dtype: "bfloat16" })))).toEqual(["NL312/mismatch/warning"]);
    const [f] = await lint(ggufFolder(meta, llamaConfig({ dtype: "float16" })));
    expect(f.file).toBe("g/model.gguf");
    expect(f.message).toContain("`llama.attention.layer_norm_rms_epsilon` = 1e-7");
    expect(f.message).toContain("sets `rms_norm_eps` = 1e-6");
  });

  it("compares with the family's default when config.json sets no eps, and with a composite's text config", async () => {
    const meta = { "general.architecture": "llama", "llama.attention.layer_norm_rms_epsilon": f32(1e-5) };
    const { rms_norm_eps: _, ...noEps } = llamaConfig();
    const [f] = await lint(ggufFolder(meta, noEps));
    expect(`${f.code}/${f.messageId}`).toBe("NL312/mismatch");
    expect(f.message).toContain("does not set `rms_norm_eps` (llama default 1e-6)");
    const gemma3 = (eps: number) => ({ model_type: "gemma3", text_config: { model_type: "gemma3_text", hidden_size: 64, num_attention_heads: 4, rms_norm_eps: eps } });
    const g = { "general.architecture": "gemma3", "gemma3.attention.layer_norm_rms_epsilon": f32(1e-6) };
    expect(await codes(ggufFolder(g, gemma3(1e-6)))).toEqual([]);
    expect(await codes(ggufFolder(g, gemma3(1e-5)))).toEqual(["NL312/mismatch/warning"]);
  });

  it("flags a missing key, and the other kind's key in its place (llama.cpp #28989)", async () => {
    expect(await codes(ggufFolder({ "general.architecture": "gpt-oss" }))).toEqual(["NL312/missing/warning"]);
    const gemma4 = (await lint(ggufFolder({ "general.architecture": "gemma4", "gemma4.attention.layer_norm_epsilon": f32(1e-6) }))).filter((f) => f.code === "NL312");
    expect(gemma4.map((f) => f.messageId)).toEqual(["wrongKey"]);
    expect(gemma4[0].related?.[0].message).toContain("src/models/gemma4.cpp");
    expect(await codes(ggufFolder({ "general.architecture": "command-r", "command-r.attention.layer_norm_rms_epsilon": f32(1e-5) }))).toEqual(["NL312/wrongKey/warning"]);
    // RWKV reads either key, neither required; unknown architectures are not judged.
    expect(await codes(ggufFolder({ "general.architecture": "rwkv7" }))).toEqual([]);
    expect(await codes(ggufFolder({ "general.architecture": "someday-arch" }))).toEqual([]);
    // A LoRA adapter and a vocab-only file name an architecture but hold no hyperparameters.
    expect(await codes(ggufFolder({ "general.architecture": "llama", "general.type": "adapter", "adapter.type": "lora" }))).toEqual([]);
    expect(await codes(ggufFolder({ "general.architecture": "llama", "general.type": "model" }))).toEqual(["NL312/missing/warning"]);
    const vocabOnly: ModelFolderInput = { dir: "v", safetensors: [], gguf: [{ path: "v/ggml-vocab-llama.gguf", source: bytesSource(buildGguf({ metadata: { "general.architecture": "llama" } })) }], pickles: [] };
    expect(await codes(vocabOnly)).toEqual([]);
  });

  it("does not trip over eps metadata of the wrong type", async () => {
    for (const v of ["1e-6", true, { type: "u32" as const, value: 0 }, { type: "arr" as const, itemType: "f32" as const, items: [1e-6] }] as GgufMeta[]) {
      const f = await lint(ggufFolder({ "general.architecture": "llama", "llama.attention.layer_norm_rms_epsilon": v }, llamaConfig()));
      expect(f.filter((x) => x.messageId === "internal")).toEqual([]);
    }
  });
});

describe("params-config-eps-mismatch (NL313)", () => {
  const withParams = (params: Uint8Array | string, config: Record<string, unknown> = llamaConfig()): ModelFolderInput => ({
    ...folderInput({ modelType: "llama", fill: "llama-like", config }),
    params: { path: "m/params.json", bytes: typeof params === "string" ? enc.encode(params) : params },
  });

  it("anchors on config.json's key, with params.json's value as the related location", async () => {
    const [f] = (await lint(withParams('{"dim": 64, "norm_eps": 1e-05}'))).filter((x) => x.code === "NL313");
    expect(f.file).toBe("m/config.json");
    expect(f.data).toBeUndefined();
    expect(f.message).toContain("`norm_eps` = 1e-5");
    expect(f.message).toContain("sets `rms_norm_eps` = 1e-6");
  });

  it("is silent when they agree, and on hostile params.json files", async () => {
    expect(await codes(withParams('{"norm_eps": 0.000001}'))).toEqual([]);
    for (const odd of ['{"norm_eps": "1e-5"}', "[1e-5]", '{"norm_eps": -1}', '{"norm_eps": 1e999}', '{"norm_eps": {"x": 1}}', '{"norm_eps": null}']) {
      const findings = await lint(withParams(odd));
      expect(findings.filter((x) => ours.test(x.code) || x.messageId === "internal"), odd).toEqual([]);
    }
  });

  it("notes a params.json that is not JSON, at the first problem", async () => {
    const cases: Array<[Uint8Array | string, number]> = [['{"norm_eps": ', 12], ["", 0], [new Uint8Array([0x7b, 0x00, 0x7d]), 0], [new Uint8Array([0x7b, 0xff, 0x7d]), 0], ['{"norm_eps": 1e-5,}', 17], ["// x\n{}", 0]];
    for (const [bad, at] of cases) {
      const findings = (await lint(withParams(bad))).filter((x) => ours.test(x.code) || x.messageId === "internal");
      expect(findings.map((x) => `${x.code}/${x.messageId}/${x.severity}/${x.file}`), String(bad)).toEqual(["NL313/unreadable/info/m/params.json"]);
      expect(findings[0].start, String(bad)).toBe(at);
    }
  });
});

describe("eps-underflows-dtype (NL218)", () => {
  it("needs a declared dtype and a norm that computes in it", async () => {
    const imagegpt = (extra: Record<string, unknown>) => ({ dir: "m", config: { path: "m/config.json", bytes: enc.encode(JSON.stringify({ model_type: "imagegpt", n_embd: 64, layer_norm_epsilon: 1e-12, ...extra })) }, safetensors: [], gguf: [], pickles: [] });
    expect(await codes(imagegpt({ torch_dtype: "float16" }))).toEqual(["NL218/config/warning"]);
    expect(await codes(imagegpt({}))).toEqual([]);
    expect(await codes(imagegpt({ torch_dtype: "auto" }))).toEqual([]);
    expect(await codes(imagegpt({ torch_dtype: "float32" }))).toEqual([]);
    // The family's default eps (1e-5) is subnormal in float16: a note, on the dtype.
    const { layer_norm_epsilon: _, ...rest } = { layer_norm_epsilon: 0, model_type: "imagegpt", n_embd: 64, torch_dtype: "float16" };
    const f = await lint({ dir: "m", config: { path: "m/config.json", bytes: enc.encode(JSON.stringify(rest)) }, safetensors: [], gguf: [], pickles: [] });
    expect(f.filter((x) => x.code === "NL218").map((x) => `${x.messageId}/${x.severity}`)).toEqual(["config/info"]);
  });
});

describe("qk-norm-config-mismatch (NL219) and NL306 on q/k norms", () => {
  const stablelm = (config: Record<string, unknown>, heads: number[], bias = true) =>
    folderInput({
      modelType: "stablelm",
      fill: "llama-like",
      config: { num_key_value_heads: 4, layer_norm_eps: 1e-5, ...config },
      edit: (t) => {
        for (let l = 0; l < 6; l++) {
          for (const h of heads) {
            t[`model.layers.${l}.self_attn.q_layernorm.norms.${h}.weight`] = { dtype: "BF16", shape: [16], fill: "llama-like" };
            t[`model.layers.${l}.self_attn.k_layernorm.norms.${h}.weight`] = { dtype: "BF16", shape: [16], fill: "llama-like" };
          }
          if (bias) for (const n of ["input_layernorm", "post_attention_layernorm"]) t[`model.layers.${l}.${n}.bias`] = { dtype: "BF16", shape: [64], fill: "zeros" };
        }
        t["model.norm.bias"] = { dtype: "BF16", shape: [64], fill: "zeros" };
      },
    });

  it("StableLM's per-head norms: right with the switch on, one norm per head", async () => {
    expect((await lint(stablelm({ qk_layernorm: true }, [0, 1, 2, 3]))).map((f) => f.code)).toEqual([]);
    expect(await codes(stablelm({ qk_layernorm: true }, [0, 1, 2]))).toEqual(["NL219/heads/error"]);
    expect(await codes(stablelm({ qk_layernorm: false }, [0, 1, 2, 3]))).toEqual(["NL219/unexpected/error"]);
  });

  it("says nothing about a family it has no q/k facts for, or a GGUF", async () => {
    const { config, desc } = folderDesc({ modelType: "llama", fill: "llama-like", edit: (x) => void (x["model.layers.0.self_attn.q_norm.weight"] = { dtype: "BF16", shape: [16], fill: "llama-like" }) });
    const input: ModelFolderInput = { dir: "m", config: { path: "m/config.json", bytes: enc.encode(JSON.stringify(config)) }, safetensors: [{ path: "m/model.safetensors", source: bytesSource(buildSafetensors(desc).bytes) }], gguf: [], pickles: [] };
    expect(await codes(input)).toEqual([]);
  });

  it("OLMo 2 with [head_dim] norms names the projection size it builds", async () => {
    const input = folderInput({
      modelType: "olmo2",
      fill: "llama-like",
      config: { num_key_value_heads: 2 },
      edit: (t) => {
        for (let l = 0; l < 6; l++) {
          t[`model.layers.${l}.self_attn.q_norm.weight`] = { dtype: "BF16", shape: [64], fill: "llama-like" };
          t[`model.layers.${l}.self_attn.k_norm.weight`] = { dtype: "BF16", shape: l === 3 ? [16] : [32], fill: "llama-like" };
        }
      },
    });
    const f = (await lint(input)).filter((x) => x.code === "NL219");
    expect(f.map((x) => x.messageId)).toEqual(["shape"]);
    expect(f[0].message).toContain("`model.layers.3.self_attn.k_norm.weight` has shape [16], but olmo2 builds it as [32]");
  });
});

describe("params.json reaches the folder rules from disk and through the CLI", () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it("the folder reader takes params.json beside config.json only", async () => {
    dir = mkdtempSync(join(tmpdir(), "normlint-params-"));
    writeFileSync(join(dir, "params.json"), '{"norm_eps": 1e-05}');
    let read = await readModelFolderInput(dir, nodeAccess, { display: (p) => p.slice(dir!.length + 1) });
    expect(read.input.params).toBeUndefined();
    await read.close();
    writeFileSync(join(dir, "config.json"), JSON.stringify(llamaConfig()));
    read = await readModelFolderInput(dir, nodeAccess, { display: (p) => p.slice(dir!.length + 1) });
    expect(read.input.params?.path).toBe("params.json");
    const { findings } = await lintFolder(read.input, () => defaultSettings());
    await read.close();
    expect(findings.map((f) => f.code)).toEqual(["NL313"]);
  });

  describe("CLI", () => {
    let box: Sandbox;
    beforeAll(() => ensureBuilt());
    afterEach(() => box?.remove());

    it("lints a folder of config.json and params.json alone, on config.json's key", () => {
      box = Sandbox.create();
      const text = JSON.stringify(llamaConfig(), null, 2) + "\n";
      box.write("llama/config.json", text);
      box.write("llama/params.json", '{"dim": 64, "norm_eps": 1e-05}\n');
      const { result, report } = box.json(["."]);
      expect(result.stderr).toBe("");
      expect([0, 1]).toContain(result.status);
      const f = report.findings.filter((x) => x.code === "NL313");
      expect(f).toHaveLength(1);
      expect(f[0].file).toBe("llama/config.json");
      const at = positionOf(text, "0.000001");
      expect([f[0].line, f[0].column]).toEqual([at.line, at.column]);
    });

    // NL218/NL219 are folder rules: the code they judge is a folder's, with config.json's family
    // and dtype. Beside a config.json (no checkpoint needed) the CLI lints the folder; a Python
    // file whose only family evidence is a `# normlint: model_type=` comment has no dtype (NL218)
    // and is no folder's code (NL219): neither reaches it.
    const modeling = `# normlint: model_type=qwen3\n${QWEN3_FP16_MODELING}`;
    const ours = (report: { findings: Array<{ code: string; file: string; line: number }> }) =>
      report.findings.filter((x) => /^NL21[89]$/.test(x.code)).map((x) => `${x.code} ${x.file}:${x.line}`).sort();

    it("reaches a modeling file beside its config.json, with no checkpoint", () => {
      box = Sandbox.create();
      box.write("m/config.json", QWEN3_FP16_CONFIG);
      box.write("m/modeling.py", modeling);
      const { result, report } = box.json(["."]);
      expect(result.stderr).toBe("");
      expect(ours(report)).toEqual(["NL218 m/modeling.py:17", "NL218 m/modeling.py:18", "NL219 m/modeling.py:17"]);
    });

    it("does not reach a file whose family comes from a comment only", () => {
      box = Sandbox.create();
      box.write("src/modeling.py", modeling);
      const { result, report } = box.json(["."]);
      expect(result.stderr).toBe("");
      expect(ours(report)).toEqual([]);
    });
  });
});
