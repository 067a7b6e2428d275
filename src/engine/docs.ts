import ruleDocs from "./generated/rule-docs.json";
import { findRule } from "./registry";
import type { RuleDoc, RuleInfo } from "./types";

const docs = ruleDocs as Record<string, RuleDoc>;

export function ruleInfo(id: string): RuleInfo | undefined {
  const rule = findRule(id);
  return rule && { ...rule, docs: docs[rule.name] };
}

export function ruleDocsUrl(name: string): string {
  return `https://github.com/normlint/normlint/blob/main/docs/rules/${name}.md`;
}
