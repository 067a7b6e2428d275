// The Norm Lab page: receives a comparison plan from the extension (norm tensors as ArrayBuffers),
// probes WebGPU in stages, runs the declared and alternative conventions on the GPU (every output
// verified against the float64 reference) or on the CPU, and shows one screen: the verdict in plain
// words, the next step, the model map of every norm tensor, the selected tensor's detail, and the
// kernel check apart from the verdict; the table and the parameters wait behind disclosures.
// Every message in and out is validated (src/protocol.ts).
import "@vscode-elements/elements/dist/vscode-button/index.js";
import "@vscode-elements/elements/dist/vscode-checkbox/index.js";
import "@vscode-elements/elements/dist/vscode-label/index.js";
import "@vscode-elements/elements/dist/vscode-option/index.js";
import "@vscode-elements/elements/dist/vscode-progress-ring/index.js";
import "@vscode-elements/elements/dist/vscode-single-select/index.js";
import "@vscode-elements/elements/dist/vscode-textfield/index.js";
import { cpuExec, type LabExec, type LabInput, labInput, type LabPlan, type LabResult, runComparison } from "../src/engine/lab";
import type { Dtype } from "../src/engine/numerics/norms";
import { gpuExec } from "../src/gpu/lab-exec";
import { acquireGpu, type GpuAcquisition } from "../src/gpu/runner";
import { type FromWebview, type LabState, planFromWire, type ToWebview, validateState, validateToWebview, type WireCandidate } from "../src/protocol";
import { fitOf, kernelCheck, modelMap, type StepAction, verdictView } from "../src/engine/lab-view";
import { remoteText, renderDetail, renderKernel, renderMap, renderTable, renderVerdict, type StatusView } from "./ui/render";

