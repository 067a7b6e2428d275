// Rule documentation lives in each rule file's doc comment (ruff's convention); this reads it out.
import type { RuleDoc } from "../engine/types";
import { RULES } from "../engine/registry";

export const DOC_HEADINGS = ["What it does", "Why is this bad?", "Example", "Use instead"] as const;

/** Parses the `/** ... *\/` comment that precedes `export default defineRule(`. */
export function extractDoc(source: string): RuleDoc | undefined {
  const m = /\/\*\*([\s\S]*?)\*\/\s*export default defineRule(?:<[^(]*>)?\(/.exec(source);
  if (!m) return undefined;
  const body = m[1].split("\n").map((l) => l.replace(/^\s*\* ?/, "")).join("\n");
  const sections = new Map<string, string>();
  const re = /^## (.+)$/gm;
  const heads = [...body.matchAll(re)];
  heads.forEach((h, i) => {
    const end = i + 1 < heads.length ? heads[i + 1].index : body.length;
    sections.set(h[1].trim(), body.slice(h.index + h[0].length, end).trim());
  });
  const [what, why, example, instead] = DOC_HEADINGS.map((h) => sections.get(h));
  if (!what || !why || !example || !instead) return undefined;
  return { whatItDoes: what, why, example, useInstead: instead };
}

export function ruleTable(): string {
  const rows = RULES.map((r) => `| \`${r.code}\` | \`${r.name}\` | ${r.severity} | ${r.fix === "safe" ? "safe" : r.fix === "unsafe" ? "suggested" : ""} | ${r.summary} |`);
  return ["| Code | Rule | Default | Fix | What it flags |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}

export { rulePage } from "../rule-page";
