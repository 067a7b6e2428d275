// Shared engine types. Positions are UTF-16 offsets into the text the engine was given; adapters
// (CLI, extension) turn them into lines and columns with `LineIndex`.

export type Severity = "error" | "warning" | "info";
export type Level = Severity | "off";

export const SEVERITY_RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

/** One replacement of `[start, end)` by `text`. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

export interface Fix {
  title: string;
  /** Safe fixes keep the model's behaviour; `--fix` and fix-all apply only these. */
  safe: boolean;
  edits: TextEdit[];
}

export interface RelatedLocation {
  file: string;
  start: number;
  end: number;
  message: string;
}

export interface Finding {
  file: string;
  rule: string;
  code: string;
  severity: Severity;
  messageId: string;
  message: string;
  start: number;
  end: number;
  fixes: Fix[];
  related?: RelatedLocation[];
  /** Set when the engine could not read the text (binary file), so offsets mean bytes. */
  data?: Record<string, unknown>;
}

export type InputKind = "config" | "normlint-config" | "python" | "folder";

export type FixKind = "safe" | "unsafe" | "none";

export interface RuleDoc {
  whatItDoes: string;
  why: string;
  example: string;
  useInstead: string;
}

export interface RuleMeta<M extends string = string> {
  name: string;
  code: string;
  severity: Severity;
  input: InputKind;
  tags: string[];
  fix: FixKind;
  summary: string;
  messages: Record<M, string>;
}

/** Metadata plus the documentation read from the rule file's doc comment at build time. */
export interface RuleInfo extends RuleMeta {
  docs: RuleDoc;
}
