// Fuzzing model folders: the sharded index (checkShardIndex) on its own, and readModelFolder /
// lintFolder over small generated folders (config.json, one or two safetensors shards with an
// index, a GGUF, pickles, modeling code) with any of their bytes mutated. The readers themselves are
// fuzzed in test/checkpoint-readers.test.ts; this is what the folder rules make of what they return.
// fast-check, because the interesting folders are combinations (a shard the index names twice, a
// truncated header beside a valid one) that no hand-written fixture list would enumerate.
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, it } from "vitest";
import { loadPythonWasm } from "../../src/node/wasm";
import { defaultSettings } from "../../src/engine/index";
import { lintFolder, type ModelFolderInput, readModelFolder } from "../../src/engine/folder";
import type { CodeModule } from "../../src/engine/folder-model";
import { bytesSource } from "../../src/engine/io";
import { checkShardIndex } from "../../src/engine/parsers/safetensors-index";
import { readSafetensorsHeader, type SafetensorsHeader } from "../../src/engine/parsers/safetensors";
import { createPythonParser, lintPython, type PythonParser } from "../../src/engine/python";
import type { Finding } from "../../src/engine/types";
import { buildGguf, buildSafetensors, type Fill, safetensorsFromHeader } from "../harness/checkpoint-builder";
import { folderDesc } from "../harness/model-folder";
import {
  assertDeterministic,
  assertDeterministicAsync,
  assertFindingsInside,
  assertRange,
  fuzz,
  fuzzAsync,
  mutateText,
  note,
  PROTOTYPE_NAMES,
  reportCounts,
  textMutations,
  useWatchdog,
} from "./harness";
import { byteMutations, mutateBytes } from "../harness/mutate";

useWatchdog();
reportCounts("folder");

const enc = new TextEncoder();
let parser: PythonParser;
beforeAll(async () => {
  parser = await createPythonParser(loadPythonWasm([join(__dirname, "..", "..")]));
});

// Families whose checkpoints the folder rules read (main norms with known tensor paths), of each kind.
const MODEL_TYPES = ["llama", "gemma", "gemma2", "gemma3", "mistral", "qwen2", "t5", "bloom", "gpt_neox", "starcoder2", "nemotron", "olmo2", "phi", "cohere"];

const JSON_TOKENS = ["{", "}", "[", "]", ",", ":", '"', "null", "1", "NaN", '"model.safetensors"', '"weight_map":', '"metadata":', ...PROTOTYPE_NAMES];
const jsonMutations = textMutations(JSON_TOKENS, 3);

// ---- the sharded index alone ----

/**
 * A shard header as the reader returns it, for F32 tensors of these names. Written as raw JSON, since
 * a name like `__proto__` would not survive being a key of a JavaScript object.
 */
async function header(names: string[]): Promise<SafetensorsHeader> {
  const entries = names.map((n, i) => `${JSON.stringify(n)}:{"dtype":"F32","shape":[1],"data_offsets":[${i * 4},${i * 4 + 4}]}`);
  const r = await readSafetensorsHeader(bytesSource(safetensorsFromHeader(`{${entries.join(",")}}`, names.length * 4)));
  if (!r.ok) throw new Error(`the test wrote an invalid file: ${r.problems[0]?.message}`);
  return r.header;
}

const tensorName = fc.oneof(fc.constantFrom("model.norm.weight", "model.layers.0.input_layernorm.weight", "lm_head.weight", "a", ""), fc.constantFrom(...PROTOTYPE_NAMES), fc.string({ maxLength: 6 }));
const shardName = fc.oneof(fc.constantFrom("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors", ""), fc.constantFrom(...PROTOTYPE_NAMES));
const indexValue = fc.record(
  {
    metadata: fc.oneof(fc.record({ total_size: fc.oneof(fc.nat(), fc.string()) }), fc.constant(null), fc.integer(), fc.string()),
    weight_map: fc.oneof({ weight: 6, arbitrary: fc.dictionary(tensorName, fc.oneof({ weight: 5, arbitrary: shardName }, { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.constant(null), fc.constant([])) }), { maxKeys: 8 }) }, { weight: 1, arbitrary: fc.oneof(fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.string()) }),
    extra: fc.string(),
  },
  { requiredKeys: [] },
);
/** Index text: the object serialized, with duplicated entries spliced in, then maybe mutated. */
const indexText = fc.tuple(indexValue, fc.array(fc.tuple(tensorName, shardName), { maxLength: 3 }), fc.option(jsonMutations, { nil: undefined })).map(([v, dups, m]) => {
  let text = JSON.stringify(v, null, 2);
  if (dups.length && text.includes('"weight_map": {')) text = text.replace('"weight_map": {', `"weight_map": {${dups.map(([t, s]) => `${JSON.stringify(t)}: ${JSON.stringify(s)},`).join("")}`);
  return m ? mutateText(text, m) : text;
});
const shards = fc.dictionary(shardName, fc.option(fc.array(tensorName, { maxLength: 4 }), { nil: undefined }), { maxKeys: 3 });

