// The messages between the extension host and the Norm Lab webview, and their runtime validators.
// Both sides validate every message they receive: a webview is a separate page, and a message that
// does not match is reported in the panel rather than half-used. The validators are hand-written
// (the shapes are small and flat); see the report in issue 6 for the ajv-compiled follow-up.
import type { Dtype, CastOrder, NormVariant } from "./engine/numerics/norms";
import { NORM_VARIANTS } from "./engine/numerics/norms";

/** A norm tensor as sent: its values as a float32 ArrayBuffer (transferred, not copied as JSON). */
export interface WireTensor {
  name: string;
  hidden: number;
  weight: ArrayBuffer;
  bias?: ArrayBuffer;
  declared: NormVariant;
  alternative: NormVariant;
  alternativeLabel: string;
}

export interface WirePlan {
  dir: string;
  family?: string;
  declaredText: string;
  precision: { dtype: Dtype; cast: CastOrder };
  eps: number;
  rows: number;
  seed: number;
  scale: number;
  familyOffset: boolean;
  stored: "offset" | "plain" | "unknown";
  storedReason: string;
  tensors: WireTensor[];
  notes: string[];
}

/** Extension -> webview. */
export type ToWebview =
  | { type: "load"; folder: string; plan: WirePlan }
  | { type: "error"; message: string };

/** Webview -> extension. */
export type FromWebview =
  | { type: "ready" }
  | { type: "result"; folder: string; backend: "gpu" | "cpu"; verified: boolean; verdict: string }
  | { type: "showProblems" }
  | { type: "error"; message: string };

/** What the webview keeps with vscode.setState, restored by the panel serializer after a reload. */
export interface LabState {
  folder: string;
  rows: number;
  seed: number;
  scale: number;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; error: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === "string";
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isInt = (v: unknown, min: number, max: number): v is number => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
const isBuffer = (v: unknown): v is ArrayBuffer => v instanceof ArrayBuffer || Object.prototype.toString.call(v) === "[object ArrayBuffer]";
const VARIANTS = Object.keys(NORM_VARIANTS);

function fail<T>(error: string): Validation<T> {
  return { ok: false, error };
}

function checkTensor(t: unknown, i: number): string | undefined {
  const at = `plan.tensors[${i}]`;
  if (!isObj(t)) return `${at} is not an object`;
  if (!isStr(t.name)) return `${at}.name is not a string`;
  if (!isInt(t.hidden, 1, 1 << 20)) return `${at}.hidden is not a positive integer`;
  if (!isBuffer(t.weight)) return `${at}.weight is not an ArrayBuffer`;
  if (t.weight.byteLength !== t.hidden * 4) return `${at}.weight holds ${t.weight.byteLength} bytes, not ${t.hidden} float32 values`;
  if (t.bias !== undefined && (!isBuffer(t.bias) || t.bias.byteLength !== t.hidden * 4)) return `${at}.bias is not ${t.hidden} float32 values`;
  if (!VARIANTS.includes(t.declared as string)) return `${at}.declared is not a norm variant`;
  if (!VARIANTS.includes(t.alternative as string)) return `${at}.alternative is not a norm variant`;
  if (!isStr(t.alternativeLabel)) return `${at}.alternativeLabel is not a string`;
  return undefined;
}

function checkPlan(p: unknown): string | undefined {
  if (!isObj(p)) return "plan is not an object";
  if (!isStr(p.dir) || !isStr(p.declaredText) || !isStr(p.storedReason)) return "plan.dir, declaredText and storedReason must be strings";
  if (p.family !== undefined && !isStr(p.family)) return "plan.family is not a string";
  const prec = p.precision;
  if (!isObj(prec) || !["f32", "f16", "bf16"].includes(prec.dtype as string) || !["llama", "gemma", "torch"].includes(prec.cast as string)) return "plan.precision is not a dtype and cast order";
  if (!isNum(p.eps) || p.eps < 0) return "plan.eps is not a number >= 0";
  if (!isInt(p.rows, 1, 65536) || !isInt(p.seed, 0, 0xffffffff) || !isNum(p.scale) || p.scale <= 0) return "plan.rows, seed or scale is out of range";
  if (typeof p.familyOffset !== "boolean") return "plan.familyOffset is not a boolean";
  if (!["offset", "plain", "unknown"].includes(p.stored as string)) return "plan.stored is not offset, plain or unknown";
  if (!Array.isArray(p.notes) || !p.notes.every(isStr)) return "plan.notes is not a list of strings";
  if (!Array.isArray(p.tensors)) return "plan.tensors is not a list";
  for (let i = 0; i < p.tensors.length; i++) {
    const e = checkTensor(p.tensors[i], i);
    if (e) return e;
  }
  return undefined;
}

export function validateToWebview(m: unknown): Validation<ToWebview> {
  if (!isObj(m)) return fail("the message is not an object");
  switch (m.type) {
    case "load": {
      if (!isStr(m.folder)) return fail("load.folder is not a string");
      const e = checkPlan(m.plan);
      return e ? fail(`load: ${e}`) : { ok: true, value: m as ToWebview };
    }
    case "error":
      return isStr(m.message) ? { ok: true, value: m as ToWebview } : fail("error.message is not a string");
    default:
      return fail(`unknown message type ${JSON.stringify(m.type)}`);
  }
}

export function validateFromWebview(m: unknown): Validation<FromWebview> {
  if (!isObj(m)) return fail("the message is not an object");
  switch (m.type) {
    case "ready":
    case "showProblems":
      return { ok: true, value: m as FromWebview };
    case "result":
      if (!isStr(m.folder) || !["gpu", "cpu"].includes(m.backend as string) || typeof m.verified !== "boolean" || !isStr(m.verdict)) return fail("result needs folder, backend, verified and verdict");
      return { ok: true, value: m as FromWebview };
    case "error":
      return isStr(m.message) ? { ok: true, value: m as FromWebview } : fail("error.message is not a string");
    default:
      return fail(`unknown message type ${JSON.stringify(m.type)}`);
  }
}

export function validateState(s: unknown): Validation<LabState> {
  if (!isObj(s) || !isStr(s.folder) || !isInt(s.rows, 1, 65536) || !isInt(s.seed, 0, 0xffffffff) || !isNum(s.scale) || s.scale <= 0) return fail("the saved Norm Lab state is not valid");
  return { ok: true, value: s as unknown as LabState };
}

/** A plan's tensors as ArrayBuffers of their own (so the transfer moves exactly their bytes). */
export function planToWire(plan: import("./engine/lab").LabPlan): WirePlan {
  const own = (a: Float32Array) => a.slice().buffer as ArrayBuffer;
  return { ...plan, tensors: plan.tensors.map((t) => ({ ...t, weight: own(t.weight), bias: t.bias ? own(t.bias) : undefined })) };
}

export function planFromWire(w: WirePlan): import("./engine/lab").LabPlan {
  return { ...w, tensors: w.tensors.map((t) => ({ ...t, weight: new Float32Array(t.weight), bias: t.bias ? new Float32Array(t.bias) : undefined })) };
}
