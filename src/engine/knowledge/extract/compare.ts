// From an extraction to the shipped record format (knowledge/index.ts `Family`), the hand-verified
// overrides applied where extraction cannot decide, and the comparison with a shipped knowledge base:
// every difference per family and field, and every place an override and the extraction disagree.
import { type Family, type NormClass, normTensors } from "../index";
import type { ExtractedClass, ExtractedFamily, Extraction } from "./types";

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

const SUBMODEL = /vision|visual|video|audio|image|patch|speech|acoustic|siglip|projector|mm_|vqmodel|tokenizer|depth|backbone/i;

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

const FIELDS = ["config", "norm", "bias", "offset", "init", "cast", "flatSub"] as const;
const CLASS_FIELDS = ["kind", "offset", "bias", "init", "cast", "scale"] as const;

/** Class names as the shipped records write them: `LayerNorm`, `torch.nn.GroupNorm`, `Gemma4RMSNorm(with_scale=False)`. */
function sameName(shippedName: string, extracted: string): boolean {
  const norm = (n: string) => n.replace(/\(.*\)$/, "").replace(/^torch\.nn\./, "nn.").replace(/^(LayerNorm|GroupNorm|RMSNorm|BatchNorm[123]d)$/, "nn.$1");
  return norm(shippedName) === norm(extracted);
}