describe("fuzz: sharded index", () => {
  it("checkShardIndex: problems inside the text, deterministic, the weight map as Python reads it", async () => {
    // Headers are built outside the property (async), keyed by their tensor list.
    const cache = new Map<string, SafetensorsHeader>();
    const names = ["model.norm.weight", "model.layers.0.input_layernorm.weight", "lm_head.weight", "a", "", ...PROTOTYPE_NAMES];
    for (let mask = 0; mask < 1 << 4; mask++) {
      const list = names.slice(0, 4).filter((_, i) => mask & (1 << i));
      cache.set(list.join("|"), await header(list));
    }
    for (const n of names.slice(4)) cache.set(n, await header([n]));
    const headerOf = (list: string[]) => cache.get([...new Set(list)].join("|")) ?? cache.get(list[0] ?? "") ?? cache.get("")!;
    fuzz("index", 2, [indexText, shards], (text, shardSpec) => {
      const headers = new Map(Object.entries(shardSpec).map(([s, list]) => [s, list ? headerOf(list) : undefined]));
      const r = assertDeterministic("checkShardIndex", () => checkShardIndex(text, headers));
      for (const p of r.problems) assertRange(`index ${p.code}`, p.start, p.end, text.length);
      if (r.problems.length) note("index problems");
      for (const [tensor, shard] of r.weightMap) if (typeof shard !== "string" || !r.shards.includes(shard)) throw new Error(`${tensor} maps to ${shard}, not a listed shard`);
      if (new Set(r.shards).size !== r.shards.length) throw new Error(`shards listed twice: ${r.shards.join(", ")}`);
    });
  });
});

// ---- whole folders ----

interface FolderCase {
  modelType: string;
  layers: number;
  hidden: number;
  fill: Fill;
  dtype: string;
  split: boolean;
  configOps?: Parameters<typeof mutateText>[1];
  configBytes?: Parameters<typeof mutateBytes>[1];
  shardOps: Array<Parameters<typeof mutateBytes>[1] | undefined>;
  indexOps?: Parameters<typeof mutateText>[1];
  dropFromIndex: number;
  gguf: boolean;
  ggufOps?: Parameters<typeof mutateBytes>[1];
  pickles: boolean;
  code?: string;
  noConfig: boolean;
}

const CODE = ["# normlint: model_type=gemma\nimport torch\nfrom torch import nn\nclass GemmaRMSNorm(nn.Module):\n    def __init__(self, dim, eps=1e-5):\n        super().__init__()\n        self.eps = eps\n        self.weight = nn.Parameter(torch.zeros(dim))\n    def forward(self, x):\n        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight\n", "import torch\nclass LlamaRMSNorm(torch.nn.Module):\n    def __init__(self, hidden_size, eps=1e-6):\n        super().__init__()\n        self.weight = torch.nn.Parameter(torch.ones(hidden_size))\n        self.variance_epsilon = eps  # normlint: ignore[config-code-eps-mismatch]\n", "import transformers\ntransformers.models.llama.modeling_llama.LlamaRMSNorm = object\n"];

const folderCase: fc.Arbitrary<FolderCase> = fc.record(
  {
    modelType: fc.constantFrom(...MODEL_TYPES),
    layers: fc.integer({ min: 1, max: 3 }),
    hidden: fc.integer({ min: 1, max: 16 }),
    fill: fc.constantFrom<Fill>("gemma-like", "llama-like", "zeros", "ones", "normal"),
    dtype: fc.constantFrom("BF16", "F32", "F16", "F64", "U8"),
    split: fc.boolean(),
    configOps: fc.option(jsonMutations, { nil: undefined }),
    configBytes: fc.option(byteMutations, { freq: 8, nil: undefined }),
    shardOps: fc.array(fc.option(byteMutations, { freq: 2, nil: undefined }), { minLength: 2, maxLength: 2 }),
    indexOps: fc.option(jsonMutations, { freq: 3, nil: undefined }),
    dropFromIndex: fc.integer({ min: -1, max: 6 }),
    gguf: fc.boolean(),
    ggufOps: fc.option(byteMutations, { freq: 2, nil: undefined }),
    pickles: fc.boolean(),
    code: fc.option(fc.constantFrom(...CODE), { freq: 3, nil: undefined }),
    noConfig: fc.boolean(),
  },
  { requiredKeys: ["modelType", "layers", "hidden", "fill", "dtype", "split", "shardOps", "dropFromIndex", "gguf", "pickles", "noConfig"] },
);

