// The difference between two extractions (two transformers releases): model types added and removed,
// conventions changed (main norm, per-class kind, offset, bias, init, cast, eps defaults), keys renamed.
// One report to review when a new release is absorbed.
import { compileFamily, type ExternalFacts } from "./compare";
import type { ExtractedFamily, Extraction } from "./types";

export interface ExtractionDiff {
  added: string[];
  removed: string[];
  changed: Array<{ modelType: string; changes: string[] }>;
  renamed: Array<{ modelType: string; from: string; to: string; why: string }>;
}

const MAIN = ["config", "norm", "offset", "bias", "init", "cast"] as const;
const CLASS = ["kind", "offset", "bias", "init", "cast", "scale"] as const;

export function diffExtractions(a: Extraction, b: Extraction, external: Record<string, ExternalFacts> = {}): ExtractionDiff {
  const A = new Map(a.families.map((f) => [f.modelType, f]));
  const B = new Map(b.families.map((f) => [f.modelType, f]));
  const out: ExtractionDiff = {
    added: [...B.keys()].filter((t) => !A.has(t)).sort(),
    removed: [...A.keys()].filter((t) => !B.has(t)).sort(),
    changed: [],
    renamed: [],
  };
  for (const [t, fb] of [...B].sort(([x], [y]) => (x < y ? -1 : 1))) {
    const fa = A.get(t);
    if (!fa) continue;
    const ca = compileFamily(fa, external);
    const cb = compileFamily(fb, external);
    const changes: string[] = [];
    // No norm reached in the older extraction is a gap of that extraction, not a convention that changed.
    if (!fa.classes.length && fb.classes.length) changes.push(`first extracted here (no norm reached in ${a.meta.version}: ${(fa.gaps ?? []).join("; ")}): ${cb.norm}, ${cb.offset ? "1 + weight" : "weight"}`);
    else for (const k of MAIN) if (JSON.stringify(ca[k]) !== JSON.stringify(cb[k])) changes.push(`${k}: ${JSON.stringify(ca[k])} -> ${JSON.stringify(cb[k])}`);
    renamedKeys(t, fa, fb, out, changes);
    for (const c of cb.classes) {
      const old = ca.classes.find((x) => x.name === c.name);
      if (!old) continue;
      for (const k of CLASS) if (JSON.stringify(old[k] ?? null) !== JSON.stringify(c[k] ?? null)) changes.push(`${c.name}.${k}: ${JSON.stringify(old[k] ?? null)} -> ${JSON.stringify(c[k] ?? null)}`);
    }
    const namesA = new Set(ca.classes.map((c) => c.name));
    const namesB = new Set(cb.classes.map((c) => c.name));
    const gone = [...namesA].filter((n) => !namesB.has(n));
    const fresh = [...namesB].filter((n) => !namesA.has(n));
    if (gone.length) changes.push(`norm classes no longer built: ${gone.join(", ")}`);
    if (fresh.length && fa.classes.length) changes.push(`norm classes new: ${fresh.join(", ")}`);
    if (changes.length) out.changed.push({ modelType: t, changes });
  }
  return out;
}

/** An eps or norm key that disappeared while another with the same default appeared: a rename. */
function renamedKeys(t: string, fa: ExtractedFamily, fb: ExtractedFamily, out: ExtractionDiff, changes: string[]): void {
  for (const group of ["eps", "normKeys"] as const) {
    const ka = fa[group];
    const kb = fb[group];
    const gone = Object.keys(ka).filter((k) => !(k in kb));
    const fresh = Object.keys(kb).filter((k) => !(k in ka));
    for (const k of gone) {
      // Still readable through attribute_map: renamed, the old key an alias.
      const alias = fb.attributeMap?.[k];
      const same = alias ? [alias] : fresh.filter((n) => JSON.stringify(kb[n].default) === JSON.stringify(ka[k].default));
      if (same.length === 1) out.renamed.push({ modelType: t, from: k, to: same[0], why: alias ? `attribute_map ${k} -> ${alias}` : `same default ${JSON.stringify(ka[k].default)} (${kb[same[0]].src})` });
      else changes.push(`${group} key removed: ${k}`);
    }
    for (const k of fresh) if (!out.renamed.some((r) => r.modelType === t && r.to === k)) changes.push(`${group} key new: ${k} = ${JSON.stringify(kb[k].default)} (${kb[k].src})`);
    for (const k of Object.keys(kb)) {
      if (k in ka && JSON.stringify(ka[k].default) !== JSON.stringify(kb[k].default)) changes.push(`${group}.${k} default: ${JSON.stringify(ka[k].default)} -> ${JSON.stringify(kb[k].default)} (${kb[k].src})`);
    }
  }
}

export function diffMarkdown(a: Extraction, b: Extraction, d: ExtractionDiff): string {
  const lines = [
    `# Knowledge-base diff: transformers ${a.meta.version} -> ${b.meta.version}`,
    "",
    `- model types: ${a.families.length} -> ${b.families.length}; ${d.added.length} added, ${d.removed.length} removed`,
    `- model types whose conventions changed: ${d.changed.length}`,
    `- keys renamed: ${d.renamed.length}`,
    "",
    "## Added",
    "",
    d.added.map((t) => `\`${t}\``).join(", ") || "None.",
    "",
    "## Removed",
    "",
    d.removed.map((t) => `\`${t}\``).join(", ") || "None.",
    "",
    "## Keys renamed",
    "",
    d.renamed.map((r) => `- \`${r.modelType}\`: \`${r.from}\` -> \`${r.to}\` (${r.why})`).join("\n") || "None.",
    "",
    "## Conventions changed",
    "",
    d.changed.map((c) => `### ${c.modelType}\n\n${c.changes.map((x) => `- ${x}`).join("\n")}\n`).join("\n") || "None.",
  ];
  return lines.join("\n") + "\n";
}
