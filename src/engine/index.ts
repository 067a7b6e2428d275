// The engine's public entry. Callers pass bytes or text in and get findings out; the engine does
// no I/O, so the CLI, the extension host and a browser share it.
import { buildConfigFile, isModelConfig } from "./config-model";
import { validators } from "./generated/validators.js";
import { decodeText, parseJson } from "./parsers/json";
import { RULES } from "./registry";
import type { ConfigFile, ConfigRuleContext, SchemaError } from "./rule";
import { runRules } from "./runner";
import { type FileSettings, defaultSettings } from "./settings";
import type { Finding } from "./types";

export type { Finding, Fix, Severity, TextEdit } from "./types";
export { RULES, findRule, REDIRECTS } from "./registry";
export * from "./settings";
export { LineIndex } from "./util/text";

export interface LintInput {
  /** Path as the caller wants it reported (posix, relative or absolute). */
  path: string;
  bytes?: Uint8Array;
  text?: string;
  /** Size in bytes when the content was not read because it is over the cap. */
  size?: number;
  /** Named explicitly by the user: linted as a model config even when it is not called config.json. */
  explicit?: boolean;
}

export interface LintResult {
  path: string;
  /** "config": linted as a model config; "skipped": not a model config (reason says why). */
  status: "config" | "skipped";
  reason?: string;
  findings: Finding[];
  /** The decoded text the offsets refer to ("" when the bytes did not decode). */
  text: string;
  /** The model type the config names (its family's, when architectures name it): family evidence for the folder's code. */
  modelType?: string;
}

const CONFIG_RULES = RULES.filter((r) => r.input === "config");

function validateSchema(modelType: string | undefined, value: unknown): SchemaError[] {
  const errors: SchemaError[] = [];
  const run = (fn: ((v: unknown) => boolean) & { errors?: unknown }) => {
    if (!fn(value)) errors.push(...((fn.errors ?? []) as SchemaError[]));
  };
  run(validators.base);
  const fam = modelType !== undefined ? validators.families[modelType] : undefined;
  if (fam) run(fam);
  return errors;
}

function formatSize(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

/** Lints one config.json-like file. */
export function lintConfig(input: LintInput, settings: FileSettings = defaultSettings()): LintResult {
  let text = "";
  let config: ConfigFile | null = null;
  let decodeProblem: ConfigRuleContext<string>["decodeProblem"];
  let tooLarge: ConfigRuleContext<string>["tooLarge"];
  const size = input.size ?? input.bytes?.length ?? input.text?.length ?? 0;

  if (size > settings.maxFileSize) {
    tooLarge = { size: formatSize(size), cap: formatSize(settings.maxFileSize) };
  } else if (input.text !== undefined || input.bytes) {
    const decoded = input.text !== undefined ? { ok: true as const, text: input.text } : decodeText(input.bytes!);
    if (decoded.ok) {
      text = decoded.text;
      config = buildConfigFile(parseJson(text));
    } else decodeProblem = { detail: decoded.problem.detail, kind: decoded.problem.kind };
  }

  // A file that parsed cleanly but is not a model config is left alone, unless named explicitly.
  const root = config?.doc.root;
  const broken = !config || config.doc.problems.some((p) => p.kind === "syntax" || p.kind === "too-deep");
  if (config && !broken && !isModelConfig(root)) {
    const reason = root?.type === "object" ? "no model_type and no known architectures" : "the top level is not an object";
    return { path: input.path, status: "skipped", reason, findings: [], text };
  }

  const findings = runRules<ConfigRuleContext<string>>({
    rules: CONFIG_RULES,
    file: input.path,
    settingsFor: () => settings,
    suppressionsOf: () => ({ kind: "pointers", root }),
    context: (_rule, report) => ({ file: input.path, text, config, decodeProblem, tooLarge, validateSchema, report }),
  });
  findings.sort((a, b) => a.start - b.start || a.code.localeCompare(b.code));
  return { path: input.path, status: "config", findings, text, modelType: config ? modelTypeOf(config) : undefined };
}

/** The model type a config names: its family's, when `architectures` name one (family evidence for the code beside it). */
function modelTypeOf(config: ConfigFile): string | undefined {
  const top = config.scopes[0];
  return top?.family?.modelType ?? top?.modelType;
}

/** The model type a config.json text names, as lintConfig reports it (comments and trailing commas tolerated). */
export function configModelType(text: string): string | undefined {
  return modelTypeOf(buildConfigFile(parseJson(text)));
}

/** Applies non-overlapping edits (sorted by position) to a text. */
export function applyEdits(text: string, edits: Array<{ start: number; end: number; text: string }>): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start);
  let out = text;
  let limit = Infinity;
  for (const e of sorted) {
    if (e.end > limit) continue; // overlapping: left for the next pass
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
    limit = e.start;
  }
  return out;
}

/**
 * Applies every safe fix, re-linting between passes until nothing fixable is left (at most 10
 * passes). Returns the new text, or undefined when nothing changed. `relint` lints a text.
 */
export function applySafeFixes(first: { text: string; findings: Finding[] }, relint: (text: string) => { findings: Finding[] }): string | undefined {
  let findings = first.findings;
  let text = first.text;
  for (let pass = 0; pass < 10; pass++) {
    const edits = findings.flatMap((f) => f.fixes.filter((x) => x.safe).flatMap((x) => x.edits));
    if (edits.length === 0) break;
    const next = applyEdits(text, edits);
    if (next === text) break;
    text = next;
    findings = relint(text).findings;
  }
  return text === first.text ? undefined : text;
}

/** Applies every safe fix to a config file (see applySafeFixes). */
export function fixConfigText(input: LintInput, settings: FileSettings): string | undefined {
  return applySafeFixes(lintConfig(input, settings), (text) => lintConfig({ ...input, bytes: undefined, text }, settings));
}
