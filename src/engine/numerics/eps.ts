// What an eps does at a floating-point format: is it zero or subnormal there, and do two eps values
// give different results at the resolution of the format the model runs in.
//
// The norm's statistic is `ms + eps` (mean square, or variance for a LayerNorm), and the output is
// the input scaled by `1 / sqrt(ms + eps)`. Changing eps from e1 to e2 scales a whole row by
// `sqrt((ms + e1) / (ms + e2))`, a relative change of about `|e1 - e2| / (2 (ms + min(e1, e2)))`.
// The change matters where it exceeds the format's unit roundoff (half an ulp at 1: the smallest
// relative change a value stored in that format can show), on the rows where it is largest: those
// with the smallest mean square a real model feeds a norm. We take that smallest mean square as
// `initializer_range ** 2` = 0.02 ** 2 = 4e-4: transformers' default initializer_range (0.02) gives
// embedding rows that standard deviation, and the first layer's norm sees those rows unscaled in
// Llama-style models. Activations deeper in the network are larger, so this bounds the effect from
// above for the rows that show it most; a difference below the format's resolution even there does
// not change what the model computes in that format.

import { FORMATS as BINARY } from "./reference";

/** The smallest mean square of realistic activations a norm sees: initializer_range 0.02, squared. */
export const SMALLEST_MEAN_SQUARE = 0.02 * 0.02;

export type FloatFormat = "float16" | "bfloat16" | "float32" | "float64";

export interface FormatInfo {
  /** Unit roundoff: 2^-(significand bits including the implicit one). */
  unitRoundoff: number;
  /** Smallest positive normal number. */
  minNormal: number;
  /** Smallest positive subnormal number; values below half of it round to zero. */
  minSubnormal: number;
}

// IEEE 754 binary16 / binary32 / binary64, and bfloat16 (fp32's exponent with 8 significand bits),
// from the significand bits and least normal exponent the float64 reference rounds with.
const info = (f: { p: number; emin: number }): FormatInfo => ({ unitRoundoff: 2 ** -f.p, minNormal: 2 ** f.emin, minSubnormal: 2 ** (f.emin - f.p + 1) });

export const FORMATS: Readonly<Record<FloatFormat, FormatInfo>> = {
  float16: info(BINARY.f16),
  bfloat16: info(BINARY.bf16),
  float32: info(BINARY.f32),
  float64: info({ p: 53, emin: -1022 }),
};

/**
 * A dtype as configs and code write it (`"float16"`, `"torch.float16"`, `"fp16"`, `"half"`,
 * `"bf16"`, `"F16"`), or undefined for anything else (including `"auto"`).
 */
export function floatFormat(name: unknown): FloatFormat | undefined {
  if (typeof name !== "string") return undefined;
  const n = name.trim().toLowerCase().replace(/^torch\./, "");
  if (n === "float16" || n === "fp16" || n === "half" || n === "f16") return "float16";
  if (n === "bfloat16" || n === "bf16") return "bfloat16";
  if (n === "float32" || n === "fp32" || n === "float" || n === "f32") return "float32";
  if (n === "float64" || n === "fp64" || n === "double" || n === "f64") return "float64";
  return undefined;
}

/** How a positive eps is stored in a format: rounded to zero, subnormal (reduced precision), or normal. */
export function epsClass(eps: number, format: FloatFormat): "zero" | "subnormal" | "normal" {
  const f = FORMATS[format];
  // Round to nearest: anything at or below half the smallest subnormal becomes 0.
  if (eps <= f.minSubnormal / 2) return "zero";
  return eps < f.minNormal ? "subnormal" : "normal";
}

/** The relative change of a norm's output when its eps goes from `a` to `b`, on the smallest realistic rows. */
export function epsEffect(a: number, b: number, meanSquare = SMALLEST_MEAN_SQUARE): number {
  return Math.abs(a - b) / (2 * (meanSquare + Math.min(a, b)));
}

/** Do eps `a` and `b` give results that differ at the resolution of `format`? */
export function epsDiffersAt(a: number, b: number, format: FloatFormat): boolean {
  return epsEffect(a, b) > FORMATS[format].unitRoundoff;
}

/** Are two eps the same number once both are stored as float32 (GGUF metadata, fp32 configs)? */
export function sameEpsAsFloat32(a: number, b: number): boolean {
  return Math.fround(a) === Math.fround(b);
}