interface VsCodeApi {
  postMessage(m: FromWebview): void;
  getState(): unknown;
  setState(s: LabState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let plan: LabPlan | undefined;
let folder = "";
let gpu: Promise<GpuAcquisition> | undefined;
let candidates: WireCandidate[] = [];
/** The picked activation rows, once the extension has read them; keyed by "file\ntensor". */
let picked: { key: string; rows: number; input: LabInput } | undefined;
/** The run waiting for activation rows the extension is reading. */
let waiting: { key: string; rows: number; forceCpu: boolean } | undefined;

function post(m: FromWebview): void {
  vscode.postMessage(m);
}

function showError(message: string): void {
  const box = $("error");
  box.textContent = message;
  box.hidden = false;
  post({ type: "error", message });
}

function probe(): Promise<GpuAcquisition> {
  gpu ??= acquireGpu((navigator as Navigator & { gpu?: GPU }).gpu).catch((e) => ({ ok: false as const, stage: "no-adapter" as const, reason: String(e) }));
  return gpu;
}

function numberField(id: string, fallback: number): number {
  const v = Number(($(id) as HTMLInputElement).value);
  return Number.isFinite(v) ? v : fallback;
}

function selectValue(id: string): string {
  return ($(id) as HTMLSelectElement).value ?? "";
}

const keyOf = (c: { file: string; tensor: string }) => `${c.file}\n${c.tensor}`;

function busy(on: boolean): void {
  $("busy-line").hidden = !on;
}

function act(a: StepAction): void {
  post(a.kind === "finding" ? { type: "showFinding", code: a.code } : { type: "showProblems" });
}

/** The result on screen, and the tensor whose detail is shown. */
let shown: { result: LabResult; cells: HTMLButtonElement[]; redrawTable: () => void; selected: number } | undefined;

function select(i: number, focus = false): void {
  if (!shown) return;
  shown.selected = i;
  renderDetail($("detail-body"), shown.result, i);
  for (const b of shown.cells) {
    const on = Number(b.dataset.index) === i;
    b.classList.toggle("selected", on);
    b.setAttribute("aria-pressed", String(on));
    if (on) {
      for (const o of shown.cells) o.tabIndex = -1;
      b.tabIndex = 0;
      if (focus) b.focus();
    }
  }
  shown.redrawTable();
}

function show(result: LabResult, status: StatusView): void {
  const map = modelMap(result);
  $("result").hidden = false;
  renderVerdict(verdictView(result, map), act);
  const cells = renderMap($("map-body"), result, map, (i) => select(i));
  const adapter = status.kind === "gpu" ? { label: status.adapter, fallback: status.fallback } : undefined;
  renderKernel($("kernel"), kernelCheck(result, adapter), status);
  shown = { result, cells, redrawTable: () => {}, selected: 0 };
  shown.redrawTable = renderTable($("table-body"), result, (i) => select(i, false), () => shown?.selected);
  const notes = [...result.plan.notes, ...(result.activations ? [`Activations: ${result.activations}.`] : [])];
  $("notes").replaceChildren(...notes.map((n) => Object.assign(document.createElement("p"), { textContent: n })));
  // The first tensor that contradicts the model's convention is the one worth a look.
  if (result.tensors.length) select(Math.max(0, result.tensors.findIndex((t) => fitOf(t) !== "declared")));
}

async function run(): Promise<void> {
  if (!plan) return;
  $("error").hidden = true;
  const forceCpu = ($("force-cpu") as HTMLInputElement).checked === true;
  const rows = Math.trunc(numberField("rows", plan.rows));
  const seed = Math.trunc(numberField("seed", plan.seed));
  const scale = numberField("scale", plan.scale);
  const dtype = (selectValue("dtype") || plan.precision.dtype) as Dtype;
  const act = candidates.find((c) => keyOf(c) === selectValue("activations"));
  const state: LabState = { folder, rows, seed, scale, dtype, ...(act ? { activations: { file: act.file, tensor: act.tensor } } : {}) };
  const valid = validateState(state);
  if (!valid.ok) return showError(`Rows must be 1 to 65536, seed 0 to 4294967295 and scale above 0 (${valid.error}).`);
  plan = { ...plan, rows, seed, scale, precision: { ...plan.precision, dtype } };
  vscode.setState(state);
  let input: LabInput | undefined;
  if (act) {
    // The extension reads the picked tensor's leading rows (ranged reads) and answers with them.
    if (picked?.key !== keyOf(act) || picked.rows < rows) {
      waiting = { key: keyOf(act), rows, forceCpu };
      post({ type: "readActivations", file: act.file, tensor: act.tensor, rows });
      busy(true);
      return;
    }
    input = picked.input;
  }
  const a = await probe();
  let exec: LabExec = cpuExec;
  let status: StatusView;
  if (a.ok && !forceCpu) {
    exec = gpuExec(a.device);
    status = { kind: "gpu", adapter: a.info.label, fallback: a.info.fallback };
  } else status = a.ok ? { kind: "cpu", stage: "chosen", reason: "you chose the CPU path" } : { kind: "cpu", stage: a.stage, reason: a.reason };
  busy(true);
  try {
    const result: LabResult = await runComparison(plan, exec, input);
    show(result, status);
    post({ type: "result", folder, backend: result.backend, verified: result.verified, verdict: result.verdict.text });
  } catch (e) {
    showError(`The comparison failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    busy(false);
  }
}

function fillActivationPicker(list: WireCandidate[], chosen: string): void {
  const select = $("activations");
  select.replaceChildren();
  const gauss = document.createElement("vscode-option");
  gauss.setAttribute("value", "");
  gauss.textContent = "Seeded Gaussian rows";
  select.append(gauss);
  for (const c of list) {
    const o = document.createElement("vscode-option");
    o.setAttribute("value", keyOf(c));
    o.textContent = `${c.tensor} [${c.shape.join(", ")}] ${c.dtype} (${decodeURIComponent(c.file.split("/").pop() ?? c.file)})`;
    select.append(o);
  }
  (select as HTMLSelectElement).value = list.some((c) => keyOf(c) === chosen) ? chosen : "";
}

function receiveActivations(m: Extract<ToWebview, { type: "activations" }>): void {
  const key = keyOf(m);
  const input = labInput(m.label, new Float32Array(m.data), m.shape);
  // A late answer for a tensor no longer waited for (the pick changed meanwhile) leaves the
  // pending run waiting for its own answer.
  const w = waiting?.key === key ? waiting : undefined;
  if (w) waiting = undefined;
  if (typeof input === "string") {
    if (w) busy(false);
    return showError(input);
  }
  // Fewer rows than asked means the tensor has no more: the ask is answered, not to be repeated.
  picked = { key, rows: Math.max(m.shape[0], w?.rows ?? m.shape[0]), input };
  if (w) void run();
}

window.addEventListener("message", (event: MessageEvent) => {
  const v = validateToWebview(event.data);
  if (!v.ok) return showError(`normlint: ignored a malformed message from the extension: ${v.error}`);
  const m = v.value;
  if (m.type === "error") {
    waiting = undefined;
    busy(false);
    return showError(m.message);
  }
  if (m.type === "activations") return receiveActivations(m);
  folder = m.folder;
  plan = planFromWire(m.plan);
  // A new folder: no stale verdict on screen while its comparison runs.
  $("result").hidden = true;
  shown = undefined;
  candidates = m.candidates ?? [];
  picked = undefined;
  const saved = validateState(vscode.getState());
  let chosen = "";
  if (saved.ok && saved.value.folder === folder) {
    const s = saved.value;
    plan = { ...plan, rows: s.rows, seed: s.seed, scale: s.scale, precision: { ...plan.precision, dtype: s.dtype ?? plan.precision.dtype } };
    if (s.activations) chosen = keyOf(s.activations);
  }
  $("folder").textContent = `${folder}: ${plan.family ?? "unknown family"}, ${plan.declaredText}; ${plan.tensors.length} norm tensors, eps ${plan.eps}${plan.layout ? `; layout: ${plan.layout}` : ""}${plan.implementedText ? `; modeling code: ${plan.implementedText}` : ""}`;
  const remote = $("remote");
  remote.hidden = !m.remote;
  remote.textContent = m.remote ? remoteText(m.remote) : "";
  ($("rows") as HTMLInputElement).value = String(plan.rows);
  ($("seed") as HTMLInputElement).value = String(plan.seed);
  ($("scale") as HTMLInputElement).value = String(plan.scale);
  ($("dtype") as HTMLSelectElement).value = plan.precision.dtype;
  fillActivationPicker(candidates, chosen);
  void run();
});

$("run").addEventListener("click", () => void run());
window.addEventListener("error", (e) => showError(`normlint: ${e.message}`));
window.addEventListener("unhandledrejection", (e) => showError(`normlint: ${String((e as PromiseRejectionEvent).reason)}`));
post({ type: "ready" });
