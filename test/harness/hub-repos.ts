// Model repositories for the Hub stand-in (test/harness/hub-server.ts), built in memory from the
// same builders as the local folder tests: each layout the Hub tests compare with a local lint.
import { buildGguf, buildSafetensors, encodeSafetensorsHeader, type Fill, type TensorDesc } from "./checkpoint-builder";
import { folderDesc } from "./model-folder";
import { type HubRepoSpec, sparseSafetensors, type VirtualFile } from "./hub-server";

const enc = new TextEncoder();
const json = (v: unknown) => enc.encode(`${JSON.stringify(v, null, 2)}\n`);

export type RepoFiles = Record<string, Uint8Array>;

/** config.json + model.safetensors for a family and fill (metadata: e.g. { format: "mlx" }). */
export function safetensorsRepo(modelType: string, fill: Fill, opts: { metadata?: Record<string, string>; layers?: number; config?: Record<string, unknown> } = {}): RepoFiles {
  const { config, desc } = folderDesc({ modelType, fill, layers: opts.layers ?? 6, hidden: 64, config: opts.config });
  if (opts.metadata) desc.metadata = opts.metadata;
  return { "config.json": json(config), "model.safetensors": buildSafetensors(desc).bytes };
}

/** The same checkpoint split into `shards` files with model.safetensors.index.json. */
export function shardedRepo(modelType: string, fill: Fill, shards: number, opts: { layers?: number; hidden?: number } = {}): RepoFiles {
  const { config, desc } = folderDesc({ modelType, fill, layers: opts.layers ?? 6, hidden: opts.hidden ?? 64 });
  const names = Object.keys(desc.tensors);
  const files: RepoFiles = { "config.json": json(config) };
  const weightMap: Record<string, string> = {};
  let total = 0;
  for (let s = 0; s < shards; s++) {
    const file = `model-${String(s + 1).padStart(5, "0")}-of-${String(shards).padStart(5, "0")}.safetensors`;
    const part: Record<string, TensorDesc> = {};
    for (let i = s; i < names.length; i += shards) {
      part[names[i]] = desc.tensors[names[i]];
      weightMap[names[i]] = file;
    }
    const built = buildSafetensors({ tensors: part });
    files[file] = built.bytes;
    total += built.bytes.length - 8 - built.headerLength;
  }
  files["model.safetensors.index.json"] = json({ metadata: { total_size: total }, weight_map: weightMap });
  return files;
}

/** A GGUF file alone (its metadata names the architecture), norms filled as given. */
export function ggufRepo(arch: string, fill: Fill): RepoFiles {
  const tensors: Record<string, { type: string; dims: number[]; fill: Fill }> = { "output_norm.weight": { type: "F32", dims: [64], fill } };
  for (let i = 0; i < 6; i++) {
    tensors[`blk.${i}.attn_norm.weight`] = { type: "F32", dims: [64], fill };
    tensors[`blk.${i}.ffn_norm.weight`] = { type: "F32", dims: [64], fill };
  }
  return { "model.gguf": buildGguf({ metadata: { "general.architecture": arch }, tensors }) };
}

/** A checkpoint whose header is hostile: a length prefix far past the file. */
export function hostileRepo(): RepoFiles {
  const { config } = folderDesc({ modelType: "llama", fill: "llama-like" });
  const head = encodeSafetensorsHeader({ "model.norm.weight": { dtype: "BF16", shape: [64], data_offsets: [0, 128] } });
  new DataView(head.buffer).setBigUint64(0, 1n << 40n, true);
  const broken = enc.encode('{"model.norm.weight": {"dtype": "BF16", "shape": [64], "data_offsets": [0, 999999]}}');
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(broken.length), true);
  return {
    "config.json": json(config),
    "model-00001-of-00002.safetensors": head,
    "model-00002-of-00002.safetensors": new Uint8Array([...len, ...broken]),
  };
}

/**
 * A config + one shard whose zero-filled embedding (`vocab` x 64 bf16) comes first and the norms at
 * its end: 20 GB at vocab 156,250,000, never allocated.
 */
export function sparseRepo(fill: Fill, vocab: number, opts: { modelType?: string; metadata?: Record<string, string>; layers?: number } = {}): Record<string, VirtualFile> {
  const { config, desc } = folderDesc({ modelType: opts.modelType ?? "gemma2", fill, layers: opts.layers ?? 6, hidden: 64 });
  delete desc.tensors["model.embed_tokens.weight"];
  if (opts.metadata) desc.metadata = opts.metadata;
  return { "config.json": json(config), "model.safetensors": sparseSafetensors(desc, "model.embed_tokens.weight", [vocab, 64]) };
}

/** The demo set the server's command line serves (and the e2e scenario reads). */
export function demoRepos(): HubRepoSpec[] {
  return [
    { id: "normlint-demo/gemma2-offset-bug", files: safetensorsRepo("gemma2", "llama-like") },
    { id: "normlint-demo/gemma2-ok", files: safetensorsRepo("gemma2", "gemma-like") },
    { id: "normlint-demo/llama-sharded", files: shardedRepo("llama", "llama-like", 3) },
    { id: "normlint-demo/gemma2-mlx-doubled", files: safetensorsRepo("gemma2", "gemma-folded", { metadata: { format: "mlx" } }) },
    { id: "normlint-demo/gemma3-gguf", files: ggufRepo("gemma3", "gemma-like") },
    { id: "normlint-demo/gemma2-20gb", files: sparseRepo("llama-like", 156_250_000) },
    { id: "normlint-demo/gated", files: safetensorsRepo("gemma2", "llama-like"), gated: true, grants: ["hf_demo_token"] },
  ];
}
