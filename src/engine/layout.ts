// Which storage layout a checkpoint is in, and which module group each of its norm tensors belongs
// to. A format decides where the norms sit (knowledge/layouts.ts): llama.cpp folds Gemma's +1 into
// GGUF files, mlx-lm shifts Qwen3-Next's norms in sanitize(), Megatron stores zero-centred gamma.
// The detection reads only what the folder reader already has (headers, names, config.json), and
// says how it knows, so every weight-rule message can name the layout and its evidence. The types
// (DetectedLayout, NormGroup) live in folder-model.ts with the rest of what a folder is once read.
import { type CheckpointFile, type DetectedLayout, MAX_TENSOR_NAME as MAX_NAME, type NormGroup, type NormTensor } from "./folder-model";
import { type ByteSource, mapBounded, NORM_READS_IN_FLIGHT } from "./io";
import type { ModuleGroup } from "./knowledge/layouts";
import { readGgufTensor } from "./parsers/gguf";
import { readTensor } from "./parsers/safetensors";
import { classifyCentre, type OffsetClassification, tensorStats } from "./weights/norm-stats";

const MEGATRON_NORM = /(^|\.)(decoder\.)?layers\.\d+\.(self_attention\.(linear_qkv|in_proj)\.layer_norm_weight|mlp\.linear_fc1\.layer_norm_weight|input_layernorm\.weight|pre_mlp_layernorm\.weight)$|(^|\.)decoder\.final_layernorm\.weight$/;

/**
 * The layout of the checkpoint the norm statistics come from. `config` is config.json's root object
 * (or empty); `fromGguf` says the statistics were read from a GGUF file.
 */
export function detectLayout(checkpoints: CheckpointFile[], config: Record<string, unknown>, fromGguf: boolean, files: readonly string[] = []): DetectedLayout {
  if (fromGguf) {
    const g = checkpoints.find((c) => c.gguf)?.gguf;
    const arch = g?.metadata.get("general.architecture")?.value;
    return { format: "gguf", label: `GGUF (general.architecture=${typeof arch === "string" ? arch : "missing"})`, marked: true };
  }
  const st = checkpoints.filter((c) => c.safetensors);
  // mlx-lm's first format: the weights in one weights.npz beside config.json.
  const npz = files.find((f) => /(^|[\\/])weights\.npz$/.test(f));
  if (npz) return { format: "mlx", label: `MLX (${npz.split(/[\\/]/).pop()})`, marked: true };
  if (!st.length) return { format: "hf", label: "Hugging Face (no checkpoint read)", marked: false };
  const mlx = mlxMarker(st, config);
  if (mlx) return { format: "mlx", label: `MLX (${mlx})`, marked: true };
  for (const c of st) {
    const t = c.safetensors!.tensors.find((x) => x.name.length <= MAX_NAME && MEGATRON_NORM.test(x.name) && /decoder\.|self_attention|linear_fc1|pre_mlp_layernorm/.test(x.name));
    if (t) return { format: "megatron", label: `Megatron (tensor naming: ${t.name})`, marked: true };
  }
  return { format: "hf", label: "Hugging Face safetensors (tensor naming; no MLX, GGUF or Megatron marker)", marked: false };
}

function mlxMarker(st: CheckpointFile[], config: Record<string, unknown>): string | undefined {
  // mlx-lm's save_weights writes metadata={"format": "mlx"} (mlx_lm/utils.py); Hugging Face writes "pt".
  if (st.some((c) => c.safetensors!.metadata?.format === "mlx")) return "safetensors metadata format=mlx";
  // mlx-lm records its quantization as config.json "quantization": {group_size, bits}; Hugging Face
  // uses quantization_config.
  const q = config.quantization;
  if (q && typeof q === "object" && !Array.isArray(q) && "bits" in q && "group_size" in q) return "config.json quantization {bits, group_size}";
  for (const c of st) {
    const names = new Set(c.safetensors!.tensors.map((t) => t.name));
    for (const n of names) {
      if (n.endsWith(".scales") && names.has(`${n.slice(0, -".scales".length)}.biases`)) return `quantized tensor naming: ${n} with .biases`;
      if (n.includes(".switch_mlp.")) return `stacked experts: ${n}`;
    }
    // Hugging Face keeps a depthwise conv1d as [C, 1, K]; mlx-lm's sanitize() moves it to [C, K, 1].
    const conv = c.safetensors!.tensors.find((t) => t.name.endsWith("conv1d.weight") && t.shape.length === 3 && t.shape[2] === 1 && t.shape[1] > 1);
    if (conv) return `sanitized conv1d: ${conv.name} [${conv.shape.join(", ")}]`;
  }
  return undefined;
}

/**
 * The module group of a norm weight tensor by its name, in Hugging Face, MLX, Megatron or GGUF
 * naming; undefined when the name is not a norm's scale.
 */
