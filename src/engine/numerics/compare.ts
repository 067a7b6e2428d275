// How far apart two conventions' outputs are (the declared one and the implemented one, say), and
// the histogram of a norm weight tensor that tells an offset-stored scale (weights near 0) from a
// plain one (weights near 1) at a glance.
import { NEAR } from "../weights/norm-stats";

export interface OutputComparison {
  /** ||b - a|| / ||a||, with `a` the baseline (the declared convention). */
  relL2: number;
  /** a.b / (||a|| ||b||); 1 when both are zero. */
  cosine: number;
  maxAbsDiff: number;
  /** Where the largest difference is. */
  maxAt: { index: number; row: number; channel: number };
  meanAbsDiff: number;
  /** Per channel, over the rows: the largest |b - a| and the root mean square of b - a. */
  channelMaxAbs: Float64Array;
  channelRms: Float64Array;
  /** Pairs left out because either side is NaN or infinite. */
  nonFinite: number;
  count: number;
}

/** Compares `b` against the baseline `a`, both laid out as rows of `hidden` values. */
export function compareOutputs(a: ArrayLike<number>, b: ArrayLike<number>, hidden: number = a.length): OutputComparison {
  if (a.length !== b.length) throw new RangeError(`cannot compare ${a.length} values with ${b.length}`);
  if (hidden < 1 || a.length % hidden !== 0) throw new RangeError(`${a.length} values are not rows of ${hidden}`);
  const channelMaxAbs = new Float64Array(hidden);
  const channelSq = new Float64Array(hidden);
  const channelN = new Uint32Array(hidden);
  let aa = 0;
  let bb = 0;
  let ab = 0;
  let dd = 0;
  let sumAbs = 0;
  let maxAbsDiff = 0;
  let maxIndex = 0;
  let nonFinite = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      nonFinite++;
      continue;
    }
    const d = y - x;
    const ch = i % hidden;
    aa += x * x;
    bb += y * y;
    ab += x * y;
    dd += d * d;
    const ad = Math.abs(d);
    sumAbs += ad;
    if (ad > maxAbsDiff) {
      maxAbsDiff = ad;
      maxIndex = i;
    }
    if (ad > channelMaxAbs[ch]) channelMaxAbs[ch] = ad;
    channelSq[ch] += d * d;
    channelN[ch]++;
  }
  const channelRms = channelSq.map((s, ch) => (channelN[ch] ? Math.sqrt(s / channelN[ch]) : 0));
  const n = a.length - nonFinite;
  const relL2 = aa > 0 ? Math.sqrt(dd / aa) : dd > 0 ? Infinity : 0;
  const cosine = aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : aa === bb ? 1 : 0;
  return {
    relL2,
    cosine,
    maxAbsDiff,
    maxAt: { index: maxIndex, row: Math.floor(maxIndex / hidden), channel: maxIndex % hidden },
    meanAbsDiff: n ? sumAbs / n : 0,
    channelMaxAbs,
    channelRms,
    nonFinite,
    count: a.length,
  };
}

export interface Histogram {
  /** Bin i counts values v with `round(v / width) == first + i`: bins are centred on multiples of the width. */
  width: number;
  first: number;
  counts: Uint32Array;
  /** Bin centres, for plotting. */
  centers: Float64Array;
  /** Finite values beyond the plotted range (its tails are clipped at the 0.1% quantiles). */
  below: number;
  above: number;
  nonFinite: number;
  count: number;
  min: number;
  max: number;
  /** Shares of the finite values within 0.25 of 0 and of 1 (the norm-stats thresholds). */
  fracNear0: number;
  fracNear1: number;
}

// Bin widths whose inverse is a whole number, so that 0 and 1 are both bin centres.
const WIDTHS = [0.001, 0.002, 0.0025, 0.004, 0.005, 0.01, 0.02, 0.025, 0.04, 0.05, 0.1, 0.125, 0.2, 0.25, 0.5, 1];

/**
 * A histogram of weight values whose range always includes 0 and 1 and whose bins are centred on
 * them, so the "near 0" and "near 1" bars read directly. Tails beyond the 0.1% and 99.9%
 * quantiles are counted in `below`/`above` rather than stretching the axis.
 */
export function weightHistogram(values: ArrayLike<number>, targetBins = 48): Histogram {
  const finite: number[] = [];
  let nonFinite = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) finite.push(v);
    else nonFinite++;
  }
  const sorted = Float64Array.from(finite).sort();
  const n = sorted.length;
  const q = (p: number) => (n ? sorted[Math.min(n - 1, Math.floor(p * (n - 1)))] : 0);
  const lo = Math.min(0, q(0.001));
  const hi = Math.max(1, q(0.999));
  const raw = (hi - lo) / Math.max(1, targetBins);
  const width = WIDTHS.find((w) => w >= raw) ?? Math.ceil(raw);
  const first = Math.round(lo / width);
  const last = Math.round(hi / width);
  const counts = new Uint32Array(last - first + 1);
  let below = 0;
  let above = 0;
  let near0 = 0;
  let near1 = 0;
  for (const v of sorted) {
    const k = Math.round(v / width);
    if (k < first) below++;
    else if (k > last) above++;
    else counts[k - first]++;
    if (Math.abs(v) < NEAR) near0++;
    if (Math.abs(v - 1) < NEAR) near1++;
  }
  const centers = Float64Array.from(counts, (_, i) => (first + i) * width);
  return {
    width,
    first,
    counts,
    centers,
    below,
    above,
    nonFinite,
    count: values.length,
    min: n ? sorted[0] : NaN,
    max: n ? sorted[n - 1] : NaN,
    fracNear0: n ? near0 / n : 0,
    fracNear1: n ? near1 / n : 0,
  };
}