/** A shipped path matches an extracted one when one ends with the other (the root prefix differs). */
function pathMatches(a: string, b: string): boolean {
  return a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`);
}

export interface Comparison {
  markdown: string;
  summary: string;
  counts: Record<string, number>;
}

export function compareWithShipped(x: Extraction, shipped: Record<string, Record<string, unknown>>, overrides: Overrides): Comparison {
  const counts: Record<string, number> = {};
  const bump = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
  const sections: string[] = [];
  const disagreements: string[] = [];
  const extracted = new Map(x.families.map((f) => [f.modelType, f]));
  const onlyShipped = Object.keys(shipped).filter((t) => !extracted.has(t)).sort();
  const onlyExtracted = [...extracted.keys()].filter((t) => !(t in shipped)).sort();
  const noNorms = x.families.filter((f) => !f.classes.length);
  for (const f of x.families) {
    const rec = compileFamily(f, overrides._external ?? {});
    const list = overrides[f.modelType];
    if (Array.isArray(list) && !f.modelType.startsWith("_")) disagreements.push(...applyOverrides(f.modelType, rec, list));
    const s = shipped[f.modelType] as unknown as Family | undefined;
    if (!s) continue;
    const lines: string[] = [];
    for (const k of FIELDS) {
      const a = s[k as keyof Family];
      const b = rec[k];
      if (JSON.stringify(a ?? null) !== JSON.stringify(b ?? null)) {
        lines.push(`- \`${k}\`: shipped ${JSON.stringify(a ?? null)}, extracted ${JSON.stringify(b ?? null)}`);
        bump(k);
      }
    }
    const epsA = s.eps ?? {};
    const epsB = rec.eps;
    for (const k of new Set([...Object.keys(epsA), ...Object.keys(epsB)])) {
      if (!(k in epsB)) lines.push(`- \`eps.${k}\`: shipped ${JSON.stringify(epsA[k])}, not declared by ${f.config?.class ?? "the config"}`);
      else if (!(k in epsA)) lines.push(`- \`eps.${k}\`: extracted ${JSON.stringify(epsB[k])} (${f.eps[k].src}), not shipped`);
      else if (epsA[k] !== epsB[k]) lines.push(`- \`eps.${k}\`: shipped ${JSON.stringify(epsA[k])}, extracted ${JSON.stringify(epsB[k])} (${f.eps[k].src})`);
      else continue;
      bump("eps");
    }
    for (const [k, v] of Object.entries(s.sub ?? {})) {
      const e = rec.sub?.[k];
      if (e === undefined) lines.push(`- \`sub.${k}\`: shipped ${JSON.stringify(v)}, not a sub-config in the extraction`);
      else if (e !== v) lines.push(`- \`sub.${k}\`: shipped ${JSON.stringify(v)}, extracted ${JSON.stringify(e)}`);
      else continue;
      bump("sub");
    }
    const archA = new Set(s.arch ?? []);
    const archB = new Set(rec.arch ?? []);
    const archGone = [...archA].filter((a) => !archB.has(a));
    const archNew = [...archB].filter((a) => !archA.has(a));
    if (archGone.length || archNew.length) {
      lines.push(`- \`arch\`:${archGone.length ? ` not registered any more: ${archGone.join(", ")};` : ""}${archNew.length ? ` new: ${archNew.join(", ")}` : ""}`);
      bump("arch");
    }
    for (const ca of s.classes ?? []) {
      const same = rec.classes.filter((c) => sameName(ca.name, c.name));
      const cb = same.find((c) => c.at.some((p) => ca.at.some((q) => pathMatches(p, q)))) ?? same[0];
      const ec = f.classes.find((c) => c.name === cb?.name);
      if (!cb) {
        if (ca.at.length) {
          lines.push(`- class \`${ca.name}\` (${ca.kind}): not reached from ${f.root ?? "any root"}`);
          bump("class missing");
        }
        continue;
      }
      for (const k of CLASS_FIELDS) {
        const a = (ca as unknown as Record<string, unknown>)[k];
        const b = cb[k];
        if (JSON.stringify(a ?? null) !== JSON.stringify(b ?? null)) {
          const where = ec?.lines?.scale ?? ec?.src;
          lines.push(`- \`${ca.name}.${k}\`: shipped ${JSON.stringify(a ?? null)}, extracted ${JSON.stringify(b ?? null)}${where ? ` (${where})` : ""}`);
          bump(`class.${k}`);
        }
      }
      const missing = ca.at.filter((q) => !rec.classes.some((c) => c.at.some((p) => pathMatches(p, q))));
      if (missing.length) {
        lines.push(`- \`${ca.name}.at\`: shipped paths not found: ${missing.join(", ")}`);
        bump("class.at");
      }
    }
    const extra = rec.classes.filter((c) => !(s.classes ?? []).some((ca) => sameName(ca.name, c.name))).map((c) => c.name);
    if (extra.length && (s.classes ?? []).length) {
      lines.push(`- classes extracted, not shipped: ${extra.join(", ")}`);
      bump("class extra");
    }
    if (lines.length) {
      sections.push(`### ${f.modelType}\n${f.root ? `root \`${f.root}\`; ` : ""}shipped via ${s.via.split(":")[0]}\n\n${lines.join("\n")}\n`);
      bump("families differing");
    }
  }
  const alternatives: string[] = [];
  for (const f of x.families) {
    for (const c of compileFamily(f, overrides._external ?? {}).classes) {
      for (const a of (c.alt as Array<Record<string, unknown>> | undefined) ?? []) {
        alternatives.push(`- \`${f.modelType}\` \`${c.name}\` at ${c.at.join(", ")}: eager cast \`${c.cast}\` (${f.classes.find((e) => e.name === c.name)?.lines?.scale ?? "?"}); hub kernel \`${a.name}\` cast \`${a.cast}\` (${a.src})`);
      }
    }
    for (const ch of f.choices ?? []) {
      if (ch.options.length > 1) alternatives.push(`- \`${f.modelType}\` ${ch.at}: ${ch.options.map((o) => `\`${o.name}\`${o.when ? ` when \`${o.when}\`` : ""} (${o.src})`).join(" or ")}`);
    }
  }
  const total = Object.keys(shipped).length;
  const summary = [
    `model types: ${x.families.length} extracted, ${total} shipped, ${onlyExtracted.length} new, ${onlyShipped.length} shipped but not in this release`,
    `extracted types without any norm reached: ${noNorms.length}`,
    `families differing from the shipped knowledge base: ${counts["families differing"] ?? 0}; by field: ${Object.entries(counts).filter(([k]) => k !== "families differing").sort().map(([k, v]) => `${k} ${v}`).join(", ")}`,
    `overrides disagreeing with the extraction: ${disagreements.length}`,
  ].join("\n");
  const md = [
    `# Knowledge-base extraction report: transformers ${x.meta.version}`,
    "",
    `Generated by \`npm run kb:extract\`; compares the extraction of ${x.meta.wheel ?? `transformers ${x.meta.version}`}${x.meta.sha256 ? ` (sha256 ${x.meta.sha256})` : ""} with the shipped \`src/engine/knowledge/families.json\`. Paths compare by suffix (the shipped records start them at different roots). Citations are \`path:line\` in the package folder.`,
    "",
    "## Summary",
    "",
    summary.split("\n").map((l) => `- ${l}`).join("\n"),
    "",
    "## Overrides that disagree with the extraction",
    "",
    disagreements.length ? disagreements.map((d) => `- ${d}`).join("\n") : "None.",
    "",
    "## Alternative paths (a fast kernel or a config switch between norms)",
    "",
    alternatives.join("\n") || "None.",
    "",
    "## Model types new in this extraction",
    "",
    onlyExtracted.map((t) => `\`${t}\`${extracted.get(t)!.classes.length ? "" : " (no norm reached)"}`).join(", ") || "None.",
    "",
    "## Shipped model types not in this release",
    "",
    onlyShipped.map((t) => `\`${t}\``).join(", ") || "None.",
    "",
    "## Extracted types without a norm, and why",
    "",
    noNorms.map((f) => `- \`${f.modelType}\`: ${(f.gaps ?? ["no norm built"]).join("; ")}`).join("\n") || "None.",
    "",
    "## Differences per family",
    "",
    sections.join("\n"),
  ].join("\n");
  return { markdown: md + "\n", summary, counts };
}