/** The folder a case describes, and the length of every text file in it (for range checks). */
function buildFolder(c: FolderCase): { input: ModelFolderInput; sizes: Map<string, number> } {
  const { config, desc } = folderDesc({ modelType: c.modelType, layers: c.layers, hidden: c.hidden, fill: c.fill, dtype: c.dtype });
  const sizes = new Map<string, number>();
  const input: ModelFolderInput = { dir: "m", safetensors: [], gguf: [], pickles: c.pickles ? ["m/pytorch_model.bin"] : [], maxNormBytes: 4096 };
  if (!c.noConfig) {
    let text = JSON.stringify(config, null, 2);
    if (c.configOps) text = mutateText(text, c.configOps);
    let bytes: Uint8Array = enc.encode(text);
    if (c.configBytes) bytes = mutateBytes(bytes, c.configBytes);
    input.config = { path: "m/config.json", bytes };
  }
  const names = Object.keys(desc.tensors);
  const parts = c.split ? [names.filter((_, i) => i % 2 === 0), names.filter((_, i) => i % 2 === 1)] : [names];
  const weightMap: Record<string, string> = {};
  parts.forEach((part, i) => {
    const file = c.split ? `model-0000${i + 1}-of-00002.safetensors` : "model.safetensors";
    const built = buildSafetensors({ tensors: Object.fromEntries(part.map((n) => [n, desc.tensors[n]])), metadata: { format: "pt" } });
    const ops = c.shardOps[i];
    const bytes = ops ? mutateBytes(built.bytes, ops, 8 + built.headerLength) : built.bytes;
    input.safetensors.push({ path: `m/${file}`, source: bytesSource(bytes) });
    sizes.set(`m/${file}`, bytes.length);
    part.forEach((n, k) => {
      if (k !== c.dropFromIndex) weightMap[n] = file;
    });
  });
  if (c.split || c.indexOps) {
    let text = JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }, null, 2);
    if (c.indexOps) text = mutateText(text, c.indexOps);
    input.index = { path: "m/model.safetensors.index.json", bytes: enc.encode(text) };
  }
  if (c.gguf) {
    const g = buildGguf({
      metadata: { "general.architecture": c.modelType, [`${c.modelType}.attention.layer_norm_rms_epsilon`]: { type: "f32", value: 1e-6 } },
      tensors: { "blk.0.attn_norm.weight": { type: "F32", dims: [c.hidden], fill: c.fill }, "output_norm.weight": { type: "F32", dims: [c.hidden], fill: c.fill } },
    });
    const bytes = c.ggufOps ? mutateBytes(g, c.ggufOps) : g;
    input.gguf.push({ path: "m/model.gguf", source: bytesSource(bytes) });
    sizes.set("m/model.gguf", bytes.length);
  }
  if (c.code) {
    const r = lintPython({ path: "m/modeling.py", text: c.code }, defaultSettings(), parser);
    if (r.module) input.code = [{ path: "m/modeling.py", text: c.code, module: r.module } satisfies CodeModule];
    sizes.set("m/modeling.py", c.code.length);
  }
  return { input, sizes };
}

describe("fuzz: model folders", () => {
  it("readModelFolder and lintFolder over mutated configs, shards, indexes and GGUF files", async () => {
    const settings = defaultSettings();
    await fuzzAsync("folder", 1, [folderCase], async (c) => {
      const { input, sizes } = buildFolder(c);
      const folder = await readModelFolder(input);
      sizes.set("m/config.json", folder.configText.length);
      if (folder.index) sizes.set(folder.index.path, folder.index.text.length);
      const r = await assertDeterministicAsync("lintFolder", async () => (await lintFolder(input, () => settings)).findings);
      const lengthOf = (f: { file: string }) => {
        if (!sizes.has(f.file)) throw new Error(`a finding names ${f.file}, which is not in the folder`);
        return sizes.get(f.file);
      };
      assertFindingsInside(r, lengthOf as (f: Finding) => number);
      for (const f of r) for (const x of f.related ?? []) if (sizes.has(x.file)) assertRange(`${f.rule} related ${x.file}`, x.start, x.end, sizes.get(x.file)!);
      if (folder.normTensors.length) note("norm tensors read");
      if (r.length) note("folder findings");
    });
  });
});
