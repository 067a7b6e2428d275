// Robust statistics over a model's norm weight tensors, and a conservative guess at how the scale is
// stored: as the scale itself ("plain", weights near 1: Llama, Mistral, Qwen...) or as an offset from
// 1 that the model adds back, x * (1 + w) ("offset", weights near 0: Gemma 1-3 HF checkpoints).
//
// Trained weights drift: offset-stored layers reach means of ~0.5 with outliers of several units,
// and plain layers fall to 0.3 or rise past 2 (final norms more). So one tensor decides nothing: the
// guess needs most tensors on one side, almost none on the other, and the median of the per-tensor
// means clear of the 0.3-0.7 band. Anything else is "unknown".

/** Values within this distance of 0 or 1 count as "near" it. */
export const NEAR = 0.25;
/** A tensor whose median lies in (OFFSET_LOW, OFFSET_HIGH) looks offset-stored; above PLAIN_LOW, plain. */
export const OFFSET_LOW = -0.5;
export const OFFSET_HIGH = 0.3;
export const PLAIN_LOW = 0.7;

export interface TensorStats {
  name: string;
  /** Elements, finite or not. */
  count: number;
  finite: number;
  nanCount: number;
  infCount: number;
  /** Over the finite values; NaN when there are none. */
  mean: number;
  median: number;
  std: number;
  min: number;
  max: number;
  /** Shares of the finite values with |w| < 0.25, |w - 1| < 0.25, w < 0. */
  fracNear0: number;
  fracNear1: number;
  fracNegative: number;
}

export interface NormStats {
  tensors: TensorStats[];
  /** Tensors with at least one finite value. */
  usable: number;
  /** Median over usable tensors of their means (NaN when none). */
  medianOfMeans: number;
  /** Share of usable tensors whose median is in (-0.5, 0.3): stored like offsets. */
  shareNear0: number;
  /** Share of usable tensors whose median is above 0.7: stored like scales. */
  shareNear1: number;
  /** NaN and infinite values over all tensors. */
  nonFinite: number;
}

export type OffsetEncoding = "offset" | "plain" | "unknown";

export interface OffsetClassification {
  encoding: OffsetEncoding;
  /** 0..1; 0 when unknown. */
  confidence: number;
  /** The side the evidence leans to, even when too weak to decide. */
  lean: "offset" | "plain" | undefined;
  /** Why: a sentence for messages and hovers. */
  reason: string;
  /** Tensors supporting the answer (or, when unknown, the conflicting ones); at most 8. */
  evidence: Array<{ name: string; mean: number }>;
  /** The figures behind it, for messages: usable tensors, how many sit near 0 and near 1. */
  usable: number;
  nearZero: number;
  nearOne: number;
  medianOfMeans: number;
}

export interface ClassifyOptions {
  /** Fewer usable tensors than this give "unknown" (default 4). */
  minTensors?: number;
  /** Least confidence for an answer (default 0.6). */
  minConfidence?: number;
}

/** Statistics of one tensor (any float data; non-finite values are counted and left out). */
export function tensorStats(name: string, data: ArrayLike<number>): TensorStats {
  const n = data.length;
  const finite = new Float64Array(n);
  let k = 0;
  let nan = 0;
  let inf = 0;
  let sum = 0;
  let near0 = 0;
  let near1 = 0;
  let negative = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (v !== v) {
      nan++;
      continue;
    }
    if (v === Infinity || v === -Infinity) {
      inf++;
      continue;
    }
    finite[k++] = v;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
    if (Math.abs(v) < NEAR) near0++;
    if (Math.abs(v - 1) < NEAR) near1++;
    if (v < 0) negative++;
  }
  const mean = k ? sum / k : Number.NaN;
  let sq = 0;
  for (let i = 0; i < k; i++) sq += (finite[i] - mean) ** 2;
  return {
    name,
    count: n,
    finite: k,
    nanCount: nan,
    infCount: inf,
    mean,
    median: k ? median(finite.subarray(0, k)) : Number.NaN,
    std: k ? Math.sqrt(sq / k) : Number.NaN,
    min: k ? min : Number.NaN,
    max: k ? max : Number.NaN,
    fracNear0: k ? near0 / k : 0,
    fracNear1: k ? near1 / k : 0,
    fracNegative: k ? negative / k : 0,
  };
}