export function groupOf(name: string): ModuleGroup | undefined {
  // Real tensor names are short; a hostile header's megabyte-long name would make the suffix
  // patterns below backtrack quadratically.
  if (name.length > MAX_NAME) return undefined;
  if (!/norm\w*\.weight$|(^|\.)ln_\w+\.weight$|layer_norm_weight$/.test(name)) return undefined;
  if (/(^|\.)mtp\.|\.nextn\.|(^|\.)(enorm|hnorm)\.weight$|shared_head\.norm|pre_fc_norm_(embedding|hidden)/.test(name)) return "mtp";
  // MiniCPM-V names its (timm) vision tower `vpm` (modeling_minicpmv.py: `self.vpm = self.init_vision_module()`).
  if (/(^|\.)(vision_tower|vision_model|visual|vision|image_encoder|vit|siglip|mm_projector|multi_modal_projector|vpm)\./.test(name)) return "vision";
  // Megatron names the gated linear-attention norm self_attention.out_norm (Megatron Bridge, Qwen3-Next).
  if (/linear_attn\.norm\.weight$|(^|\.)ssm_norm\.weight$|mixer\.norm\.weight$|(^|\.)mamba\.norm\.weight$|self_attention\.out_norm\.weight$/.test(name)) return "gated";
  return "trunk";
}

/**
 * Reads the norm tensors outside the trunk (MTP head, vision tower, gated norms; for a Megatron
 * checkpoint also its trunk, which the family's Hugging Face names do not find) within `budget`
 * bytes, and classifies every group's centre. The trunk's tensors come in already read, with the
 * main-norm classification (`offset`) that decides 0 against 1 for them.
 */
export async function readNormGroups(
  checkpoints: CheckpointFile[],
  sourceOf: (path: string) => ByteSource | undefined,
  layout: DetectedLayout,
  trunk: NormTensor[],
  offset: OffsetClassification | undefined,
  budget: number,
): Promise<{ groups: NormGroup[]; trunk: NormTensor[]; capped: boolean }> {
  const byGroup = new Map<ModuleGroup, NormTensor[]>([["trunk", [...trunk]]]);
  const seen = new Set(trunk.map((t) => t.name));
  const readTrunk = layout.format === "megatron" && trunk.length === 0;
  let used = 0;
  let capped = false;
  const take = (name: string, shape: readonly number[]) => {
    if (seen.has(name) || shape.length !== 1) return undefined;
    const g = groupOf(name);
    if (!g || (g === "trunk" && !(readTrunk && MEGATRON_NORM.test(name)))) return undefined;
    return g;
  };
  const useGguf = layout.format === "gguf";
  // Picked in header order within the budget, then read several at a time (over HTTP each read is a
  // round trip); the results keep the header's order.
  type Read = () => Promise<{ ok: true; data: Float32Array } | { ok: false }>;
  const picked: { g: ModuleGroup; name: string; file: string; shape: number[]; read: Read }[] = [];
  const pick = (file: string, name: string, shape: readonly number[], bytes: number, read: Read) => {
    const g = take(name, shape);
    if (!g) return;
    if (bytes > budget - used) {
      capped = true;
      return;
    }
    used += bytes;
    // A name is read once, even where two files of the folder hold it.
    seen.add(name);
    picked.push({ g, name, file, shape: [...shape], read });
  };
  for (const c of checkpoints) {
    const src = sourceOf(c.path);
    if (!src) continue;
    const st = c.safetensors;
    const gg = c.gguf;
    if (!useGguf && st) {
      for (const t of st.tensors) pick(c.path, t.name, t.shape, t.end - t.begin, () => readTensor(src, st, t.name));
    } else if (useGguf && gg) {
      // GGUF lists dims innermost first; only 1-D tensors are taken, whose order is the same.
      for (const t of gg.tensors) pick(c.path, t.name, t.dims, t.byteLength, () => readGgufTensor(src, gg, t.name));
      break;
    }
  }
  const reads = await mapBounded(picked, NORM_READS_IN_FLIGHT, (t) => t.read());
  picked.forEach((t, i) => {
    const r = reads[i];
    if (!r.ok) return;
    const list = byGroup.get(t.g) ?? [];
    list.push({ name: t.name, file: t.file, shape: t.shape, stats: tensorStats(t.name, r.data) });
    byGroup.set(t.g, list);
  });
  const groups: NormGroup[] = [];
  for (const [group, tensors] of byGroup) {
    if (!tensors.length) continue;
    const stats = tensors.map((t) => t.stats);
    // The trunk keeps the main-norm classification (tuned on real checkpoints) for 0 against 1.
    const centre = group === "trunk" && !readTrunk ? classifyCentre(stats, { offset, minTensors: 4 }) : classifyCentre(stats);
    groups.push({ group, tensors, centre });
  }
  return { groups, trunk: byGroup.get("trunk") ?? [], capped };
}
