// Small SVG charts for the Norm Lab, themed by VS Code's CSS variables through classes in
// style.css (no inline styles, so the CSP needs no 'unsafe-inline'): the weight histogram, whose
// bars near 0 and near 1 tell the offset story, and the per-channel output difference.
import type { LabTensorResult } from "../../src/engine/lab";

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

function frame(title: string): { svg: SVGSVGElement; plot: { x0: number; x1: number; y0: number; y1: number } } {
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": title });
  svg.append(el("title", {}, title));
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

/** Histogram of the weights with the 0 and 1 positions marked. */
export function histogramChart(h: LabTensorResult["histogram"]): SVGSVGElement {
  const { svg, plot } = frame("Histogram of the norm weights");
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
  return svg;
}

/** Per-channel RMS difference between the declared and the alternative outputs. */
export function channelChart(t: LabTensorResult): SVGSVGElement {
  const { svg, plot } = frame(`Per-channel output difference, ${t.declared} vs ${t.alternative}`);
  const v = t.channelRms;
  const max = Math.max(1e-30, ...v);
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
  return svg;
}
