// The messages between the extension host and the Norm Lab webview, and their runtime validators.
// Both sides validate every message they receive: a webview is a separate page, and a message that
// does not match is reported in the panel rather than half-used. The validators are compiled by ajv
// at build time from src/generate/protocol-schema.ts (schemas/norm-lab-protocol.schema.json); the
// types below must agree with that schema, which test/protocol.test.ts checks on real plans.
import * as compiled from "./engine/generated/protocol-validators.js";
import type { CastOrder, Dtype, NormVariant } from "./engine/numerics/norms";

/** A norm tensor as sent: its values as a float32 ArrayBuffer (transferred, not copied as JSON). */
export interface WireTensor {
  name: string;
  hidden: number;
  weight: ArrayBuffer;
  bias?: ArrayBuffer;
  declared: NormVariant;
  alternative: NormVariant;
  alternativeLabel: string;
  implemented?: NormVariant;
}

export interface WirePlan {
  dir: string;
  family?: string;
  declaredText: string;
  implementedText?: string;
  precision: { dtype: Dtype; cast: CastOrder };
  eps: number;
  rows: number;
  seed: number;
  scale: number;
  familyOffset: boolean;
  layout?: string;
  stored: "offset" | "plain" | "double" | "unknown";
  storedReason: string;
  tensors: WireTensor[];
  notes: string[];
}

/** A tensor of the folder's safetensors files that can stand in for activations. */
export interface WireCandidate {
  file: string;
  tensor: string;
  shape: number[];
  dtype: string;
}

/**
 * A model read from the Hugging Face Hub by range, and what this load cost: requests and bytes
 * fetched over the network, reads served by normlint's cache, and the bytes the Norm Lab's reads
 * asked for (fetched or cached). The extension host fetches; the page only shows these figures.
 */
export interface WireRemote {
  /** `hf://owner/repo@commit[/subfolder]`. */
  label: string;
  /** The repository's page at that commit, shown as text (the page loads nothing remote). */
  url: string;
  requests: number;
  bytesFetched: number;
  cachedReads: number;
  bytesRead: number;
  reads: number;
}

/** Extension -> webview. `activations` answers `readActivations`: the leading rows, as float32. */
export type ToWebview =
  | { type: "load"; folder: string; plan: WirePlan; candidates?: WireCandidate[]; remote?: WireRemote }
  | { type: "activations"; file: string; tensor: string; label: string; shape: number[]; data: ArrayBuffer }
  | { type: "error"; message: string };

/** Webview -> extension. */
export type FromWebview =
  | { type: "ready" }
  | { type: "readActivations"; file: string; tensor: string; rows: number }
  | { type: "result"; folder: string; backend: "gpu" | "cpu"; verified: boolean; verdict: string }
  | { type: "showProblems" }
  /** Open the folder's finding with this rule code in the editor (with its quick fixes, if any). */
  | { type: "showFinding"; code: string }
  | { type: "error"; message: string };

/** What the webview keeps with vscode.setState, restored by the panel serializer after a reload. */
export interface LabState {
  folder: string;
  rows: number;
  seed: number;
  scale: number;
  dtype?: Dtype;
  /** The picked activation tensor; absent for the seeded Gaussian rows. */
  activations?: { file: string; tensor: string };
}

export type Validation<T> = { ok: true; value: T } | { ok: false; error: string };

type AjvError = { instancePath: string; message?: string; keyword: string; params: Record<string, unknown> };
type Compiled = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

/** "/plan/tensors/0/hidden" -> "plan.tensors[0].hidden". */
function pathText(pointer: string): string {
  return pointer
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), "");
}

/** The first schema error as one sentence, e.g. "plan.tensors[0].hidden must be integer". */
export function describeError(e: AjvError | undefined, what: string): string {
  if (!e) return `${what} is not valid`;
  const at = pathText(e.instancePath) || what;
  if (e.keyword === "additionalProperties") return `${at} has an unexpected key ${JSON.stringify(e.params.additionalProperty)}`;
  if (e.keyword === "required") return `${at} is missing ${JSON.stringify(e.params.missingProperty)}`;
  if (e.keyword === "enum") return `${at} must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
  return `${at} ${e.message ?? "is not valid"}`;
}

function check<T>(validate: Compiled, m: unknown, what: string): Validation<T> {
  if (validate(m)) return { ok: true, value: m as T };
  return { ok: false, error: describeError(validate.errors?.[0], what) };
}

/** What JSON Schema cannot say: each tensor's buffers hold exactly `hidden` float32 values. */
function checkLengths(plan: WirePlan): string | undefined {
  for (let i = 0; i < plan.tensors.length; i++) {
    const t = plan.tensors[i];
    if (t.weight.byteLength !== t.hidden * 4) return `plan.tensors[${i}].weight holds ${t.weight.byteLength} bytes, not ${t.hidden} float32 values`;
    if (t.bias !== undefined && t.bias.byteLength !== t.hidden * 4) return `plan.tensors[${i}].bias holds ${t.bias.byteLength} bytes, not ${t.hidden} float32 values`;
  }
  return undefined;
}

/** What JSON Schema cannot say about a remote load: the folder is the repository it names. */
function checkRemote(m: Extract<ToWebview, { type: "load" }>): string | undefined {
  const r = m.remote;
  if (!r) return undefined;
  if (m.folder !== r.label) return `remote.label ${JSON.stringify(r.label)} is not the folder ${JSON.stringify(m.folder)}`;
  return undefined;
}

export function validateToWebview(m: unknown): Validation<ToWebview> {
  const v = check<ToWebview>(compiled.toWebview, m, "the message");
  if (v.ok && v.value.type === "load") {
    const e = checkLengths(v.value.plan) ?? checkRemote(v.value);
    if (e) return { ok: false, error: e };
  }
  if (v.ok && v.value.type === "activations") {
    const n = v.value.shape.reduce((a, b) => a * b, 1);
    if (v.value.data.byteLength !== n * 4) return { ok: false, error: `data holds ${v.value.data.byteLength} bytes, not the ${n} float32 values of shape [${v.value.shape.join(", ")}]` };
  }
  return v;
}

export function validateFromWebview(m: unknown): Validation<FromWebview> {
  return check<FromWebview>(compiled.fromWebview, m, "the message");
}

export function validateState(s: unknown): Validation<LabState> {
  const v = check<LabState>(compiled.state, s, "the saved state");
  return v.ok ? v : { ok: false, error: `the saved Norm Lab state is not valid: ${v.error}` };
}

/** A plan's tensors as ArrayBuffers of their own (so the transfer moves exactly their bytes). */
export function planToWire(plan: import("./engine/lab").LabPlan): WirePlan {
  const own = (a: Float32Array) => a.slice().buffer as ArrayBuffer;
  return { ...plan, tensors: plan.tensors.map((t) => ({ ...t, weight: own(t.weight), bias: t.bias ? own(t.bias) : undefined })) };
}

export function planFromWire(w: WirePlan): import("./engine/lab").LabPlan {
  return { ...w, tensors: w.tensors.map((t) => ({ ...t, weight: new Float32Array(t.weight), bias: t.bias ? new Float32Array(t.bias) : undefined })) };
}
