// The Norm Lab's comparison: for each norm tensor of a checkpoint, the convention the model declares
// (knowledge base + config) against the alternative (with/without the +1 offset, or RMS/Layer),
// computed on seeded Gaussian activations by an executor the caller supplies (the GPU runner in
// the webview and the CLI, the float64 reference on CPU), every GPU result verified against the
// reference. Planning from a model folder is in lab-plan.ts (it needs the knowledge base, which
// the webview bundle leaves out). Pure: the plan is plain data (tensors as Float32Arrays, which the extension sends to
// the webview as transferable buffers), so the webview and `normlint verify` run the same code.
import type { Family } from "./knowledge/index";
import { compareOutputs, type Histogram, weightHistogram } from "./numerics/compare";
import { type Dtype, NORM_VARIANTS, type NormVariant, type Precision } from "./numerics/norms";
import { gaussian } from "./numerics/random";
import { referenceNorm } from "./numerics/reference";
import { describeVerification, type Verification, verifyNorm } from "./numerics/verify";
import { sideOf, tensorStats } from "./weights/norm-stats";

export interface LabOptions {
  /** Activation rows per tensor (default 8). */
  rows?: number;
  /** Seed of the Gaussian activations (default 0). */
  seed?: number;
  /** Standard deviation of the activations (default 1). */
  scale?: number;
  /** Activation dtype (default f32). */
  dtype?: Dtype;
}

export interface LabTensorPlan {
  name: string;
  hidden: number;
  weight: Float32Array;
  bias?: Float32Array;
  declared: NormVariant;
  alternative: NormVariant;
  /** What the alternative changes, e.g. "without the +1 offset". */
  alternativeLabel: string;
  /** What the folder's modeling code computes, when it has norm classes the analysis read. */
  implemented?: NormVariant;
}

/**
 * Whether the stored weights look offset-encoded (near 0), plain (near 1) or shifted twice (near 2),
 * as NL303 reads them.
 */
export type StoredEncoding = "offset" | "plain" | "double" | "unknown";

export interface LabPlan {
  dir: string;
  family?: string;
  /** "RMSNorm, x * (1 + weight), no bias". */
  declaredText: string;
  /** Where the implemented convention was read: "GemmaRMSNorm in modeling_gemma.py". */
  implementedText?: string;
  precision: Precision;
  eps: number;
  rows: number;
  seed: number;
  scale: number;
  /** Whether the family's checkpoints in this storage layout store the scale as an offset from 1. */
  familyOffset: boolean;
  /** The storage layout and how it was recognised: "GGUF (general.architecture=gemma2)". */
  layout?: string;
  stored: StoredEncoding;
  storedReason: string;
  tensors: LabTensorPlan[];
  /** Why tensors were left out, one sentence each. */
  notes: string[];
}

/** One norm computation for an executor. */
export interface LabRun {
  variant: NormVariant;
  precision: Precision;
  x: Float32Array;
  hidden: number;
  eps: number;
  weight?: Float32Array;
  bias?: Float32Array;
}

export interface LabExecResult {
  out: Float32Array;
  /** "gpu": verified against the reference; "cpu": the reference itself (not GPU-verified). */
  backend: "gpu" | "cpu";
  ms: number;
}

export type LabExec = (run: LabRun) => Promise<LabExecResult>;

/** Figures of a verification, without the reference arrays (so results are plain data). */
export type VerificationFigures = Omit<Verification, "tolerance"> & { maxUlpAllowed: number; text: string };

export interface LabTensorResult {
  name: string;
  hidden: number;
  declared: NormVariant;
  alternative: NormVariant;
  alternativeLabel: string;
  /** Which output is the baseline of the difference figures: the one the stored weights fit. */
  baseline: "declared" | "alternative";
  relL2: number;
  cosine: number;
  maxAbsDiff: number;
  meanAbsDiff: number;
  /** Per channel: root mean square over the rows of declared - alternative. */
  channelRms: number[];
  histogram: { width: number; first: number; counts: number[]; below: number; above: number; min: number; max: number; fracNear0: number; fracNear1: number };
  /** The weights' median, and the side it puts the tensor on as NL303 reads one tensor. */
  median: number;
  side: "offset" | "plain" | undefined;
  backend: "gpu" | "cpu";
  /** Undefined on the CPU path, where the outputs are the reference. */
  verification?: { declared: VerificationFigures; alternative: VerificationFigures };
  /** The modeling code's convention, its output against the baseline's (run only when it is neither). */
  implemented?: { variant: NormVariant; relL2: number; verification?: VerificationFigures };
  ms: number;
}

