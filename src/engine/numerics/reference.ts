// The float64 reference of every norm variant and precision. Statistics and arithmetic are exact
// to float64; values are rounded to the activation dtype (round to nearest, ties to even) at the
// same points as the WGSL kernels (src/gpu/wgsl/norm.wgsl) and as the PyTorch code they model: on
// load, at the casts of the chosen cast order, and on store. So the reference is what an fp32
// kernel would give if its fp32 arithmetic were exact, and GPU results differ from it only by
// fp32 rounding.
import { checkNormInput, type Dtype, type NormInput, type NormShape, type NormVariant, normShape, type Precision } from "./norms";

interface FloatFormat {
  /** Significand bits, the implicit one included. */
  p: number;
  /** Least normal exponent. */
  emin: number;
  /** Largest finite value. */
  max: number;
}

export const FORMATS: Record<Dtype, FloatFormat> = {
  f32: { p: 24, emin: -126, max: 3.4028234663852886e38 },
  f16: { p: 11, emin: -14, max: 65504 },
  bf16: { p: 8, emin: -126, max: 3.3895313892515355e38 },
};

const f64 = new Float64Array(1);
const f64Words = new Uint32Array(f64.buffer);
// The high word of a float64 (sign, exponent, top mantissa bits), on either byte order.
const HI = new Uint8Array(Float64Array.of(1).buffer)[7] === 0x3f ? 1 : 0;

/** floor(log2(a)) for a finite a > 0, exact: read from the float64's exponent field. */
export function exponentOf(a: number): number {
  f64[0] = a;
  const e = (f64Words[HI] >>> 20) & 0x7ff;
  if (e !== 0) return e - 1023;
  // A float64 subnormal (below 2^-1022): far below every format here, so precision does not matter.
  return Math.floor(Math.log2(a));
}

/**
 * Rounds a float64 to the nearest value of a binary format (ties to even), in one step, so there
 * is no double rounding through float32. Overflow gives an infinity, as IEEE formats do; NaN,
 * infinities and signed zeros pass through.
 */
function roundToFormat(x: number, f: FloatFormat): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const a = Math.abs(x);
  const quantum = 2 ** (Math.max(exponentOf(a), f.emin) - (f.p - 1));
  // a / quantum is exact: dividing by a power of two only moves the exponent.
  const y = a / quantum;
  let k = Math.floor(y);
  const frac = y - k;
  if (frac > 0.5 || (frac === 0.5 && k % 2 === 1)) k += 1;
  const r = k * quantum;
  if (r > f.max) return x < 0 ? -Infinity : Infinity;
  return x < 0 ? -r : r;
}

/** Nearest value of `dtype` (ties to even), as a number. */
export function roundTo(dtype: Dtype, x: number): number {
  return dtype === "f32" ? Math.fround(x) : roundToFormat(x, FORMATS[dtype]);
}

export function rounder(dtype: Dtype): (x: number) => number {
  if (dtype === "f32") return Math.fround;
  const f = FORMATS[dtype];
  return (x) => roundToFormat(x, f);
}

/** The value one unit in the last place of `dtype` at magnitude |x| (subnormal spacing below the normals). */
export function ulpOf(dtype: Dtype, x: number): number {
  const f = FORMATS[dtype];
  const a = Math.abs(x);
  if (!Number.isFinite(a)) return Infinity;
  const e = a === 0 ? f.emin : Math.max(exponentOf(a), f.emin);
  return 2 ** (e - (f.p - 1));
}

