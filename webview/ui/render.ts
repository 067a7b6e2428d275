// The Norm Lab's panels, drawn from the plain data of src/engine/lab-view.ts: the verdict and the
// next step, the model map (every norm tensor by layer and role; keyboard: arrow keys move, Enter
// opens the detail), the selected tensor's detail (histogram with its legend, per-channel effect),
// the kernel check apart from the verdict, and the filterable, sortable table.
import type { LabResult, LabTensorResult } from "../../src/engine/lab";
import { percent } from "../../src/engine/lab";
import { formatBytes } from "../../src/engine/io";
import type { WireRemote } from "../../src/protocol";
import { type Column, constantDifferenceNote, FIT_TEXT, fitOf, type KernelCheck, type ModelMap, placeOf, type StepAction, tableColumns, tableRows, type Verdict } from "../../src/engine/lab-view";
import { channelChart, histogramChart } from "./charts";

export type StatusView = { kind: "gpu"; adapter: string; fallback: boolean } | { kind: "cpu"; stage: string; reason: string };

const STAGE_TEXT: Record<string, string> = {
  "no-webgpu": "no WebGPU in this webview",
  "no-adapter": "no GPU adapter",
  "device-request-failed": "the GPU device request failed",
  "device-lost": "the GPU device was lost",
  "kernel-failed": "the norm kernel failed on this GPU",
  chosen: "you chose the CPU in Advanced",
};

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

const GLYPH: Record<string, string> = { declared: "✓", alternative: "✗", neither: "!", unclear: "?" };

export function renderVerdict(v: Verdict, act: (a: StepAction) => void): void {
  const box = document.getElementById("verdict")!;
  box.className = `verdict ${v.tone}`;
  document.getElementById("verdict-title")!.textContent = v.title;
  document.getElementById("verdict-body")!.textContent = v.body;
  document.getElementById("consequence")!.textContent = v.consequence;
  const steps = document.getElementById("next-steps")!;
  steps.replaceChildren(...v.next.map((s) => h("li", undefined, s)));
  const actions = document.getElementById("next-actions")!;
  actions.replaceChildren(
    ...v.actions.map((a, i) => {
      const b = h("vscode-button" as "button", undefined, a.label);
      if (i > 0 || v.tone !== "problem") b.setAttribute("secondary", "");
      b.addEventListener("click", () => act(a));
      return b;
    }),
  );
}

/**
 * Backend line and kernel check, kept apart from the verdict. A CPU fallback adapter (SwiftShader)
 * is named as one, in the warning colour, never the "passed" green.
 */
export function renderKernel(box: HTMLElement, k: KernelCheck, s: StatusView): void {
  box.replaceChildren();
  box.className = `kernel ${k.tone}`;
  const backend = s.kind === "gpu" ? `Computed on the GPU: ${s.adapter}${s.fallback ? " (a CPU fallback adapter)" : ""}.` : `Computed on the CPU: ${STAGE_TEXT[s.stage] ?? s.stage}.`;
  box.append(h("p", "backend", backend), h("p", undefined, k.text));
  if (s.kind === "cpu") {
    if (s.stage !== "chosen") box.append(h("p", "reason", s.reason));
    if (s.stage !== "chosen") {
      const hint = h("p", "hint", "On Linux, VS Code's webviews have WebGPU only when VS Code is started with ");
      hint.append(h("code", undefined, "code --enable-unsafe-webgpu"), document.createTextNode(". The CPU path computes the same comparison against the float64 reference meanwhile."));
      box.append(hint);
    }
  }
}

