// Helpers modeling rules share (their context, PythonRuleContext, is in rule.ts). Rules read the module analysis (plain
// data) and ask knowledge/ for facts through it; none names a family.
import type { NormFacts, NormImpl, Range } from "../../analysis/types";
import { VIA_LABEL } from "../../analysis/family";
import { describeNorm, type Family } from "../../knowledge/index";
import type { PythonRuleContext } from "../../rule";
import type { Fix } from "../../types";

/** "gemma2 (RMSNorm, x * (1 + weight), no bias)". */
export function familyLabel(f: Family): string {
  return `${f.modelType} (${describeNorm(f)})`;
}

/** "gemma (`GemmaRMSNorm`; family from the class name's prefix)": the facts and how the family was found. */
export function factsLabel(facts: NormFacts): string {
  const how = facts.builtBy ? `family from \`${facts.builtBy}\`, which builds it` : `family from ${VIA_LABEL[facts.via]}`;
  return facts.cls && /^[A-Z]/.test(facts.cls.name) ? `${facts.family.modelType} (\`${facts.cls.name}\`; ${how})` : `${facts.family.modelType} (${how})`;
}

export function slice(text: string, r: Range): string {
  return text.slice(r.start, r.end);
}

export function replace(r: Range, text: string): { start: number; end: number; text: string } {
  return { start: r.start, end: r.end, text };
}

export function fix(title: string, edits: Array<{ start: number; end: number; text: string }>): Fix {
  return { title, safe: false, edits };
}

/** The norm implementations a rule should check: those with facts from the knowledge base. */
export function checkedNorms(ctx: PythonRuleContext<string>): Array<NormImpl & { facts: NormFacts }> {
  return (ctx.module?.norms ?? []).filter((n): n is NormImpl & { facts: NormFacts } => n.facts !== undefined);
}

/** Numbers equal to 12 significant digits (1e-5 written as 0.00001 or 1E-05). */
export function sameNumber(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= Math.abs(b) * 1e-9;
}