// ---- fast converters for whole arrays of float32 values (host side of the GPU runner) ----

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits of the float32 nearest to x, rounded to nearest even; NaN stays a quiet NaN. */
export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const a = b & 0x7fffffff;
  if (a >= 0x7f800000) return sign | 0x7c00 | (a > 0x7f800000 ? 0x200 : 0);
  if (a >= 0x477ff000) return sign | 0x7c00; // at or past 65520, halfway beyond 65504: infinity
  if (a >= 0x38800000) {
    // Normal in f16: drop 13 mantissa bits with ties to even; a carry moves into the exponent.
    const r = a + 0xfff + ((a >>> 13) & 1);
    return sign | ((r - 0x38000000) >>> 13);
  }
  if (a <= 0x33000000) return sign; // at most 2^-25, half the least subnormal: zero (the tie is even)
  // Subnormal in f16: the value in units of 2^-24 is the significand shifted right by 126 - e.
  const e = a >>> 23;
  const m = (a & 0x7fffff) | 0x800000;
  const shift = 126 - e;
  const q = m >>> shift;
  const rem = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return sign | (q + (rem > half || (rem === half && q & 1) ? 1 : 0));
}

export function toF16Bits(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f32ToF16Bits(values[i]);
  return out;
}

// ---- the reference ----

export interface ReferenceResult {
  /** The outputs, each a value of the output dtype. */
  out: Float64Array;
  /** Per row: the mean the norm subtracted (0 for RMSNorm) and 1 / sqrt(var + eps). */
  mean: Float64Array;
  rstd: Float64Array;
  /** Per channel: the factor the normalized value is multiplied by (1 when there is no weight). */
  scale: Float64Array;
}

/**
 * The scale each channel applies, as the cast order forms it: `w`, or `1 + w` in float64 for
 * `gemma` (fp32 in the model: exact enough) and rounded to the dtype for `llama` and `torch`.
 */
export function effectiveScale(shape: NormShape, precision: Precision, weight: ArrayLike<number> | undefined, hidden: number): Float64Array {
  const rd = rounder(precision.dtype);
  const s = new Float64Array(hidden).fill(1);
  if (shape.weight === "none" || !weight) return s;
  for (let i = 0; i < hidden; i++) {
    const w = rd(weight[i]);
    s[i] = shape.weight === "plain" ? w : precision.cast === "gemma" ? 1 + w : rd(1 + w);
  }
  return s;
}

/** The norm over every row, in float64 with the dtype's roundings; see the file comment. */
export function referenceNorm(variant: NormVariant | NormShape, precision: Precision, input: NormInput): ReferenceResult {
  const shape = normShape(variant);
  const rows = checkNormInput(shape, input);
  const { x, hidden: H } = input;
  const rd = rounder(precision.dtype);
  const llama = precision.cast === "llama";
  const scale = effectiveScale(shape, precision, input.weight, H);
  const hasWeight = shape.weight !== "none";
  const bias = new Float64Array(H);
  if (shape.bias && input.bias) for (let i = 0; i < H; i++) bias[i] = rd(input.bias[i]);
  // The kernels receive eps as an f32, as torch passes a Python float to an fp32 kernel.
  const eps = Math.fround(input.eps);
  const out = new Float64Array(rows * H);
  const meanOut = new Float64Array(rows);
  const rstdOut = new Float64Array(rows);
  const xr = new Float64Array(H);
  for (let r = 0; r < rows; r++) {
    const base = r * H;
    let sum = 0;
    for (let i = 0; i < H; i++) {
      xr[i] = rd(x[base + i]);
      sum += xr[i];
    }
    const mean = shape.center ? sum / H : 0;
    let sq = 0;
    for (let i = 0; i < H; i++) {
      const d = xr[i] - mean;
      sq += d * d;
    }
    const rstd = 1 / Math.sqrt(sq / H + eps);
    meanOut[r] = mean;
    rstdOut[r] = rstd;
    for (let i = 0; i < H; i++) {
      const n = (xr[i] - mean) * rstd;
      let y: number;
      if (llama) {
        // Cast the normalized activations first, then every operation rounds in the dtype.
        y = rd(n);
        if (hasWeight) y = rd(y * scale[i]);
        if (shape.bias) y = rd(y + bias[i]);
      } else {
        y = hasWeight ? n * scale[i] : n;
        if (shape.bias) y += bias[i];
        y = rd(y);
      }
      out[base + i] = y;
    }
  }
  return { out, mean: meanOut, rstd: rstdOut, scale };
}
