// The rule contract: metadata (the single source for docs, schemas and tables) plus a check function.
import type { Node } from "jsonc-parser";
import type { Family } from "./knowledge/index";
import type { JsonDocument } from "./parsers/json";
import type { Finding, Fix, InputKind, RuleMeta, Severity } from "./types";

/** One model config object: the root, or a nested sub-config such as `text_config`. */
export interface ConfigScope {
  /** JSON pointer of the object ("" for the root). */
  pointer: string;
  node: Node;
  /** Dotted path for messages ("text_config"), "" for the root. */
  path: string;
  modelType?: string;
  modelTypeNode?: Node;
  family?: Family;
  /** How the family was found when the object does not name it. */
  inferredFrom?: "architectures" | "parent";
  parent?: ConfigScope;
}

export interface ConfigFile {
  doc: JsonDocument;
  scopes: ConfigScope[];
}

export interface SchemaError {
  /** JSON pointer relative to the validated object. */
  instancePath: string;
  message: string;
  keyword: string;
  params: Record<string, unknown>;
}

export interface ReportRange {
  start: number;
  end: number;
}

export interface Report<M extends string> {
  messageId: M;
  at: Node | ReportRange;
  data?: Record<string, string | number>;
  fixes?: Fix[];
  /** A milder severity for this report than the rule's default; a level the user configures wins. */
  severity?: Severity;
  /** Plain data for the project pass (src/engine/project), kept in the finding's `data`. */
  meta?: Record<string, string>;
}

/** What every rule context has: the file, its text, and a way to report. */
export interface RuleContextBase<M extends string> {
  file: string;
  text: string;
  report(r: Report<M>): void;
}

export interface ConfigRuleContext<M extends string> extends RuleContextBase<M> {
  /** Null when the text did not decode (binary, bad UTF-8): only invalid-json runs then. */
  config: ConfigFile | null;
  decodeProblem?: { detail: string; kind: string };
  /** Set when the file was over the size cap and not parsed. */
  tooLarge?: { size: string; cap: string };
  /** Schema validation of one config object against the base schema and its family's (injected). */
  validateSchema(modelType: string | undefined, value: unknown): SchemaError[];
}

/**
 * A rule: metadata plus a check over the context of its input kind (`config` rules get a
 * ConfigRuleContext; other inputs define their own context extending RuleContextBase).
 */
export interface Rule<M extends string = string, C extends RuleContextBase<M> = ConfigRuleContext<M>> extends RuleMeta<M> {
  check(ctx: C): void;
}

/** Typed helper: a misspelt message id is a compile error. */
export function defineRule<M extends string, C extends RuleContextBase<M> = ConfigRuleContext<M>>(rule: Rule<M, C> & { input: InputKind }): Rule<M, C> {
  return rule;
}

/**
 * The finding a report becomes: the user's configured level wins over the report's own milder
 * severity, which wins over the rule's default.
 */
export function findingOf(rule: RuleMeta, file: string, level: Severity, r: Report<string>): Finding {
  const { start, end } = rangeOf(r.at);
  return {
    file,
    rule: rule.name,
    code: rule.code,
    severity: level !== rule.severity ? level : r.severity ?? rule.severity,
    messageId: r.messageId,
    message: format(rule.messages[r.messageId], r.data),
    start,
    end,
    fixes: r.fixes ?? [],
    ...(r.meta ? { data: { ...r.meta } } : {}),
  };
}

/** A rule that threw: reported where the file starts, so it never hides the other rules' findings. */
export function internalError(rule: RuleMeta, file: string, err: unknown): Finding {
  return {
    file, rule: rule.name, code: rule.code, severity: "error", messageId: "internal",
    message: `normlint internal error in ${rule.name}: ${(err as Error).message}`, start: 0, end: 0, fixes: [],
  };
}

export function rangeOf(at: Node | ReportRange): ReportRange {
  return "type" in at ? { start: at.offset, end: at.offset + at.length } : at;
}

export function format(template: string, data: Record<string, string | number> = {}): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, k: string) => (k in data ? String(data[k]) : `{{${k}}}`));
}
