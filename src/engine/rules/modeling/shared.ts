// The context modeling rules get, and helpers they share. Rules read the module analysis (plain
// data) and ask knowledge/ for facts through it; none names a family.
import type { ModuleAnalysis, NormFacts, NormImpl, Range, Suppression } from "../../analysis/types";
import { VIA_LABEL } from "../../analysis/family";
import { describeNorm, type Family } from "../../knowledge/index";
import type { RuleContextBase } from "../../rule";
import type { Fix } from "../../types";

export interface SuppressionUse {
  suppression: Suppression;
  /** Per selector: did it silence a finding? */
  used: boolean[];
  /** Per selector: the rule(s) it names exist and at least one is enabled for this file. */
  active: boolean[];
  /** Per selector: it names no rule, code, tag or prefix. */
  unknown: boolean[];
}

export interface PythonRuleContext<M extends string> extends RuleContextBase<M> {
  /** Null when the file could not be read or parsed at all (then only source-unreadable reports). */
  module: ModuleAnalysis | null;
  decodeProblem?: { detail: string; kind: string };
  tooLarge?: { size: string; cap: string };
  /** A notebook whose JSON does not load, or that has no cells list. */
  notebookProblem?: { detail: string; start: number; end: number };
  /** Only for rules tagged "meta", run after every other rule: how each suppression was used. */
  suppressionUses?: SuppressionUse[];
}

/** "gemma2 (RMSNorm, x * (1 + weight), no bias)". */
export function familyLabel(f: Family): string {
  return `${f.modelType} (${describeNorm(f)})`;
}

/** "gemma (`GemmaRMSNorm`; family from the class name's prefix)": the facts and how the family was found. */
export function factsLabel(facts: NormFacts): string {
  const how = `family from ${VIA_LABEL[facts.via]}`;
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