/** The model map: a table of layers (columns) by norm roles (rows), one button per tensor. */
export function renderMap(box: HTMLElement, r: LabResult, map: ModelMap, select: (i: number, focus?: boolean) => void): HTMLButtonElement[] {
  box.replaceChildren();
  const buttons: HTMLButtonElement[] = [];
  const grid: HTMLButtonElement[][] = [];
  const cellButton = (c: { index: number; fit: string; label: string }, text?: string) => {
    const b = h("button", `cell fit-${c.fit}`, text ?? GLYPH[c.fit]);
    b.type = "button";
    b.title = `${r.tensors[c.index].name}\n${c.label}`;
    b.setAttribute("aria-label", c.label);
    b.tabIndex = -1;
    b.dataset.index = String(c.index);
    b.addEventListener("click", () => select(c.index));
    buttons.push(b);
    return b;
  };
  const table = h("table", "map");
  table.setAttribute("aria-describedby", "map-summary");
  const every = map.layers.length > 40 ? 10 : map.layers.length > 20 ? 5 : 1;
  if (map.rows.length) {
    const head = h("tr");
    head.append(h("th", "corner", "norm \\ layer"));
    for (const l of map.layers) {
      const th = h("th", "layer");
      th.scope = "col";
      if (l % every === 0) th.textContent = String(l);
      else th.append(h("span", "sr-only", String(l)));
      head.append(th);
    }
    table.append(h("thead"));
    table.tHead!.append(head);
    const body = h("tbody");
    for (const row of map.rows) {
      const tr = h("tr");
      const th = h("th", "role", row.role);
      th.scope = "row";
      th.title = row.role;
      tr.append(th);
      const line: HTMLButtonElement[] = [];
      for (const c of row.cells) {
        const td = h("td");
        if (c) {
          const b = cellButton(c);
          line.push(b);
          td.append(b);
        }
        tr.append(td);
      }
      grid.push(line);
      body.append(tr);
    }
    table.append(body);
    box.append(table);
  }
  if (map.outside.length) {
    const out = h("div", "outside");
    out.append(h("span", "muted", "Outside the layers: "));
    const line: HTMLButtonElement[] = [];
    for (const o of map.outside) {
      const b = cellButton(o.cell, `${GLYPH[o.cell.fit]} ${o.role}`);
      b.classList.add("wide");
      line.push(b);
      out.append(b);
    }
    grid.push(line);
    box.append(out);
  }
  const fam = r.plan.family ?? "the model";
  const legend = h("ul", "legend");
  legend.setAttribute("aria-label", "Legend of the map");
  const entries: Array<[string, string]> = [
    ["declared", `weights sit where ${fam}'s norm expects them`],
    ["alternative", "weights sit where the other convention expects them"],
    ["neither", "fits neither"],
    ["unclear", "median between 0.3 and 0.7: unclear"],
  ];
  for (const [fit, text] of entries) {
    if (!map.counts[fit as keyof ModelMap["counts"]] && fit !== "declared" && fit !== "alternative") continue;
    const li = h("li");
    const sw = h("span", `swatch fit-${fit}`, GLYPH[fit]);
    sw.setAttribute("aria-hidden", "true");
    li.append(sw, document.createTextNode(` ${text} (${map.counts[fit as keyof ModelMap["counts"]]})`));
    legend.append(li);
  }
  const summary = h("p", "map-summary", map.summary);
  summary.id = "map-summary";
  box.append(legend, summary);
  // Roving focus: one cell is in the tab order; arrow keys move within the grid, Home/End along a row.
  if (buttons[0]) buttons[0].tabIndex = 0;
  box.addEventListener("keydown", (e) => {
    const cur = e.target as HTMLElement;
    const y = grid.findIndex((line) => line.includes(cur as HTMLButtonElement));
    if (y < 0) return;
    const x = grid[y].indexOf(cur as HTMLButtonElement);
    let ny = y;
    let nx = x;
    if (e.key === "ArrowRight") nx++;
    else if (e.key === "ArrowLeft") nx--;
    else if (e.key === "ArrowDown") ny++;
    else if (e.key === "ArrowUp") ny--;
    else if (e.key === "Home") nx = 0;
    else if (e.key === "End") nx = grid[y].length - 1;
    else return;
    e.preventDefault();
    ny = Math.max(0, Math.min(grid.length - 1, ny));
    nx = Math.max(0, Math.min(grid[ny].length - 1, nx));
    const next = grid[ny][nx];
    if (next) {
      for (const b of buttons) b.tabIndex = -1;
      next.tabIndex = 0;
      next.focus();
    }
  });
  return buttons;
}

function fmt(x: number, d = 3): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(d) : x.toExponential(2);
}

/** The selected tensor: its figures in words, the histogram with its legend, the per-channel effect. */
export function renderDetail(box: HTMLElement, r: LabResult, i: number): void {
  const t: LabTensorResult = r.tensors[i];
  const p = placeOf(t.name);
  const fit = fitOf(t);
  box.replaceChildren();
  const name = h("p", "tensor-name");
  name.append(h("code", undefined, t.name));
  const facts = h("ul", "facts");
  facts.append(
    h("li", undefined, `${p.layer === undefined ? "" : `Layer ${p.layer}, `}${p.role}; ${t.hidden} channels.`),
    h("li", undefined, `Weights median ${fmt(t.median)}: ${percent(t.histogram.fracNear0)} within 0.25 of 0, ${percent(t.histogram.fracNear1)} within 0.25 of 1; ${FIT_TEXT[fit]}.`),
    h("li", undefined, `Between the two conventions its output changes by ${percent(t.relL2)} (relative L2), cosine ${fmt(t.cosine, 4)}.`),
  );
  if (t.implemented) facts.append(h("li", undefined, `The folder's modeling code (${t.implemented.variant}) differs from the weights' convention by ${percent(t.implemented.relL2)}.`));
  box.append(name, facts, histogramChart(t), channelChart(t));
}

