// From an extraction to the shipped record format (knowledge/index.ts `Family`) and the hand-verified
// overrides applied where extraction cannot decide, each disagreement with the extraction noted
// (report.ts compares the result with the shipped knowledge base).
import { type Family, type NormClass, normTensors } from "../index";
import type { ExtractedClass, ExtractedFamily } from "./types";

/** A hand-verified fact the extraction cannot decide, with why and where it was read. */
export interface Override {
  /** A class of the family (by name); without it the family record itself. */
  class?: string;
  set: Record<string, unknown>;
  reason: string;
  source: string;
}
/** What a norm implemented outside transformers computes (a hub kernel, an imported library class). */
export interface ExternalFacts {
  kind?: string;
  cast?: string;
  offset?: boolean;
  reason: string;
  source: string;
}
export type Overrides = Record<string, Override[] | Record<string, unknown>> & { _external?: Record<string, ExternalFacts> };

type Compiled = Omit<Family, "modelType" | "via" | "src" | "init" | "classes"> & {
  init: string;
  classes: Array<Omit<NormClass, "init"> & { init: string; [k: string]: unknown }>;
  [k: string]: unknown;
};

// A perceiver resampler is the vision side's connector (IDEFICS, Idefics2), not the language trunk.
const SUBMODEL = /vision|visual|video|audio|image|patch|speech|acoustic|siglip|projector|perceiver_resampler|mm_|vqmodel|tokenizer|depth|backbone/i;

/**
 * The main norm: most module paths outside vision/audio towers, per-layer paths counting twice; batch
 * and group norms only if alone.
 */
export function mainClass<T extends { kind: string; at: string[] }>(classes: T[]): T | undefined {
  const normLike = classes.filter((c) => !["batch", "group"].includes(c.kind));
  const pool = normLike.length ? normLike : classes;
  let best: T | undefined;
  let bestScore = -1;
  for (const c of pool) {
    const own = c.at.filter((p) => !SUBMODEL.test(p));
    const score = own.length + own.filter((p) => p.includes("{N}")).length;
    if (score > bestScore) [best, bestScore] = [c, score];
  }
  return best;
}

/** A class built with several eps, one record per eps, each with its paths (AXK1RMSNorm: rms_norm_eps in the blocks, 1e-06 at q_a_layernorm). */
export function splitByEps(c: ExtractedClass): ExtractedClass[] {
  if (!c.epsAt) return [c];
  const { epsAt, ...rest } = c;
  const byEps = new Map<string, string[]>();
  for (const at of c.at) {
    const e = epsAt[at];
    if (e !== undefined) byEps.set(e, [...(byEps.get(e) ?? []), at]);
  }
  const unlisted = c.at.filter((at) => epsAt[at] === undefined);
  const out = [...byEps].map(([e, at]) => ({ ...rest, eps: [e], at }));
  if (unlisted.length) out.push({ ...rest, eps: [], at: unlisted });
  return out;
}

function compileClass(c: ExtractedClass, external: Record<string, ExternalFacts>): Compiled["classes"][number] {
  const out: Compiled["classes"][number] = { name: c.name, kind: c.kind, offset: c.offset, bias: c.bias, init: c.init, cast: c.cast, eps: c.eps, at: c.at };
  if (c.scale) out.scale = c.scale;
  if (c.epsAt) out.epsAt = c.epsAt;
  // A class defined in another library: its facts come from the hand-verified table, when it has them.
  const lib = c.from ? external[c.from] : undefined;
  if (lib) {
    for (const k of ["kind", "cast", "offset"] as const) if (lib[k] !== undefined) (out as Record<string, unknown>)[k] = lib[k];
    out.src = lib.source;
  }
  // The other path the forward can take: a hub kernel registered for the class. Both are recorded.
  const alt = (c.kernel?.layers ?? []).filter((l) => external[l]).map((l) => ({ name: l, ...pick(external[l]), src: external[l].source }));
  if (alt.length) out.alt = alt;
  return out;
}

function pick(x: ExternalFacts): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ["kind", "cast", "offset"] as const) if (x[k] !== undefined) out[k] = x[k];
  return out;
}

/** The main norm is one the default config builds: paths whose condition fails for the defaults do not count. */
export function defaultMain<T extends { name: string; kind: string; at: string[] }>(f: ExtractedFamily, classes: T[]): T | undefined {
  const off = new Set((f.choices ?? []).flatMap((ch) => ch.options.filter((o) => o.byDefault === false).map((o) => `${o.name}@${ch.at}`)));
  const pool = classes.map((c, i) => ({ i, kind: c.kind, at: c.at.filter((p) => !off.has(`${c.name}@${p}`)) }));
  const pick = mainClass(pool);
  return pick ? classes[pick.i] : undefined;
}

export function compileFamily(f: ExtractedFamily, external: Record<string, ExternalFacts> = {}): Compiled {
  const classes = f.classes.map((c) => compileClass(c, external));
  const main = defaultMain(f, classes);
  const norm: Family["norm"] = !main ? "none" : /^(rms|rms-gated|l2)$/.test(main.kind) ? "rms" : main.kind === "layer" ? "layer" : "other";
  const out: Compiled = {
    config: f.config?.class ?? "",
    norm,
    bias: main?.bias ?? false,
    offset: main?.offset ?? false,
    init: main ? (main.kind === "l2" ? "none" : main.init) : "none",
    cast: main?.cast ?? "none",
    eps: Object.fromEntries(Object.entries(f.eps).map(([k, v]) => [k, typeof v.default === "number" || v.default === null ? v.default : null])),
    classes,
  };
  const normKeys = Object.fromEntries(Object.entries(f.normKeys).map(([k, v]) => [k, v.default]));
  if (Object.keys(normKeys).length) out.normKeys = normKeys;
  // An AutoConfig sub-config is the model type it defaults to (Mistral3's text_config is a mistral config).
  if (f.sub) out.sub = Object.fromEntries(Object.entries(f.sub).map(([k, v]) => [k, v.modelType ?? v.default?.modelType ?? null]));
  if (f.flatSub) out.flatSub = f.flatSub.key;
  const arch = Object.keys(f.arch);
  if (arch.length) out.arch = arch;
  return out;
}

/** The overrides of one family applied to its compiled record; returns the disagreements. */
export function applyOverrides(t: string, rec: Compiled, list: Override[]): string[] {
  const notes: string[] = [];
  for (const o of list) {
    const target: Record<string, unknown> | undefined = o.class ? rec.classes.find((c) => c.name === o.class) : rec;
    if (!target) {
      notes.push(`${t}: override for class ${o.class} finds no such class in the extraction (${o.reason})`);
      continue;
    }
    for (const [k, v] of Object.entries(o.set)) {
      // Checkpoint tensor names are derived from the classes' paths unless set: compare with those.
      const extracted = k === "tensors" && !(k in target) ? normTensors({ classes: rec.classes as NormClass[] }) : target[k];
      if ((k in target || k === "tensors") && JSON.stringify(extracted) !== JSON.stringify(v)) {
        const shown = Array.isArray(v) && Array.isArray(extracted) ? `${JSON.stringify(extracted.filter((x) => !v.includes(x)))} only in the extraction, ${JSON.stringify(v.filter((x) => !extracted.includes(x)))} only in the override` : `extraction ${JSON.stringify(extracted)}, override ${JSON.stringify(v)}`;
        notes.push(`${t}${o.class ? ` ${o.class}` : ""}.${k}: ${shown} — ${o.reason} (${o.source})`);
      }
      target[k] = v;
    }
  }
  return notes;
}