/** Median by quickselect; reorders `a`. */
export function median(a: Float64Array): number {
  const n = a.length;
  if (n === 0) return Number.NaN;
  const hi = select(a, n >> 1);
  if (n % 2) return hi;
  // Everything left of n/2 is <= hi after selection: the lower middle is their maximum.
  let lo = -Infinity;
  for (let i = 0; i < n >> 1; i++) if (a[i] > lo) lo = a[i];
  return (lo + hi) / 2;
}

function select(a: Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    // Median of three as pivot keeps sorted and constant input linear.
    const mid = (left + right) >> 1;
    const pivot = Math.max(Math.min(a[left], a[mid]), Math.min(Math.max(a[left], a[mid]), a[right]));
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k];
  }
  return a[k];
}

/** Statistics over a set of norm weight tensors. */
export function normStats(tensors: Iterable<{ name: string; data: ArrayLike<number> }>): NormStats {
  const all: TensorStats[] = [];
  for (const t of tensors) all.push(tensorStats(t.name, t.data));
  return summarize(all);
}

/** The cross-tensor part of normStats, for callers that computed TensorStats themselves. */
export function summarize(tensors: TensorStats[]): NormStats {
  const usable = tensors.filter((t) => t.finite > 0);
  const means = Float64Array.from(usable, (t) => t.mean);
  let near0 = 0;
  let near1 = 0;
  for (const t of usable) {
    const side = sideOf(t);
    if (side === "offset") near0++;
    else if (side === "plain") near1++;
  }
  return {
    tensors,
    usable: usable.length,
    medianOfMeans: median(means),
    shareNear0: usable.length ? near0 / usable.length : 0,
    shareNear1: usable.length ? near1 / usable.length : 0,
    nonFinite: tensors.reduce((n, t) => n + t.nanCount + t.infCount, 0),
  };
}

/** Which side one tensor sits on, by its median: near 0 (offset-stored), near 1 (plain), or neither. */
export function sideOf(t: Pick<TensorStats, "median">): "offset" | "plain" | undefined {
  if (t.median > OFFSET_LOW && t.median < OFFSET_HIGH) return "offset";
  if (t.median > PLAIN_LOW) return "plain";
  return undefined;
}

/**
 * Guesses whether norm weights are stored as offsets from 1 or as scales. Returns "unknown" unless
 * the evidence is strong: enough tensors, at least 60% of them on one side and at most 10% on the
 * other, the median of means outside 0.3-0.7, and a confidence of at least 0.6.
 */
