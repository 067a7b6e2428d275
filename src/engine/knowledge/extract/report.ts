// The extraction report (scripts/kb/extracted/report-<version>.md): what `npm run kb:build` makes of the
// extractions and the overrides, compared with the shipped families.json record by record, and every
// place a hand-verified override and the extraction disagree. Pure: the caller passes the shipped
// records. Right after `kb:build` the comparison is empty, which is what the committed report says.
import type { BuiltKnowledge, FamilyRecord } from "./build";
import { compileFamily, type Overrides } from "./compare";
import type { Extraction } from "./types";

export interface Report {
  markdown: string;
  summary: string;
  /** Differences per field over all families (`eps`, `classes`, `class.cast`, ...). */
  counts: Record<string, number>;
}

/** Record fields compared as a whole; `classes` are compared one class at a time, `src` and `notes` not at all. */
const FIELDS = ["config", "norm", "bias", "offset", "init", "cast", "eps", "epsFixed", "normKeys", "sub", "flatSub", "arch", "tensors", "via"] as const;

type ClassRecord = NonNullable<FamilyRecord["classes"]>[number];

/** A class's identity inside its family: its name and where it is built (one name may be split by eps). */
const classKey = (c: ClassRecord) => `${c.name} @ ${c.at[0] ?? "-"}`;

/** Every difference between the built record and the shipped one, one line each. */
export function recordDiff(built: FamilyRecord, shipped: FamilyRecord, bump: (k: string) => void): string[] {
  const lines: string[] = [];
  const show = (v: unknown) => JSON.stringify(v ?? null);
  for (const k of FIELDS) {
    const a = (shipped as unknown as Record<string, unknown>)[k];
    const b = (built as unknown as Record<string, unknown>)[k];
    if (show(a) === show(b)) continue;
    lines.push(`- \`${k}\`: shipped ${show(a)}, built ${show(b)}`);
    bump(k);
  }
  const shippedClasses = new Map((shipped.classes ?? []).map((c) => [classKey(c), c]));
  const builtClasses = new Map((built.classes ?? []).map((c) => [classKey(c), c]));
  for (const [key, b] of builtClasses) {
    const a = shippedClasses.get(key);
    if (!a) {
      lines.push(`- class \`${key}\`: built, not shipped`);
      bump("class added");
      continue;
    }
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const va = (a as unknown as Record<string, unknown>)[k];
      const vb = (b as unknown as Record<string, unknown>)[k];
      if (show(va) === show(vb)) continue;
      lines.push(`- \`${key}\` \`${k}\`: shipped ${show(va)}, built ${show(vb)}`);
      bump(`class.${k}`);
    }
  }
  for (const key of shippedClasses.keys()) {
    if (builtClasses.has(key)) continue;
    lines.push(`- class \`${key}\`: shipped, not built`);
    bump("class removed");
  }
  return lines;
}

/**
 * The report for one extraction (transformers at a version): `built` is the knowledge base compiled from
 * it (and any remote-code extractions) with the overrides, `shipped` the records of families.json.
 */
/** scripts/kb/no-norm.json: model types that build no norm of their own, with the reason and the line that shows it. */
export interface NoNormList {
  types: Record<string, { reason: string; src: string; line: string }>;
}

