// The rule contract: metadata (the single source for docs, schemas and tables) plus a check function.
import type { Node } from "jsonc-parser";
import type { ModuleAnalysis, Suppression } from "./analysis/types";
import type { ConfigFile } from "./config-model";
import type { ModelFolder } from "./folder-model";
import type { Finding, Fix, InputKind, RuleMeta, Severity } from "./types";

// The config model's types belong to config rules' API; rules import them from here.
export type { ConfigFile, ConfigScope } from "./config-model";

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

/** A folder rule's report names its file: config.json, a checkpoint, the index or a code file. */
export interface FolderReport<M extends string> {
  messageId: M;
  file: string;
  at: Node | ReportRange;
  data?: Record<string, string | number>;
  severity?: Severity;
  /** Other places the finding concerns (a checkpoint, the config key); `at` when known. */
  related?: Array<{ file: string; message: string; at?: ReportRange }>;
  /** Plain data for the project pass (src/engine/project), kept in the finding's `data`. */
  meta?: Record<string, string>;
}

/** `file` and `text` are the folder's anchor file (config.json when there is one) and its text. */
export interface FolderRuleContext<M extends string> extends Omit<RuleContextBase<M>, "report"> {
  folder: ModelFolder;
  report(r: FolderReport<M>): void;
}

/**
 * A rule: metadata plus a check over the context of its input kind: ConfigRuleContext,
 * PythonRuleContext or FolderRuleContext.
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
