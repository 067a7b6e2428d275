// Builds model folders in memory: a config.json and a safetensors file whose norm tensors follow a
// family's checkpoint names (from the knowledge base), filled Gemma-like (near 0) or Llama-like
// (near 1). Tests lint them with lintFolder over in-memory ByteSources; no binaries are committed.
import type { ModelFolderInput } from "../../src/engine/folder";
import { mainNormClasses } from "../../src/engine/folder-model";
import { bytesSource } from "../../src/engine/io";
import { family } from "../../src/engine/knowledge/index";
import { buildSafetensors, type CheckpointDesc, type Fill, type TensorDesc } from "./checkpoint-builder";

export interface FolderSpec {
  modelType: string;
  layers?: number;
  hidden?: number;
  fill: Fill;
  dtype?: string;
  config?: Record<string, unknown>;
  /** Edit the tensors before the file is built (drop, add, reshape). */
  edit?: (tensors: Record<string, TensorDesc>) => void;
}

const enc = new TextEncoder();

/** The family's main-norm weight names for `layers` layers, text-stack only, with `model.` prefixes. */
export function normNames(modelType: string, layers: number): string[] {
  const f = family(modelType)!;
  const out: string[] = [];
  for (const c of mainNormClasses(f)) {
    for (const at of c.at) {
      if (/vision|audio|visual|projector|q_norm|k_norm|q_layernorm|k_layernorm/.test(at)) continue;
      if (at.includes("{N}")) for (let i = 0; i < layers; i++) out.push(`${at.replace("{N}", String(i))}.weight`);
      else out.push(`${at}.weight`);
    }
  }
  return out;
}

/**
 * Extra tensors, with `{N}` in a name standing for every layer index below `layers`
 * (`"trf_blocks.{N}.norm1.weight"`), so a spec names a whole model's norms in one line.
 */
export function expandTensors(add: Record<string, TensorDesc>, layers: number): Record<string, TensorDesc> {
  const out: Record<string, TensorDesc> = {};
  for (const [name, t] of Object.entries(add)) {
    if (name.includes("{N}")) for (let i = 0; i < layers; i++) out[name.replaceAll("{N}", String(i))] = t;
    else out[name] = t;
  }
  return out;
}

export function folderDesc(spec: FolderSpec): { config: Record<string, unknown>; desc: CheckpointDesc } {
  const layers = spec.layers ?? 6;
  const hidden = spec.hidden ?? 64;
  const tensors: Record<string, TensorDesc> = { "model.embed_tokens.weight": { dtype: spec.dtype ?? "BF16", shape: [32, hidden], fill: "normal" } };
  for (const name of normNames(spec.modelType, layers)) tensors[name] = { dtype: spec.dtype ?? "BF16", shape: [hidden], fill: spec.fill };
  spec.edit?.(tensors);
  const eps = Object.keys(family(spec.modelType)!.eps)[0];
  const config = { model_type: spec.modelType, hidden_size: hidden, num_hidden_layers: layers, num_attention_heads: 4, ...(eps ? { [eps]: 1e-6 } : {}), ...spec.config };
  return { config, desc: { tensors } };
}

export function folderInput(spec: FolderSpec): ModelFolderInput {
  const { config, desc } = folderDesc(spec);
  return {
    dir: "m",
    config: { path: "m/config.json", bytes: enc.encode(JSON.stringify(config, null, 2)) },
    safetensors: [{ path: "m/model.safetensors", source: bytesSource(buildSafetensors(desc).bytes) }],
    gguf: [],
    pickles: [],
  };
}

/**
 * Modeling code for a Qwen3 folder whose norm computes in the input dtype with eps 1e-12 (NL218 in
 * float16, lines 16-17 one-based) and whose q_norm is built over hidden_size (NL219, line 16).
 */
export const QWEN3_FP16_MODELING = [
  "import torch",
  "from torch import nn",
  "",
  "class TinyNorm(nn.Module):",
  "    def __init__(self, dim, eps=1e-12):",
  "        super().__init__()",
  "        self.eps = eps",
  "        self.weight = nn.Parameter(torch.ones(dim))",
  "",
  "    def forward(self, x):",
  "        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight",
  "",
  "class Qwen3Attention(nn.Module):",
  "    def __init__(self, config):",
  "        super().__init__()",
  "        self.q_norm = TinyNorm(config.hidden_size)",
  "        self.k_norm = TinyNorm(config.head_dim)",
  "",
].join("\n");

/** The config.json beside it: qwen3 in float16. */
export const QWEN3_FP16_CONFIG = JSON.stringify({ model_type: "qwen3", hidden_size: 64, num_attention_heads: 4, head_dim: 16, torch_dtype: "float16" });