/** The table of every tensor: a filter, sortable headers with tooltips, a button per row. */
export function renderTable(box: HTMLElement, r: LabResult, select: (i: number) => void, selected: () => number | undefined): () => void {
  const columns = tableColumns(r);
  let sort: { id: string; descending: boolean } | undefined;
  box.replaceChildren();
  const filterId = "tensor-filter";
  const label = h("vscode-label" as "label", undefined, "Filter");
  label.setAttribute("for", filterId);
  const filter = h("vscode-textfield" as "input");
  filter.id = filterId;
  filter.setAttribute("placeholder", "name, role or fit, e.g. post_attention or other convention");
  const count = h("span", "muted");
  count.setAttribute("aria-live", "polite");
  const bar = h("div", "filter-bar");
  bar.append(label, filter, count);
  const table = h("table", "figures-table");
  const caption = h("caption", "sr-only", "Every norm tensor with where its weights sit and how much the two conventions' outputs differ. Column headers sort.");
  table.append(caption);
  const head = h("tr");
  const ths: HTMLTableCellElement[] = [];
  for (const c of columns) {
    const th = h("th", c.numeric ? "num" : undefined);
    th.scope = "col";
    const b = h("button", "sort", c.header);
    b.type = "button";
    b.title = c.tooltip;
    b.setAttribute("aria-describedby", `col-help-${c.id}`);
    b.addEventListener("click", () => {
      sort = sort?.id === c.id ? { id: c.id, descending: !sort.descending } : { id: c.id, descending: false };
      draw();
    });
    const help = h("span", "sr-only", c.tooltip);
    help.id = `col-help-${c.id}`;
    th.append(b, help);
    ths.push(th);
    head.append(th);
  }
  table.append(h("thead"));
  table.tHead!.append(head);
  const body = h("tbody");
  table.append(body);
  const note = constantDifferenceNote(r);
  box.append(bar, table, ...(note ? [h("p", "muted note", note)] : []));
  const cell = (c: Column, t: LabTensorResult, i: number) => {
    const td = h("td", c.numeric ? "num" : undefined);
    if (c.id === "role") {
      const b = h("button", "link", c.text(t, i));
      b.type = "button";
      b.title = t.name;
      b.addEventListener("click", () => select(i));
      td.append(b);
    } else td.textContent = c.text(t, i);
    if (c.id === "fit") td.classList.add(`fit-${fitOf(t)}`);
    return td;
  };
  function draw(): void {
    const rows = tableRows(r, columns, (filter as HTMLInputElement).value ?? "", sort);
    body.replaceChildren(
      ...rows.map((i) => {
        const tr = h("tr");
        if (i === selected()) tr.classList.add("selected");
        tr.append(...columns.map((c) => cell(c, r.tensors[i], i)));
        return tr;
      }),
    );
    count.textContent = `${rows.length} of ${r.tensors.length} tensors`;
    ths.forEach((th, k) => th.setAttribute("aria-sort", sort?.id === columns[k].id ? (sort.descending ? "descending" : "ascending") : "none"));
  }
  filter.addEventListener("input", draw);
  draw();
  return draw;
}

/**
 * What reading a Hub repository cost the comparison, in words: the bytes its headers and norm
 * tensors took, and what of that came over the network now (the rest from normlint's cache). The
 * URL is text: the page loads nothing remote.
 */
export function remoteText(r: WireRemote): string {
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  const cached = r.cachedReads ? `${plural(r.cachedReads, "read")} answered by normlint's cache` : "";
  const fetched = r.requests ? `this load sent ${plural(r.requests, "request")} and fetched ${formatBytes(r.bytesFetched)}${cached ? `; ${cached}` : ""}` : `this load fetched nothing over the network${cached ? ` (${cached})` : ""}`;
  return `Hugging Face Hub, read by range (nothing downloaded): the headers and norm tensors take ${formatBytes(r.bytesRead)} in ${plural(r.reads, "ranged read")}; ${fetched}. ${r.url}`;
}
