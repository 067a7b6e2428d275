import { intValue, mainNormClasses, normPathRegex, scaleParam } from "../../folder-model";
import { qkNormFacts } from "../../knowledge/qk-norm";
import { defineRule, type FolderRuleContext } from "../../rule";
import type { ModelFolder } from "../../folder-model";

/**
 * Norms whose width is a config value other than hidden_size, by module name: MLA's latent norms
 * (transformers 5.18.0 models/deepseek_v3/modeling_deepseek_v3.py:392 builds `q_a_layernorm` over
 * q_lora_rank, :404 `kv_a_layernorm` over kv_lora_rank; every 5.18.0 model with these norms does).
 */
const LATENT_NORMS: Record<string, string> = { q_a_layernorm: "q_lora_rank", kv_a_layernorm: "kv_lora_rank" };

/**
 * Every positive integer a config object of the folder gives (the root, `text_config`,
 * `vision_config`...): the widths a norm may legitimately have. Many norms are not over hidden_size
 * (transformers 5.18.0: BitNet's `ffn_sub_norm` over intermediate_size, modeling_bitnet.py; Qwen3-Next's
 * gated `linear_attn.norm` over linear_value_head_dim, modeling_qwen3_next.py; DeepSeek V4's `q_a_norm`
 * over q_lora_rank; a composite's vision tower over vision_config.hidden_size), and the knowledge base
 * records no width per module path, so a norm whose width is another config value is not judged.
 */
function configWidths(folder: Pick<ModelFolder, "config" | "textConfig">): Set<number> {
  const out = new Set<number>();
  const add = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v > 0 && out.add(v);
  for (const v of Object.values(folder.textConfig)) add(v);
  for (const scope of folder.config?.scopes ?? []) {
    for (const prop of scope.node.children ?? []) add(prop.children?.[1]?.value);
  }
  return out;
}

/**
 * ## What it does
 * Checks the shape of the main norm weights against the config: `[hidden_size]` for the layer and
 * final norms, and for QK norms `[head_dim]` (or the per-head forms `[heads * head_dim]` and
 * `[heads, head_dim]` some families use), and MLA's latent norms (`q_a_layernorm`, `kv_a_layernorm`)
 * against `q_lora_rank` / `kv_lora_rank`. Encoders whose stages widen (Swin, PVT) are not judged, nor
 * a norm whose width is another value of the config (intermediate_size, a LoRA rank, a vision tower's
 * hidden_size): the knowledge base does not record which width each module path normalizes.
 *
 * ## Why is this bad?
 * A norm weight of the wrong size fails to load with a shape error at best; with `ignore_mismatched_sizes`
 * it is silently re-initialised, and a config whose `hidden_size` disagrees with the weights builds
 * the wrong model.
 *
 * ## Example
 * `model.norm.weight` of shape `[2048]` with `"hidden_size": 4096`.
 *
 * ## Use instead
 * Fix `hidden_size`/`head_dim` in config.json, or use the checkpoint that matches it.
 */
export default defineRule<"shape", FolderRuleContext<"shape">>({
  name: "checkpoint-norm-shape-mismatch",
  code: "NL306",
  severity: "error",
  input: "folder",
  tags: ["checkpoint", "norm"],
  fix: "none",
  summary: "norm weight whose shape is not hidden_size (or head_dim for QK norms)",
  messages: {
    shape: "`{{tensor}}` has shape [{{shape}}], but the config says {{expected}}{{more}}.",
  },
  check(ctx) {
    const { family: fam, tensorShapes, anchor, textConfig, fromGguf } = ctx.folder;
    if (!fam || fromGguf) return;
    const hidden = intValue(textConfig, "hidden_size") ?? intValue(textConfig, "d_model") ?? intValue(textConfig, "n_embd");
    if (!hidden) return;
    // Hierarchical vision encoders (Swin's `depths`, PVT's `hidden_sizes`) widen stage by stage:
    // their norms have their stage's width, and hidden_size is only the last stage's.
    if (Array.isArray(textConfig.depths) || Array.isArray(textConfig.hidden_sizes)) return;
    const heads = intValue(textConfig, "num_attention_heads");
    const kvHeads = intValue(textConfig, "num_key_value_heads") ?? heads;
    const headDim = intValue(textConfig, "head_dim") ?? (heads ? hidden / heads : undefined);
    const bad: Array<{ tensor: string; shape: number[]; expected: string }> = [];
    let widths: Set<number> | undefined;
    for (const cls of mainNormClasses(fam)) {
      for (const at of cls.at) {
        // StableLM's per-head q/k LayerNorms (`q_layernorm.norms.{N}`) are q/k norms too.
        const qk = /(^|\.)(q|k|query|key)_(norm|layernorm)(\.norms\.\{N\})?$/.test(at);
        // Families whose q/k norm shapes the knowledge base records are judged by NL219, exactly.
        if (qk && qkNormFacts(fam.modelType)) continue;
        // MLA's latent norms (DeepSeek V2/V3, Kimi, LongCat) normalize the low-rank projection.
        const latentKey = LATENT_NORMS[at.split(".").pop()!];
        const latent = latentKey ? intValue(textConfig, latentKey) : undefined;
        if (latentKey && !latent) continue;
        // A norm inside a nested module list (Swin's `layers.{N}.blocks.{N}`, a stage per layer) has
        // its stage's width, not hidden_size; a list of norms (`input_layernorm.{N}`) keeps it.
        if (!qk && !latent && /\{N\}\..*\{N\}\./.test(at)) continue;
        const re = normPathRegex(at, scaleParam(cls));
        for (const [name, { shape }] of tensorShapes) {
          if (!re.test(name)) continue;
          const size = shape.reduce((a, b) => a * b, 1);
          let ok: boolean;
          let expected: string;
          if (latent) {
            ok = shape.length === 1 && shape[0] === latent;
            expected = `${latentKey} = ${latent}`;
          } else if (qk) {
            if (!headDim) continue;
            const allowed = [headDim, ...(heads ? [heads * headDim] : []), ...(kvHeads ? [kvHeads * headDim] : [])];
            ok = allowed.includes(size) && shape.length <= 2;
            expected = `head_dim = ${headDim}`;
          } else {
            ok = shape.length === 1 && (shape[0] === hidden || (widths ??= configWidths(ctx.folder)).has(shape[0]));
            expected = `hidden_size = ${hidden}`;
          }
          if (!ok) bad.push({ tensor: name, shape, expected });
        }
      }
    }
    if (bad.length === 0) return;
    const first = bad[0];
    ctx.report({
      messageId: "shape",
      file: anchor.file,
      at: anchor.range,
      data: { tensor: first.tensor, shape: first.shape.join(", "), expected: first.expected, more: bad.length > 1 ? ` (and ${bad.length - 1} more norm tensors)` : "" },
    });
  },
});