export type VerdictKind = "consistent" | "offset-missing" | "offset-twice" | "double-shift" | "unknown" | "no-tensors";

export interface LabResult {
  plan: Omit<LabPlan, "tensors">;
  tensors: LabTensorResult[];
  backend: "gpu" | "cpu";
  /** True when every tensor ran on the GPU and every output passed verification. */
  verified: boolean;
  /** Worst figures over all verified outputs (undefined on CPU). */
  worst?: { maxUlp: number; maxAbs: number; maxRel: number };
  medianRelL2: number;
  minCosine: number;
  maxAbsDiff: number;
  /** `implementationDiffers`: the modeling code computes another convention than the declared one. */
  verdict: { kind: VerdictKind; text: string; implementationDiffers?: boolean };
  /** Which activations ran, when the caller picked a tensor (else the plan's seeded Gaussian rows). */
  activations?: string;
  ms: number;
}

/** The named variant a family's main norm computes, or undefined when it has none the kernels model. */
export function declaredVariant(f: Family | undefined): NormVariant | undefined {
  if (!f) return undefined;
  if (f.norm === "rms") return f.offset ? "rmsnorm-offset" : "rmsnorm";
  if (f.norm === "layer") {
    if (f.init === "none") return "layernorm-noweight";
    if (f.offset) return "layernorm1p";
    return f.bias ? "layernorm" : "layernorm-nobias";
  }
  return undefined;
}

/** The convention a port most often gets wrong instead: toggle the offset, else RMS/Layer. */
export function alternativeVariant(v: NormVariant): { variant: NormVariant; label: string } {
  switch (v) {
    case "rmsnorm-offset":
      return { variant: "rmsnorm", label: "without the +1 offset (x * w)" };
    case "rmsnorm":
      return { variant: "rmsnorm-offset", label: "with a +1 offset (x * (1 + w))" };
    case "layernorm1p":
      return { variant: "layernorm", label: "without the +1 offset (x * w + b)" };
    case "layernorm":
      return { variant: "layernorm1p", label: "with a +1 offset (x * (1 + w) + b)" };
    case "layernorm-nobias":
      return { variant: "rmsnorm", label: "as RMSNorm (no mean subtracted)" };
    case "layernorm-noweight":
      return { variant: "rmsnorm", label: "as RMSNorm with the unit weight" };
  }
}

/** "x * (1 + w)", prefixed with the norm kind when `other` is of the other kind. */
export function formulaOf(v: NormVariant, other?: NormVariant): string {
  const s = NORM_VARIANTS[v];
  const scale = s.weight === "none" ? "x (no weight)" : s.weight === "offset" ? "x * (1 + w)" : "x * w";
  const f = s.bias ? `${scale} + b` : scale;
  return other && NORM_VARIANTS[other].center !== s.center ? `${s.center ? "LayerNorm" : "RMSNorm"} ${f}` : f;
}

/** The seeded activations of a plan for one hidden size: the same seed gives the same rows everywhere. */
export function activations(plan: Pick<LabPlan, "rows" | "seed" | "scale">, hidden: number): Float32Array {
  return gaussian(plan.seed, plan.rows * hidden, 0, plan.scale);
}

/** Activations the user picked (a tensor of a safetensors file): rows of `hidden` values. */
export interface LabInput {
  /** "`hidden_states` in acts.safetensors". */
  label: string;
  hidden: number;
  data: Float32Array;
}

/**
 * A tensor read as activations: its last dimension is the hidden size, every value finite. Returns
 * an error sentence otherwise.
 */
export function labInput(label: string, data: Float32Array, shape: number[]): LabInput | string {
  const hidden = shape[shape.length - 1];
  if (!shape.length || !hidden) return `${label} has shape [${shape.join(", ")}]: activations need a last dimension of at least 1`;
  if (!data.length) return `${label} is empty`;
  if (data.length % hidden) return `${label} holds ${data.length} values, not whole rows of ${hidden}`;
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) return `${label} holds a non-finite value (${data[bad]}) at flat index ${bad}`;
  return { label, hidden, data };
}

/** The CPU executor: the float64 reference (with the dtype's roundings), labelled as not GPU-verified. */
export const cpuExec: LabExec = async (run) => {
  const t0 = performance.now();
  const r = referenceNorm(run.variant, run.precision, run);
  return { out: Float32Array.from(r.out), backend: "cpu", ms: performance.now() - t0 };
};

