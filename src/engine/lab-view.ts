// What the Norm Lab page shows, as plain data computed from a comparison's result: the verdict in
// plain words, the model map (every norm tensor placed by layer and role, with where its weights sit
// against what each convention expects), the consequence in numbers, the next step, the kernel check
// (kept apart from the verdict: it is about normlint's kernel, not the model) and the table's columns.
// Pure and DOM-free, so the page only draws it and the tests read it directly.
import { formulaOf, type LabResult, type LabTensorResult, percent } from "./lab";
import { NORM_VARIANTS, type NormVariant } from "./numerics/norms";

/** Where a tensor sits in the model: its layer index (none for the final norm) and its role. */
export interface TensorPlace {
  layer?: number;
  role: string;
}

/** "model.layers.12.post_attention_layernorm.weight" -> layer 12, role "post_attention_layernorm". */
export function placeOf(name: string): TensorPlace {
  const parts = name.replace(/\.weight$/, "").split(".");
  const i = parts.findIndex((p) => /^\d+$/.test(p));
  if (i < 0) return { role: parts.join(".") };
  return { layer: Number(parts[i]), role: parts.slice(i + 1).join(".") || parts.slice(0, i).join(".") };
}

/** Which convention a tensor's weights fit: near 0 fits x * (1 + w), near 1 fits x * w. */
export type Fit = "declared" | "alternative" | "neither" | "unclear";

function expects(v: NormVariant): "offset" | "plain" | undefined {
  const w = NORM_VARIANTS[v].weight;
  return w === "none" ? undefined : w;
}

export function fitOf(t: Pick<LabTensorResult, "side" | "declared" | "alternative">): Fit {
  if (!t.side) return "unclear";
  if (expects(t.declared) === t.side) return "declared";
  if (expects(t.alternative) === t.side) return "alternative";
  return "neither";
}

export const FIT_TEXT: Record<Fit, string> = {
  declared: "fits the model's convention",
  alternative: "fits the other convention",
  neither: "fits neither convention",
  unclear: "between 0 and 1: unclear",
};

export interface MapCell {
  /** Index into result.tensors. */
  index: number;
  fit: Fit;
  /** A sentence for screen readers and the tooltip. */
  label: string;
}

export interface ModelMap {
  /** Column headings: the layer indices present, in order. */
  layers: number[];
  /** Rows: roles inside the layers, then norms outside them (the final norm). */
  rows: Array<{ role: string; cells: Array<MapCell | undefined> }>;
  /** Norms outside the layers (no layer index), shown apart from the grid. */
  outside: Array<{ role: string; cell: MapCell }>;
  counts: Record<Fit, number>;
  /** The picture in words: the screen-reader label of the map. */
  summary: string;
}

const near = (side: "offset" | "plain" | undefined) => (side === "offset" ? "near 0" : side === "plain" ? "near 1" : "between 0 and 1");

function cellLabel(t: LabTensorResult, place: TensorPlace, fit: Fit): string {
  const where = place.layer === undefined ? place.role : `layer ${place.layer}, ${place.role}`;
  return `${where}: weights median ${fmt(t.median)} (${near(t.side)}), ${FIT_TEXT[fit]}; output change ${percent(t.relL2)}`;
}

export function modelMap(r: LabResult): ModelMap {
  const counts: Record<Fit, number> = { declared: 0, alternative: 0, neither: 0, unclear: 0 };
  const layers = new Set<number>();
  const roles: string[] = [];
  const placed: Array<{ place: TensorPlace; cell: MapCell }> = [];
  r.tensors.forEach((t, index) => {
    const place = placeOf(t.name);
    const fit = fitOf(t);
    counts[fit]++;
    placed.push({ place, cell: { index, fit, label: cellLabel(t, place, fit) } });
    if (place.layer !== undefined) {
      layers.add(place.layer);
      if (!roles.includes(place.role)) roles.push(place.role);
    }
  });
  const cols = [...layers].sort((a, b) => a - b);
  const rows = roles.map((role) => ({ role, cells: cols.map((l) => placed.find((p) => p.place.layer === l && p.place.role === role)?.cell) }));
  const outside = placed.filter((p) => p.place.layer === undefined).map((p) => ({ role: p.place.role, cell: p.cell }));
  const n = r.tensors.length;
  const fam = r.plan.family ?? "the model";
  const parts = [
    counts.declared && `${counts.declared} sit where ${fam}'s convention expects them`,
    counts.alternative && `${counts.alternative} sit where the other convention expects them`,
    counts.neither && `${counts.neither} fit neither convention`,
    counts.unclear && `${counts.unclear} sit between 0 and 1`,
  ].filter(Boolean);
  const shape = cols.length ? `${cols.length} layers by ${roles.length} norm role${roles.length === 1 ? "" : "s"}${outside.length ? `, plus ${outside.length} outside the layers` : ""}` : `${outside.length} outside any layer`;
  const summary = n ? `Model map of ${n} norm tensors (${shape}): ${parts.join(", ")}.` : "No norm tensors to show.";
  return { layers: cols, rows, outside, counts, summary };
}

