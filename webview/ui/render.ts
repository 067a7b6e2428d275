// The Norm Lab's panels: the backend status (with the WebGPU probe's stage, its exact reason and
// the Linux workaround), the verdict, the figures table and the charts of the selected tensor.
import { type LabResult, type LabTensorResult, percent } from "../../src/engine/lab";
import { channelChart, histogramChart } from "./charts";

export type StatusView = { kind: "gpu"; adapter: string; fallback: boolean } | { kind: "cpu"; stage: string; reason: string };

const STAGE_TEXT: Record<string, string> = {
  "no-webgpu": "no WebGPU in this webview",
  "no-adapter": "no GPU adapter",
  "device-request-failed": "the GPU device request failed",
  "device-lost": "the GPU device was lost",
  "kernel-failed": "the norm kernel failed on this GPU",
  chosen: "CPU chosen",
};

function h<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function renderStatus(box: HTMLElement, s: StatusView): void {
  box.replaceChildren();
  if (s.kind === "gpu") {
    box.append(h("span", "status-ok", `GPU: ${s.adapter}${s.fallback ? " (a CPU fallback adapter)" : ""}`));
    return;
  }
  box.append(h("div", "status-cpu", `CPU (not GPU-verified): ${STAGE_TEXT[s.stage] ?? s.stage}`));
  box.append(h("div", "reason", s.reason));
  if (s.stage !== "chosen") {
    const hint = h("div", "hint", "On Linux, VS Code's webviews have WebGPU only when started with ");
    hint.append(h("code", undefined, "code --enable-unsafe-webgpu"), document.createTextNode("; the same comparison runs on CPU meanwhile, against the float64 reference."));
    box.append(hint);
  }
}

function fmt(x: number, d = 3): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(d) : x.toExponential(2);
}

function verificationCell(t: LabTensorResult): HTMLElement {
  const td = h("td");
  if (!t.verification) {
    td.append(h("span", "muted", "CPU (not GPU-verified)"));
    return td;
  }
  const { declared, alternative } = t.verification;
  const ok = declared.verified && alternative.verified;
  const badge = h("vscode-badge" as "span", ok ? "ok" : "bad", ok ? "GPU-verified" : "NOT verified");
  td.append(badge, h("div", "figures", `max ${fmt(Math.max(declared.maxUlp, alternative.maxUlp), 2)} ULP, max abs ${Math.max(declared.maxAbs, alternative.maxAbs).toExponential(1)}`));
  if (!ok) td.append(h("div", "reason", declared.failure ?? alternative.failure ?? ""));
  return td;
}

export function renderResult(box: HTMLElement, r: LabResult, showProblems: () => void): void {
  box.replaceChildren();
  const verdict = h("section", `verdict ${r.verdict.kind}`);
  verdict.append(h("h2", undefined, r.verdict.text));
  const label = r.backend === "gpu" ? (r.verified ? "GPU-verified" : "GPU, NOT verified") : "CPU (not GPU-verified)";
  const sub = h("p", "figures");
  sub.textContent = `${label}${r.worst ? `: worst ${fmt(r.worst.maxUlp, 2)} ULP, max abs ${r.worst.maxAbs.toExponential(2)}, max rel ${r.worst.maxRel.toExponential(2)}` : ""}; ${r.tensors.length} tensors in ${r.plan.precision.dtype}${r.plan.precision.dtype === "f32" ? "" : ` (cast order ${r.plan.precision.cast})`}, ${r.activations ?? `${r.plan.rows} rows of N(0, ${r.plan.scale}) with seed ${r.plan.seed}`}, ${r.ms.toFixed(0)} ms. Stored weights: ${r.plan.stored} (${r.plan.storedReason}).`;
  verdict.append(sub);
  if (r.verdict.kind === "offset-missing" || r.verdict.kind === "offset-twice") {
    const link = h("vscode-button" as "button", undefined, "Show the diagnostics (NL303)");
    link.setAttribute("secondary", "");
    link.addEventListener("click", showProblems);
    verdict.append(link);
  }
  for (const n of r.plan.notes) verdict.append(h("p", "muted", n));
  box.append(verdict);

  const table = h("table", "figures-table");
  const head = h("tr");
  const code = r.tensors.some((t) => t.implemented);
  for (const c of ["tensor", "hidden", "declared", "alternative", "rel L2", "cosine", "max diff", "near 0 / near 1", ...(code ? ["modeling code"] : []), "verification", "ms"]) head.append(h("th", undefined, c));
  table.append(h("thead"));
  table.tHead!.append(head);
  const body = h("tbody");
  const charts = h("section", "charts");
  const select = (t: LabTensorResult, row: HTMLTableRowElement) => {
    for (const tr of body.querySelectorAll("tr")) tr.classList.remove("selected");
    row.classList.add("selected");
    charts.replaceChildren(h("h3", undefined, `${t.name}: weights`), histogramChart(t.histogram), h("h3", undefined, `${t.name}: per-channel difference (${t.baseline === "declared" ? "declared" : "the weights' convention"} as baseline)`), channelChart(t));
  };
  for (const t of r.tensors) {
    const tr = h("tr");
    tr.tabIndex = 0;
    tr.append(
      h("td", "name", t.name),
      h("td", "num", String(t.hidden)),
      h("td", undefined, t.declared),
      h("td", undefined, `${t.alternative}: ${t.alternativeLabel}`),
      h("td", "num", percent(t.relL2)),
      h("td", "num", fmt(t.cosine, 4)),
      h("td", "num", fmt(t.maxAbsDiff)),
      h("td", "num", `${percent(t.histogram.fracNear0)} / ${percent(t.histogram.fracNear1)}`),
      ...(code ? [h("td", undefined, t.implemented ? `${t.implemented.variant}${t.implemented.variant === t.declared ? "" : ` (rel L2 ${percent(t.implemented.relL2)})`}` : "")] : []),
      verificationCell(t),
      h("td", "num", t.ms.toFixed(1)),
    );
    tr.addEventListener("click", () => select(t, tr));
    tr.addEventListener("keydown", (e) => (e.key === "Enter" || e.key === " ") && select(t, tr));
    body.append(tr);
  }
  table.append(body);
  box.append(table, charts);
  const first = body.querySelector("tr");
  if (first && r.tensors[0]) select(r.tensors[0], first);
}