function figures(v: Verification): VerificationFigures {
  const { tolerance, ...rest } = v as Verification & { reference?: unknown };
  delete (rest as { reference?: unknown }).reference;
  return { ...rest, maxUlpAllowed: tolerance.maxUlp, text: describeVerification(v) };
}

function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs both conventions for every tensor of the plan through `exec`, verifying GPU outputs. */
export async function runComparison(plan: LabPlan, exec: LabExec, input?: LabInput): Promise<LabResult> {
  const t0 = performance.now();
  const results: LabTensorResult[] = [];
  const xs = new Map<number, Float32Array>();
  // Picked activations stand in for the Gaussian rows at their hidden size (at most plan.rows rows).
  let used: string | undefined;
  if (input) {
    const n = Math.min(plan.rows, input.data.length / input.hidden);
    xs.set(input.hidden, input.data.subarray(0, n * input.hidden));
    const others = [...new Set(plan.tensors.map((t) => t.hidden).filter((h) => h !== input.hidden))];
    used = `${n} row${n === 1 ? "" : "s"} of ${input.label} (hidden ${input.hidden})`;
    if (!plan.tensors.some((t) => t.hidden === input.hidden)) used += `, which no norm tensor has`;
    if (others.length) used += `; seeded Gaussian rows for hidden ${others.join(", ")}`;
  }
  // The baseline is the convention the stored weights fit, so "differ by 97%" is relative to the
  // outputs the checkpoint was trained to give.
  const weightsFitAlternative = (plan.stored === "offset" || plan.stored === "plain") && (plan.stored === "offset") !== plan.familyOffset;
  for (const t of plan.tensors) {
    let x = xs.get(t.hidden);
    if (!x) xs.set(t.hidden, (x = activations(plan, t.hidden)));
    const base = { precision: plan.precision, x, hidden: t.hidden, eps: plan.eps, weight: t.weight, bias: t.bias };
    const d = await exec({ ...base, variant: t.declared });
    const a = await exec({ ...base, variant: t.alternative });
    const backend = d.backend === "gpu" && a.backend === "gpu" ? "gpu" : "cpu";
    let verification: LabTensorResult["verification"];
    if (backend === "gpu") {
      verification = {
        declared: figures(verifyNorm(d.out, t.declared, plan.precision, base)),
        alternative: figures(verifyNorm(a.out, t.alternative, plan.precision, base)),
      };
    }
    const cmp = weightsFitAlternative ? compareOutputs(a.out, d.out, t.hidden) : compareOutputs(d.out, a.out, t.hidden);
    let implemented: LabTensorResult["implemented"];
    let implMs = 0;
    if (t.implemented) {
      // The code's convention is most often the declared one or the alternative: reuse that output.
      let out = t.implemented === t.declared ? d.out : t.implemented === t.alternative ? a.out : undefined;
      let check: VerificationFigures | undefined;
      if (!out) {
        const r = await exec({ ...base, variant: t.implemented });
        out = r.out;
        implMs = r.ms;
        if (backend === "gpu") check = r.backend === "gpu" ? figures(verifyNorm(r.out, t.implemented, plan.precision, base)) : undefined;
      }
      const rel = compareOutputs(weightsFitAlternative ? a.out : d.out, out, t.hidden).relL2;
      implemented = { variant: t.implemented, relL2: rel, ...(check ? { verification: check } : {}) };
    }
    const h: Histogram = weightHistogram(t.weight);
    const stats = tensorStats(t.name, t.weight);
    results.push({
      name: t.name,
      hidden: t.hidden,
      declared: t.declared,
      alternative: t.alternative,
      alternativeLabel: t.alternativeLabel,
      baseline: weightsFitAlternative ? "alternative" : "declared",
      relL2: cmp.relL2,
      cosine: cmp.cosine,
      maxAbsDiff: cmp.maxAbsDiff,
      meanAbsDiff: cmp.meanAbsDiff,
      channelRms: Array.from(cmp.channelRms),
      histogram: { width: h.width, first: h.first, counts: Array.from(h.counts), below: h.below, above: h.above, min: h.min, max: h.max, fracNear0: h.fracNear0, fracNear1: h.fracNear1 },
      median: stats.median,
      side: sideOf(stats),
      backend,
      verification,
      ...(implemented ? { implemented } : {}),
      ms: d.ms + a.ms + implMs,
    });
  }
  const { tensors: _tensors, ...planData } = plan;
  const backend = results.length && results.every((r) => r.backend === "gpu") ? "gpu" : "cpu";
  const ver = results.flatMap((r) => [...(r.verification ? [r.verification.declared, r.verification.alternative] : []), ...(r.implemented?.verification ? [r.implemented.verification] : [])]);
  const verified = backend === "gpu" && ver.length > 0 && ver.every((v) => v.verified);
  const worst = ver.length
    ? { maxUlp: Math.max(...ver.map((v) => v.maxUlp)), maxAbs: Math.max(...ver.map((v) => v.maxAbs)), maxRel: Math.max(...ver.map((v) => v.maxRel)) }
    : undefined;
  const medianRelL2 = median(results.map((r) => r.relL2));
  return {
    plan: planData,
    tensors: results,
    backend,
    verified,
    worst,
    medianRelL2,
    minCosine: results.length ? Math.min(...results.map((r) => r.cosine)) : NaN,
    maxAbsDiff: results.length ? Math.max(...results.map((r) => r.maxAbsDiff)) : NaN,
    verdict: verdict(plan, medianRelL2, results.length, median(results.flatMap((r) => (r.implemented ? [r.implemented.relL2] : [])))),
    ...(used ? { activations: used } : {}),
    ms: performance.now() - t0,
  };
}