export type Tone = "ok" | "problem" | "unknown";

/** A button of the next step: open the finding (and its quick fix, if any) or the Problems panel. */
export type StepAction = { kind: "finding"; code: string; label: string } | { kind: "problems"; label: string };

export interface Verdict {
  tone: Tone;
  /** One line: "The norms are wrong: the +1 offset is added twice". */
  title: string;
  /** What normlint saw, in plain words. */
  body: string;
  /** How much the outputs change, in numbers. */
  consequence: string;
  /** What to do next, and the buttons that take the user there. */
  next: string[];
  actions: StepAction[];
}

function fmt(x: number, d = 2): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 0.01 || x === 0 ? x.toFixed(d) : x.toExponential(1);
}

/** The verdict, its evidence in one sentence, the consequence in numbers and the next step. */
export function verdictView(r: LabResult, map: ModelMap = modelMap(r)): Verdict {
  const fam = r.plan.family ?? "this model";
  const n = r.tensors.length;
  const t0 = r.tensors[0];
  const diff = percent(r.medianRelL2);
  const cos = fmt(r.minCosine, 3);
  const kind = r.verdict.kind;
  const problems: StepAction = { kind: "problems", label: "Show all findings (Problems)" };
  let v: Verdict;
  if (kind === "no-tensors" || !t0) {
    v = { tone: "unknown", title: "Nothing to compare", body: r.verdict.text.replace(/^nothing to compare: /, ""), consequence: "", next: ["Open a folder whose config.json names a model family and whose checkpoint holds norm weights."], actions: [problems] };
  } else if (kind === "unknown") {
    v = {
      tone: "unknown",
      title: "normlint cannot tell from the weights",
      body: `The norm weights do not say which convention they follow: ${r.plan.storedReason}.`,
      consequence: `If the wrong one were used, each norm's output would change by a median ${diff} (relative L2).`,
      next: ["Check how the checkpoint was exported (did a converter add or remove 1 from the norm weights?). Click a tensor in the map to see where its weights sit."],
      actions: [problems],
    };
  } else if (kind === "consistent") {
    const where = r.plan.familyOffset ? "near 0 (stored as offsets from 1, as x * (1 + w) expects)" : "near 1 (stored as the scale, as x * w expects)";
    v = {
      tone: "ok",
      title: "The norms are right",
      body: `${map.counts.declared} of ${n} norm tensors sit ${where}, which is how ${fam} computes its norms (${r.plan.declaredText}).`,
      consequence: `The other convention would change each norm's output by a median ${diff} (relative L2): that is the size of the mistake this check rules out.`,
      next: ["Nothing to change in the norm weights."],
      actions: [problems],
    };
  } else {
    const missing = kind === "offset-missing";
    const double = kind === "double-shift";
    const finding: StepAction = { kind: "finding", code: "NL303", label: "Open the finding (NL303)" };
    v = {
      tone: "problem",
      title: missing ? "The norms are wrong: the +1 offset is missing" : double ? "The norms are wrong: the +1 offset was applied twice before storage" : "The norms are wrong: the +1 offset is added twice",
      body: double
        ? `${fam}'s norm weights${r.plan.layout ? ` in this layout (${r.plan.layout})` : ""} should sit near ${r.plan.familyOffset ? 0 : 1}, but they sit near 2: an exporter added the +1 on top of weights that already held it. Each norm scales its output by about ${r.plan.familyOffset ? 3 : 2} instead of about 1.`
        : missing
        ? `${fam} computes x * w, so its norm weights should sit near 1, but ${map.counts.alternative || "most"} of ${n} sit near 0: they were stored as offsets from 1 (Gemma-style). Each norm scales its output by about 0 instead of about 1.`
        : `${fam} computes x * (1 + w), so its norm weights should sit near 0, but ${map.counts.alternative || "most"} of ${n} sit near 1: the +1 is already folded in. Each norm scales its output by about 2 instead of about 1.`,
      consequence: `Each norm's output changes by a median ${diff} (relative L2) from what the weights were trained to give; cosine similarity falls to ${cos}. The model loads and runs without an error.`,
      next: double
        ? [`Subtract ${r.plan.familyOffset ? 2 : 1} from every norm weight, or re-export from the original weights with one conversion.`]
        : missing
        ? [
            "Load the checkpoint with the model type it was exported for (one whose norm computes x * (1 + w), such as gemma2): fix model_type in config.json;",
            "or convert it once: add 1 to every norm weight and save the checkpoint again.",
          ]
        : [
            "Take the folded +1 back out: subtract 1 from every norm weight and save the checkpoint again (the exporter added it, as llama.cpp's converter does for GGUF);",
            `or load it with a model type whose norm computes x * w, if that is the model it was made for.`,
          ],
      actions: [finding, problems],
    };
  }
  const t = r.tensors.find((x) => x.implemented);
  if (r.verdict.implementationDiffers && t?.implemented) {
    const impl = t.implemented.variant;
    const code = NORM_VARIANTS[t.declared].weight === "offset" && NORM_VARIANTS[impl].weight !== "offset" ? "NL201" : NORM_VARIANTS[impl].weight === "offset" && NORM_VARIANTS[t.declared].weight !== "offset" ? "NL202" : "NL204";
    const where = r.plan.implementedText ? ` (${r.plan.implementedText})` : "";
    const rel = percent(t.implemented.relL2);
    if (v.tone === "ok") v.title = "The weights are right; the modeling code is not";
    v.tone = "problem";
    v.body += ` The folder's modeling code${where} computes ${formulaOf(impl, t.declared)}, but ${fam} declares ${formulaOf(t.declared, impl)}: its outputs differ by ${rel}.`;
    v.next = [`Change the modeling code's forward to compute ${formulaOf(t.declared, impl)}: the finding has a quick fix.`, ...v.next.filter((s) => !s.startsWith("Nothing"))];
    v.actions = [{ kind: "finding", code, label: `Open the finding (${code}) and its quick fix` }, ...v.actions];
  }
  return v;
}

