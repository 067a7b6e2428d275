// Small SVG charts for the Norm Lab, themed by VS Code's CSS variables through classes in
// style.css (no inline styles, so the CSP needs no 'unsafe-inline'): the weight histogram, whose
// bars near 0 and near 1 tell the offset story, and the per-channel output difference. Each chart
// is role="img" with a text summary of what it shows as its label, for screen readers.
import { type LabTensorResult, percent } from "../../src/engine/lab";

const NS = "http://www.w3.org/2000/svg";

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const W = 560;
const H = 180;
const PAD = { left: 48, right: 12, top: 10, bottom: 30 };

function frame(title: string, summary: string): { svg: SVGSVGElement; plot: { x0: number; x1: number; y0: number; y1: number } } {
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": `${title}. ${summary}` });
  svg.append(el("title", {}, `${title}. ${summary}`));
  return { svg, plot: { x0: PAD.left, x1: W - PAD.right, y0: H - PAD.bottom, y1: PAD.top } };
}

function fmt(x: number): string {
  return Math.abs(x) >= 1000 || (Math.abs(x) < 0.01 && x !== 0) ? x.toExponential(1) : String(+x.toPrecision(3));
}

function axes(svg: SVGSVGElement, p: { x0: number; x1: number; y0: number; y1: number }, yMax: number, xLabel: string): void {
  svg.append(el("line", { x1: p.x0, y1: p.y0, x2: p.x1, y2: p.y0, class: "axis" }));
  svg.append(el("line", { x1: p.x0, y1: p.y0, x2: p.x0, y2: p.y1, class: "axis" }));
  for (const f of [0, 0.5, 1]) {
    const y = p.y0 - f * (p.y0 - p.y1);
    svg.append(el("line", { x1: p.x0, y1: y, x2: p.x1, y2: y, class: "grid" }));
    svg.append(el("text", { x: p.x0 - 4, y: y + 3, class: "tick", "text-anchor": "end" }, fmt(f * yMax)));
  }
  svg.append(el("text", { x: (p.x0 + p.x1) / 2, y: H - 4, class: "label", "text-anchor": "middle" }, xLabel));
}

/** A legend under a chart: one swatch (a class of style.css) and its meaning per entry. */
function legend(entries: Array<[string, string]>): HTMLElement {
  const ul = document.createElement("ul");
  ul.className = "legend chart-legend";
  for (const [cls, text] of entries) {
    const li = document.createElement("li");
    const sw = document.createElement("span");
    sw.className = `swatch ${cls}`;
    sw.setAttribute("aria-hidden", "true");
    li.append(sw, document.createTextNode(` ${text}`));
    ul.append(li);
  }
  return ul;
}

/** Histogram of the weights with the 0 and 1 positions marked, its legend under it. */
export function histogramChart(t: LabTensorResult): HTMLElement {
  const h = t.histogram;
  const total = h.counts.reduce((a, b) => a + b, 0) + h.below + h.above;
  const summary = `${total} weights from ${fmt(h.min)} to ${fmt(h.max)}, median ${fmt(t.median)}; ${percent(h.fracNear0)} within 0.25 of 0 (where an offset-stored scale sits), ${percent(h.fracNear1)} within 0.25 of 1 (where a plain scale sits).`;
  const { svg, plot } = frame(`Histogram of the weights of ${t.name}`, summary);
  const n = h.counts.length;
  const max = Math.max(1, ...h.counts);
  axes(svg, plot, max, "weight value (bins centred on 0 and 1)");
  const lo = (h.first - 0.5) * h.width;
  const hi = (h.first + n - 0.5) * h.width;
  const xOf = (v: number) => plot.x0 + ((v - lo) / (hi - lo)) * (plot.x1 - plot.x0);
  const bw = (plot.x1 - plot.x0) / n;
  h.counts.forEach((c, i) => {
    const hgt = (c / max) * (plot.y0 - plot.y1);
    const center = (h.first + i) * h.width;
    const near = Math.abs(center) < 0.25 ? "near0" : Math.abs(center - 1) < 0.25 ? "near1" : "";
    const bar = el("rect", { x: plot.x0 + i * bw + 0.5, y: plot.y0 - hgt, width: Math.max(bw - 1, 0.5), height: hgt, class: `bar ${near}` });
    bar.append(el("title", {}, `${fmt(center)}: ${c}`));
    svg.append(bar);
  });
  for (const v of [0, 1]) {
    const x = xOf(v);
    svg.append(el("line", { x1: x, y1: plot.y0, x2: x, y2: plot.y1, class: "marker" }));
    svg.append(el("text", { x, y: plot.y0 + 12, class: "tick", "text-anchor": "middle" }, String(v)));
  }
  const fig = document.createElement("figure");
  fig.className = "chart-box";
  const cap = document.createElement("figcaption");
  cap.textContent = "Where the weights sit";
  fig.append(cap, svg, legend([["bar near0", "within 0.25 of 0: stored as an offset, the model must add 1"], ["bar near1", "within 0.25 of 1: stored as the scale itself"], ["bar", "elsewhere"]]));
  return fig;
}

/** Per-channel RMS difference between the declared and the alternative outputs. */
export function channelChart(t: LabTensorResult): HTMLElement {
  const v = t.channelRms;
  const max = Math.max(1e-30, ...v);
  let at = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[at]) at = i;
  const mean = v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
  const summary = `Over ${v.length} channels the root-mean-square difference averages ${fmt(mean)} and peaks at ${fmt(max)} on channel ${at}.`;
  const { svg, plot } = frame(`Per-channel output difference of ${t.name}, ${t.declared} against ${t.alternative}`, summary);
  axes(svg, plot, max, `channel (0 to ${v.length - 1}): RMS over rows of declared - alternative`);
  // One point per pixel column at most: the largest value in each column, so spikes stay visible.
  const cols = Math.min(v.length, Math.floor(plot.x1 - plot.x0));
  let d = "";
  for (let c = 0; c < cols; c++) {
    const a = Math.floor((c * v.length) / cols);
    const b = Math.max(a + 1, Math.floor(((c + 1) * v.length) / cols));
    let m = 0;
    for (let i = a; i < b; i++) m = Math.max(m, v[i]);
    const x = plot.x0 + ((c + 0.5) / cols) * (plot.x1 - plot.x0);
    const y = plot.y0 - (m / max) * (plot.y0 - plot.y1);
    d += `${c ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`;
  }
  svg.append(el("path", { d, class: "series" }));
  const fig = document.createElement("figure");
  fig.className = "chart-box";
  const cap = document.createElement("figcaption");
  cap.textContent = `Per-channel effect: how much each channel's output moves between ${t.declared} and ${t.alternative}`;
  fig.append(cap, svg);
  return fig;
}