export function percent(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const p = x * 100;
  return `${p >= 10 ? p.toFixed(0) : p >= 1 ? p.toFixed(1) : p.toPrecision(2)}%`;
}

/**
 * One sentence per model, reading the stored weights as NL303 (checkpoint-norm-offset-mismatch)
 * does: weights near 1 in an offset family have the +1 folded in twice; weights near 0 in a plain
 * family are missing the +1.
 */
export function verdict(plan: LabPlan, relL2: number, count: number, implRelL2 = NaN): LabResult["verdict"] {
  const v = weightsVerdict(plan, relL2, count);
  const t = plan.tensors.find((x) => x.implemented);
  if (!count || !t?.implemented || t.implemented === t.declared) return v;
  const fam = plan.family ?? "the model";
  const where = plan.implementedText ? ` (${plan.implementedText})` : "";
  const diff = Number.isFinite(implRelL2) ? `: its outputs differ by ${percent(implRelL2)} relative L2 from the ${v.kind === "offset-missing" || v.kind === "offset-twice" || v.kind === "double-shift" ? "weights' convention" : "declared one"}` : "";
  return { kind: v.kind, text: `${v.text}; the code implements ${formulaOf(t.implemented, t.declared)}${where}, ${fam} declares ${formulaOf(t.declared, t.implemented)}${diff}`, implementationDiffers: true };
}

function weightsVerdict(plan: LabPlan, relL2: number, count: number): { kind: VerdictKind; text: string } {
  const fam = plan.family ?? "this model";
  if (!count) return { kind: "no-tensors", text: `nothing to compare: ${plan.notes[0] ?? "no norm tensors"}` };
  const diff = percent(relL2);
  if (plan.stored === "unknown") {
    return { kind: "unknown", text: `the stored norm weights do not say which convention they follow (${plan.storedReason}); the declared convention and the alternative differ by ${diff} relative L2` };
  }
  // What a loader of this layout must do to the stored weights, said in every verdict.
  const layout = plan.layout ? ` (layout: ${plan.layout})` : "";
  if (plan.stored === "double") {
    const remove = plan.familyOffset ? 2 : 1;
    return { kind: "double-shift", text: `the +1 offset was applied twice before storage: the weights sit near 2 where ${fam} in this layout keeps them near ${plan.familyOffset ? 0 : 1}; a loader must remove ${remove} from the norm weights${layout}; outputs differ by ${diff} relative L2 (NL303)` };
  }
  const storesOffset = plan.stored === "offset";
  if (storesOffset === plan.familyOffset) {
    return {
      kind: "consistent",
      text: `the norm weights match ${fam}'s declared convention (${plan.declaredText}): they sit near ${storesOffset ? 0 : 1}; a loader must do nothing to them${layout}; getting it wrong would change outputs by ${diff} relative L2`,
    };
  }
  if (storesOffset) {
    return { kind: "offset-missing", text: `the +1 offset is missing: the weights are stored as offsets from 1 (near 0) but ${fam} computes x * w here; a loader must add 1 to the norm weights${layout}; outputs differ by ${diff} relative L2 (NL303)` };
  }
  return { kind: "offset-twice", text: `the +1 offset is applied twice: the weights already hold 1 + w (near 1) and ${fam} adds 1 again; a loader must remove 1 from the norm weights${layout}; outputs differ by ${diff} relative L2 (NL303)` };
}