/** How the comparison was computed, apart from the verdict: it speaks about normlint's kernel. */
export interface KernelCheck {
  /** "warning" for a CPU fallback adapter, a CPU run or a failed check; "neutral" otherwise. */
  tone: "neutral" | "warning";
  text: string;
}

export function kernelCheck(r: LabResult, adapter?: { label: string; fallback: boolean }): KernelCheck {
  if (r.backend === "cpu") return { tone: "warning", text: "normlint's float64 reference computed both conventions: no GPU kernel ran, so there is no kernel check. The verdict does not depend on it." };
  const on = adapter ? `${adapter.label}${adapter.fallback ? ", a CPU fallback adapter (SwiftShader-like), not a GPU" : ""}` : "this adapter";
  if (!r.verified) return { tone: "warning", text: `Kernel check failed on ${on}: normlint's GPU kernel did not match its float64 reference for some tensors (see the table). The verdict reads the weights and stands.` };
  const ulp = r.worst ? `${fmt(r.worst.maxUlp)} ULP` : "its tolerance";
  return { tone: adapter?.fallback ? "warning" : "neutral", text: `Kernel check: normlint's GPU kernel matched its float64 reference within ${ulp} on ${on}. This checks normlint, not your model.` };
}

/** One column of the tensor table: its header, the tooltip that explains it, and how it reads a row. */
export interface Column {
  id: string;
  header: string;
  tooltip: string;
  numeric: boolean;
  text(t: LabTensorResult, i: number): string;
  /** The sort key (numbers sort numerically; undefined last). */
  key(t: LabTensorResult, i: number): number | string | undefined;
}