export function extractionReport(x: Extraction, built: BuiltKnowledge, shipped: Record<string, FamilyRecord>, overrides: Overrides, noNorm: NoNormList = { types: {} }): Report {
  const counts: Record<string, number> = {};
  const bump = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
  const own = new Set(x.families.map((f) => f.modelType));
  const onlyShipped = Object.keys(shipped).filter((t) => !(t in built.families)).sort();
  const onlyBuilt = Object.keys(built.families).filter((t) => !(t in shipped)).sort();
  const noNorms = x.families.filter((f) => !f.classes.length);
  // Types without a norm in the source (no-norm.json) apart from extraction gaps; a listed type that
  // now has a norm, or is gone, is stale.
  const truly = noNorms.filter((f) => f.modelType in noNorm.types);
  const gaps = noNorms.filter((f) => !(f.modelType in noNorm.types));
  const byType = new Map(x.families.map((f) => [f.modelType, f]));
  const stale = Object.keys(noNorm.types).filter((t) => !byType.get(t) || byType.get(t)!.classes.length > 0).sort();
  const sections: string[] = [];
  let differing = 0;
  for (const [t, rec] of Object.entries(built.families)) {
    const s = shipped[t];
    if (!s) continue;
    const lines = recordDiff(rec, s, bump);
    if (!lines.length) continue;
    differing++;
    sections.push(`### ${t}\n\n${lines.join("\n")}\n`);
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
  const summary = [
    `model types: ${x.families.length} extracted from transformers ${x.meta.version}, ${Object.keys(built.families).length} built (with remote code), ${Object.keys(shipped).length} shipped; ${onlyBuilt.length} new, ${onlyShipped.length} shipped but not built`,
    `extracted types without any norm reached: ${noNorms.length} (${truly.length} build no norm of their own, listed with the reason in scripts/kb/no-norm.json; ${gaps.length} extraction gaps)${stale.length ? `; stale in no-norm.json: ${stale.join(", ")}` : ""}`,
    `families whose built record differs from the shipped one: ${differing}${differing ? `; by field: ${Object.entries(counts).sort().map(([k, v]) => `${k} ${v}`).join(", ")}` : ""}`,
    `overrides disagreeing with the extraction: ${built.disagreements.length}`,
  ].join("\n");
  const md = [
    `# Knowledge-base extraction report: transformers ${x.meta.version}`,
    "",
    `Generated by \`npm run kb:extract\` and \`npm run kb:build\`. The extraction of ${x.meta.wheel ?? `transformers ${x.meta.version}`}${x.meta.sha256 ? ` (sha256 ${x.meta.sha256})` : ""}, with the remote-code extractions and the overrides of \`scripts/kb/overrides.json\`, is built into knowledge-base records exactly as \`kb:build\` does, and each record is compared with the shipped \`src/engine/knowledge/families.json\`. Right after \`kb:build\` the two are the same; after \`kb:extract\` of a new release the differences are what \`kb:build\` will change. Citations are \`path:line\` in the package folder.`,
    "",
    "## Summary",
    "",
    summary.split("\n").map((l) => `- ${l}`).join("\n"),
    "",
    "## Overrides that disagree with the extraction",
    "",
    built.disagreements.length ? built.disagreements.map((d) => `- ${d}`).join("\n") : "None.",
    "",
    "## Alternative paths (a fast kernel or a config switch between norms)",
    "",
    alternatives.join("\n") || "None.",
    "",
    "## Model types built but not shipped",
    "",
    onlyBuilt.map((t) => `\`${t}\`${own.has(t) ? "" : " (remote code)"}${built.families[t].norm === "none" ? " (no norm)" : ""}`).join(", ") || "None.",
    "",
    "## Shipped model types not built",
    "",
    onlyShipped.map((t) => `\`${t}\``).join(", ") || "None.",
    "",
    "## Extracted types without a norm, and why",
    "",
    "### No norm of their own (scripts/kb/no-norm.json)",
    "",
    truly.map((f) => `- \`${f.modelType}\`: ${noNorm.types[f.modelType].reason} (${noNorm.types[f.modelType].src})`).join("\n") || "None.",
    "",
    "### Extraction gaps (a norm exists that the extraction does not reach)",
    "",
    gaps.map((f) => `- \`${f.modelType}\`: ${(f.gaps ?? ["no norm built"]).join("; ")}`).join("\n") || "None.",
    ...(stale.length ? ["", "### Stale entries of scripts/kb/no-norm.json (the type has a norm now, or is gone)", "", stale.map((t) => `- \`${t}\``).join("\n")] : []),
    "",
    "## Differences from the shipped families.json (what `kb:build` changes)",
    "",
    sections.join("\n") || "None: families.json is the build of these extractions and overrides.",
  ].join("\n");
  return { markdown: md + "\n", summary, counts };
}
