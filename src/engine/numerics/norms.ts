// The norm layers the Norm Lab computes, and the precisions it computes them in. Shared by the
// float64 reference, the verifier, the WGSL kernels' host code and the webview.
import type { Cast } from "../knowledge/index";

/**
 * How a norm layer computes, as three independent choices:
 * - `center`: subtract the row mean first (LayerNorm) or not (RMSNorm);
 * - `weight`: none, `x * w` ("plain"), or `x * (1 + w)` ("offset": Gemma's RMSNorm, LayerNorm1P);
 * - `bias`: add a per-channel bias after the scale.
 */
export interface NormShape {
  center: boolean;
  weight: "none" | "plain" | "offset";
  bias: boolean;
}

export const NORM_VARIANTS = {
  /** nn.LayerNorm: (x - mean) / sqrt(var + eps) * w + b. */
  layernorm: { center: true, weight: "plain", bias: true },
  /** nn.LayerNorm(bias=False) (OLMo 2's predecessors, many modern ports). */
  "layernorm-nobias": { center: true, weight: "plain", bias: false },
  /** nn.LayerNorm(elementwise_affine=False): no weight and no bias (OLMo 1). */
  "layernorm-noweight": { center: true, weight: "none", bias: false },
  /** Llama-style RMSNorm: x / sqrt(mean(x^2) + eps) * w. */
  rmsnorm: { center: false, weight: "plain", bias: false },
  /** Gemma-style RMSNorm: the checkpoint stores w - 1, the model scales by (1 + w). */
  "rmsnorm-offset": { center: false, weight: "offset", bias: false },
  /** NeMo's LayerNorm1P (Nemotron): LayerNorm with weight + 1 and a bias. */
  layernorm1p: { center: true, weight: "offset", bias: true },
} as const satisfies Record<string, NormShape>;

export type NormVariant = keyof typeof NORM_VARIANTS;

export function normShape(v: NormVariant | NormShape): NormShape {
  return typeof v === "string" ? NORM_VARIANTS[v] : v;
}

/** A short label such as "rmsnorm-offset" for a shape that matches a named variant, else a description. */
export function variantLabel(v: NormVariant | NormShape): string {
  if (typeof v === "string") return v;
  for (const [name, s] of Object.entries(NORM_VARIANTS)) {
    if (s.center === v.center && s.weight === v.weight && s.bias === v.bias) return name;
  }
  return `${v.center ? "layernorm" : "rmsnorm"}(weight=${v.weight}, bias=${v.bias})`;
}

/** The activation (and weight) dtype: values are rounded to it on load, at the casts, and on store. */
export type Dtype = "f32" | "f16" | "bf16";

/**
 * Where a norm rounds to the activation dtype, after statistics in fp32:
 * - `llama`: normalize in fp32, cast to the dtype, then scale (and shift) in the dtype, so every
 *   product and sum is rounded (Llama, T5: `self.weight * hidden_states.to(input_dtype)`); an
 *   offset `1 + w` is formed in the weight dtype;
 * - `gemma`: everything in fp32, including `1 + w.float()`, one cast at the end (Gemma, OLMo 2,
 *   Cohere: `(self._norm(x.float()) * (1.0 + self.weight.float())).type_as(x)`);
 * - `torch`: fp32 compute with one cast at the end, as torch's fused layer_norm does for half
 *   inputs, but an offset `weight + 1` formed in the weight dtype before the call (NeMo's
 *   LayerNorm1P). Without an offset it equals `gemma`.
 */
export type CastOrder = "llama" | "gemma" | "torch";

export interface Precision {
  dtype: Dtype;
  cast: CastOrder;
}

export const CAST_ORDERS: readonly CastOrder[] = ["llama", "gemma", "torch"];
export const DTYPES: readonly Dtype[] = ["f32", "f16", "bf16"];

/**
 * The cast order a knowledge-base `cast` names. `fp32` computes like `gemma` (fp32 throughout, one
 * cast), `t5` like `llama` (cast to the weight dtype, then scale). `none` and `other` name no
 * order the kernels model: undefined, and the caller says so.
 */
export function castOrderOf(cast: Cast): CastOrder | undefined {
  switch (cast) {
    case "llama":
    case "t5":
      return "llama";
    case "gemma":
    case "fp32":
      return "gemma";
    case "torch":
      return "torch";
    default:
      return undefined;
  }
}

/** One norm computation over `rows = x.length / hidden` rows. Weight and bias have `hidden` values. */
export interface NormInput {
  x: ArrayLike<number>;
  hidden: number;
  eps: number;
  weight?: ArrayLike<number>;
  bias?: ArrayLike<number>;
}

/** Throws a RangeError naming what does not fit; returns the row count. */
export function checkNormInput(shape: NormShape, input: NormInput): number {
  const { x, hidden, eps } = input;
  if (!Number.isInteger(hidden) || hidden < 1) throw new RangeError(`hidden size must be a positive integer, not ${hidden}`);
  if (x.length % hidden !== 0) throw new RangeError(`${x.length} activations are not a whole number of rows of ${hidden}`);
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new RangeError(`eps must be a finite number >= 0, not ${eps}`);
  if (shape.weight !== "none" && input.weight?.length !== hidden) {
    throw new RangeError(`this norm needs a weight of ${hidden} values, got ${input.weight?.length ?? "none"}`);
  }
  if (shape.bias && input.bias?.length !== hidden) {
    throw new RangeError(`this norm needs a bias of ${hidden} values, got ${input.bias?.length ?? "none"}`);
  }
  return x.length / hidden;
}