export function tableColumns(r: LabResult): Column[] {
  const fam = r.plan.family ?? "the model";
  // On the CPU path the kernel column would say "CPU" on every row: it is left out.
  const kernel = r.backend === "gpu";
  const columns: Column[] = [
    { id: "layer", header: "Layer", tooltip: "The layer index read from the tensor's name; blank for norms outside the layers, such as the final norm.", numeric: true, text: (t) => String(placeOf(t.name).layer ?? ""), key: (t) => placeOf(t.name).layer },
    { id: "role", header: "Norm", tooltip: "Which norm of the layer: the part of the tensor's name after the layer index.", numeric: false, text: (t) => placeOf(t.name).role, key: (t) => placeOf(t.name).role },
    { id: "median", header: "Weights median", tooltip: "The median of the tensor's weights. Near 0: stored as an offset from 1 (the model must compute x * (1 + w)). Near 1: stored as the scale itself (x * w).", numeric: true, text: (t) => fmt(t.median, 3), key: (t) => t.median },
    { id: "fit", header: "Fits", tooltip: `Which convention the weights' median fits: the one ${fam} computes, the other one, or neither clearly (median between 0.3 and 0.7).`, numeric: false, text: (t) => FIT_TEXT[fitOf(t)], key: (t) => FIT_TEXT[fitOf(t)] },
    { id: "change", header: "Output change", tooltip: "How much this norm's output changes between the two conventions on the same activations: relative L2 distance, measured from the convention the weights fit. It depends on the weights, so it differs between tensors.", numeric: true, text: (t) => percent(t.relL2), key: (t) => t.relL2 },
    { id: "cosine", header: "Cosine", tooltip: "Cosine similarity between the two conventions' outputs: 1 means the same direction.", numeric: true, text: (t) => fmt(t.cosine, 4), key: (t) => t.cosine },
  ];
  if (!kernel) return columns;
  return [
    ...columns,
    {
      id: "kernel",
      header: "Kernel check",
      tooltip: "The largest error of normlint's GPU kernel against its float64 reference, in units in the last place (ULP). It checks normlint, not the model.",
      numeric: true,
      text: (t) => (t.verification ? (t.verification.declared.verified && t.verification.alternative.verified ? `${fmt(Math.max(t.verification.declared.maxUlp, t.verification.alternative.maxUlp))} ULP` : "FAILED") : "CPU"),
      key: (t) => (t.verification ? Math.max(t.verification.declared.maxUlp, t.verification.alternative.maxUlp) : undefined),
    },
  ];
}

/**
 * The sentence that explains, once, the figure the old table repeated on every row: with the same
 * activations, x * w and x * (1 + w) differ by the normalized input itself, whatever the weights.
 */
export function constantDifferenceNote(r: LabResult): string | undefined {
  const t = r.tensors[0];
  if (!t) return undefined;
  const a = NORM_VARIANTS[t.declared];
  const b = NORM_VARIANTS[t.alternative];
  if (a.center !== b.center || a.weight === b.weight) return undefined;
  return `The two conventions differ by exactly the normalized input (x * (1 + w) - x * w = x), whatever the weights, so the largest absolute difference is the same for every tensor of a hidden size (${fmt(r.maxAbsDiff, 3)} here) and is not shown per row. The relative change depends on the weights.`;
}

/** Rows of the table matching `filter` (case-insensitive, any of name, role and fit), sorted by `by`. */
export function tableRows(r: LabResult, columns: Column[], filter: string, by?: { id: string; descending: boolean }): number[] {
  const q = filter.trim().toLowerCase();
  const idx = r.tensors.map((_, i) => i).filter((i) => !q || `${r.tensors[i].name} ${FIT_TEXT[fitOf(r.tensors[i])]}`.toLowerCase().includes(q));
  const col = by && columns.find((c) => c.id === by.id);
  if (!col) return idx;
  const dir = by!.descending ? -1 : 1;
  return idx.sort((i, j) => {
    const a = col.key(r.tensors[i], i);
    const b = col.key(r.tensors[j], j);
    if (a === undefined || (typeof a === "number" && Number.isNaN(a))) return b === undefined ? i - j : 1;
    if (b === undefined || (typeof b === "number" && Number.isNaN(b))) return -1;
    return (a < b ? -1 : a > b ? 1 : i - j) * dir;
  });
}