export function classifyOffsetEncoding(input: NormStats | TensorStats[], opts: ClassifyOptions = {}): OffsetClassification {
  const stats = Array.isArray(input) ? summarize(input) : input;
  const minTensors = opts.minTensors ?? 4;
  const minConfidence = opts.minConfidence ?? 0.6;
  const usable = stats.tensors.filter((t) => t.finite > 0);
  const n = usable.length;
  const m = stats.medianOfMeans;
  const pick = (side: "offset" | "plain" | undefined) =>
    usable.filter((t) => sideOf(t) === side).slice(0, 8).map((t) => ({ name: t.name, mean: t.mean }));
  const figures = {
    usable: n,
    nearZero: Math.round(stats.shareNear0 * n),
    nearOne: Math.round(stats.shareNear1 * n),
    medianOfMeans: m,
  };
  const unknown = (reason: string, lean?: "offset" | "plain"): OffsetClassification => ({
    encoding: "unknown",
    confidence: 0,
    lean,
    reason,
    evidence: lean ? pick(lean) : [...pick("offset").slice(0, 4), ...pick("plain").slice(0, 4)],
    ...figures,
  });

  if (n < minTensors) return unknown(`only ${n} norm tensor${n === 1 ? "" : "s"} with finite values (${minTensors} needed)`);
  const s0 = stats.shareNear0;
  const s1 = stats.shareNear1;
  const lean = s0 > s1 ? "offset" : s1 > s0 ? "plain" : undefined;
  if (s0 > 0.1 && s1 > 0.1) {
    return unknown(`mixed: ${pct(s0)} of norm tensors look offset-stored (near 0) and ${pct(s1)} look plain (near 1)`, lean);
  }
  if (!(m < OFFSET_HIGH || m > PLAIN_LOW)) {
    return unknown(`the median of the tensor means is ${m.toFixed(2)}, between ${OFFSET_HIGH} and ${PLAIN_LOW}`, lean);
  }
  const side = m < OFFSET_HIGH ? "offset" : "plain";
  const share = side === "offset" ? s0 : s1;
  const other = side === "offset" ? s1 : s0;
  if (share < 0.6 || other > 0.1) {
    return unknown(`only ${pct(share)} of norm tensors are clearly ${side === "offset" ? "near 0" : "near 1"}`, lean);
  }
  // Shares, count and distance from the ambiguous band each cap the confidence.
  const separation = Math.min(1, Math.abs(m - 0.5) / 0.35);
  const confidence = round2(share * (1 - 2 * other) * Math.min(1, n / 8) * separation);
  const what = side === "offset" ? "near 0 (stored as an offset: scale = 1 + w)" : "near 1 (stored as the scale)";
  if (confidence < minConfidence) {
    return unknown(`${pct(share)} of ${n} norm tensors are ${what}, but the confidence ${confidence} is under ${minConfidence}`, side);
  }
  return {
    encoding: side,
    confidence,
    lean: side,
    reason: `${pct(share)} of ${n} norm tensors are ${what}; median of means ${m.toFixed(2)}`,
    evidence: pick(side),
    ...figures,
  };
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Where a group of norm weights sits: 0 (offsets from 1), 1 (the scale), 2 (the +1 applied twice). */
export type Centre = 0 | 1 | 2 | "unknown";

export interface CentreClassification {
  centre: Centre;
  reason: string;
  usable: number;
  /** Median over usable tensors of their medians (NaN when none). */
  medianOfMedians: number;
  /** Tensors supporting the answer (or the first ones, when unknown); at most 6. */
  evidence: Array<{ name: string; median: number }>;
}

/** Per-tensor median bands: a tensor sits at a centre when its median is inside that centre's band. */
export const CENTRE_BANDS: Record<0 | 1 | 2, [number, number]> = { 0: [OFFSET_LOW, 0.6], 1: [PLAIN_LOW, 1.6], 2: [1.75, 3.2] };

/**
 * Where a group of norm tensors sits, conservatively: every tensor of a group under 10 (90% of a
 * larger one) inside one centre's band, at least `minTensors` of them (default 3), and the median of
 * their medians inside the band too. Trained plain norms spread past 1.6 and trained offsets past
 * 0.6, so such groups stay "unknown" rather than being called at the wrong centre. With `offset`
 * (the main norms' classifyOffsetEncoding), its answer decides between 0 and 1, and the bands only
 * add 2: a decided "plain" whose tensors all sit in the 2 band is a double shift.
 */
export function classifyCentre(tensors: TensorStats[], opts: { minTensors?: number; offset?: OffsetClassification } = {}): CentreClassification {
  const usable = tensors.filter((t) => t.finite > 0 && Number.isFinite(t.median));
  const n = usable.length;
  const m = median(Float64Array.from(usable, (t) => t.median));
  const base = { usable: n, medianOfMedians: m };
  const minTensors = opts.minTensors ?? 3;
  const first = (pick: typeof usable) => pick.slice(0, 6).map((t) => ({ name: t.name, median: t.median }));
  if (n < minTensors) return { centre: "unknown", reason: `only ${n} norm tensor${n === 1 ? "" : "s"} with finite values (${minTensors} needed)`, evidence: first(usable), ...base };
  const need = n < 10 ? n : Math.ceil(0.9 * n);
  let band: 0 | 1 | 2 | undefined;
  for (const c of [0, 1, 2] as const) {
    const [lo, hi] = CENTRE_BANDS[c];
    const inside = usable.filter((t) => t.median > lo && t.median < hi);
    if (inside.length >= need && m > lo && m < hi) band = c;
  }
  if (band === 2 && (!opts.offset || opts.offset.encoding !== "offset")) {
    return { centre: 2, reason: `${n} norm tensors sit near 2 (median of medians ${m.toFixed(2)}): 1 + (1 + w)`, evidence: first(usable), ...base };
  }
  if (opts.offset) {
    const o = opts.offset;
    const centre: Centre = o.encoding === "offset" ? 0 : o.encoding === "plain" ? 1 : "unknown";
    return { centre, reason: o.reason, evidence: o.evidence.slice(0, 6).map((e) => ({ name: e.name, median: usable.find((t) => t.name === e.name)?.median ?? e.mean })), ...base };
  }
  if (band === undefined) return { centre: "unknown", reason: `the ${n} norm tensors do not all sit in one band (median of medians ${m.toFixed(2)})`, evidence: first(usable), ...base };
  return { centre: band, reason: `${n === need ? "all" : `${need} of`} ${n} norm tensors sit near ${band} (median of medians ${m.toFixed(2)})`, evidence: first(usable), ...base };
}
