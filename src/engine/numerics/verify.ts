// Verification of a computed norm output (a GPU kernel's) against the float64 reference.
//
// The figures are measured per element against max(|reference|, floor), where the floor is the
// size of the terms the output is computed from: |scale| * (1 + |normalized| + |mean| * rstd).
// fp32 statistics are off by a few fp32 ULPs of the row's scale (the mean's error moves every
// element of the row alike; rstd's error is relative to the normalized value), so an output near
// 0, by itself or because `n * w` and the bias cancel, carries an absolute error set by those
// terms, not by its own size. Without the floor a correct fp32 LayerNorm reports millions of ULPs
// on its smallest outputs; with it, a wrong convention (a missing offset, a swapped norm kind)
// still shows as thousands of ULPs or more.
import { checkNormInput, type Dtype, type NormInput, type NormShape, type NormVariant, normShape, type Precision } from "./norms";
import { type ReferenceResult, referenceNorm, rounder, ulpOf } from "./reference";

export interface Tolerance {
  /** Largest error allowed, in ULPs of the output dtype at max(|reference|, floor). */
  maxUlp: number;
}

/**
 * Per output dtype, with room over what the kernels are measured to do (test/gpu.test.ts and the
 * bench on SwiftShader: at most 3 ULP in f32, 1 in f16 and bf16, hidden 1 to 32,768). f32: fp32
 * tree sums are off by up to ~log2(n) ULPs in the worst case and WGSL allows inverseSqrt 2 ULPs,
 * and other GPUs round differently. f16 and bf16: the fp32 result before the final cast can land
 * on the other side of a rounding tie (1 ULP), twice in the llama order (the normalized value,
 * then the product). A wrong convention is thousands of ULPs off.
 */
export const TOLERANCES: Record<Dtype, Tolerance> = {
  f32: { maxUlp: 8 },
  f16: { maxUlp: 2 },
  bf16: { maxUlp: 2 },
};

export interface Verification {
  /** True when every element is within tolerance and non-finite values match. */
  verified: boolean;
  dtype: Dtype;
  count: number;
  maxAbs: number;
  /** Largest |error| / max(|reference|, floor). */
  maxRel: number;
  /** Largest error in ULPs of the output dtype at max(|reference|, floor). */
  maxUlp: number;
  meanUlp: number;
  /** Share of the finite outputs equal to the reference bit for bit. */
  exactShare: number;
  /** Elements where one side is NaN or infinite and the other is not the same. */
  nonFiniteMismatches: number;
  /** The element with the largest ULP error (index into the flat output; row and channel when hidden is known). */
  worst?: { index: number; row: number; channel: number; got: number; want: number };
  tolerance: Tolerance;
  /** Why verification failed, in a sentence; undefined when verified. */
  failure?: string;
}

export interface VerifyOptions {
  dtype: Dtype;
  /** Row length, to report the worst element's row and channel and to index `floor`. */
  hidden?: number;
  /** The floor per element: `floor(row, channel)`; 0 when absent. */
  floor?: (row: number, channel: number) => number;
  tolerance?: Tolerance;
}

/** Compares `got` with `want` element by element; see the file comment for the floor. */
export function verifyOutput(got: ArrayLike<number>, want: ArrayLike<number>, options: VerifyOptions): Verification {
  const { dtype } = options;
  const tolerance = options.tolerance ?? TOLERANCES[dtype];
  const H = options.hidden ?? want.length;
  const v: Verification = { verified: false, dtype, count: want.length, maxAbs: 0, maxRel: 0, maxUlp: 0, meanUlp: 0, exactShare: 0, nonFiniteMismatches: 0, tolerance };
  if (got.length !== want.length) {
    v.failure = `${got.length} outputs where ${want.length} were expected`;
    return v;
  }
  let sumUlp = 0;
  let worstUlp = -1;
  let exact = 0;
  let finite = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (!Number.isFinite(g) || !Number.isFinite(w)) {
      if (!(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)))) v.nonFiniteMismatches++;
      continue;
    }
    const row = Math.floor(i / H);
    const ch = i - row * H;
    const err = Math.abs(g - w);
    finite++;
    if (err === 0) exact++;
    const at = Math.max(Math.abs(w), options.floor?.(row, ch) ?? 0);
    const ulps = err === 0 ? 0 : err / ulpOf(dtype, at);
    const rel = err === 0 ? 0 : at > 0 ? err / at : Infinity;
    if (err > v.maxAbs) v.maxAbs = err;
    if (rel > v.maxRel) v.maxRel = rel;
    sumUlp += ulps;
    if (ulps > worstUlp) {
      worstUlp = ulps;
      v.worst = { index: i, row, channel: ch, got: g, want: w };
    }
  }
  v.maxUlp = Math.max(worstUlp, 0);
  v.meanUlp = finite ? sumUlp / finite : 0;
  v.exactShare = finite ? exact / finite : 0;
  if (v.nonFiniteMismatches) v.failure = `${v.nonFiniteMismatches} outputs are NaN or infinite on one side only`;
  else if (v.maxUlp > tolerance.maxUlp) v.failure = `max error ${fmtUlp(v.maxUlp)} ULP exceeds the ${dtype} tolerance of ${tolerance.maxUlp} ULP`;
  else if (want.length === 0) v.failure = "no outputs to compare";
  v.verified = v.failure === undefined;
  return v;
}

export interface NormVerification extends Verification {
  reference: ReferenceResult;
}

/**
 * Verifies one norm computation: runs the reference for the same variant, precision and input,
 * and compares with the floor described in the file comment.
 */
export function verifyNorm(got: ArrayLike<number>, variant: NormVariant | NormShape, precision: Precision, input: NormInput, tolerance?: Tolerance): NormVerification {
  const shape = normShape(variant);
  checkNormInput(shape, input);
  const reference = referenceNorm(shape, precision, input);
  const { mean, rstd, scale } = reference;
  const rd = rounder(precision.dtype);
  const { x, hidden } = input;
  const floor = (row: number, ch: number) => {
    const n = (rd(x[row * hidden + ch]) - mean[row]) * rstd[row];
    return Math.abs(scale[ch]) * (1 + Math.abs(n) + Math.abs(mean[row]) * rstd[row]);
  };
  const v = verifyOutput(got, reference.out, { dtype: precision.dtype, hidden: input.hidden, floor, tolerance });
  return { ...v, reference };
}

function fmtUlp(u: number): string {
  return u >= 100 ? u.toExponential(2) : u.toFixed(2);
}

/** One line of figures, e.g. "GPU-verified (bf16): max 1.00 ULP, max abs 3.9e-3, max rel 3.9e-3, 99.8% exact over 4096 values". */
export function describeVerification(v: Verification, label = "GPU-verified"): string {
  const exact = `${(v.exactShare * 100).toFixed(v.exactShare === 1 || v.exactShare < 0.99 ? 0 : 1)}% exact`;
  const figures = `max ${fmtUlp(v.maxUlp)} ULP, max abs ${v.maxAbs.toExponential(1)}, max rel ${v.maxRel.toExponential(1)}, ${exact} over ${v.count} values`;
  return v.verified ? `${label} (${v.dtype}): ${figures}` : `NOT verified (${v.dtype}): ${v.failure}; ${figures}`;
}
