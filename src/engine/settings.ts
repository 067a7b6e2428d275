// `.normlint.json`: parsing, validation and per-file resolution of rule levels and ignores.
// The file is found by the caller (walking up from each linted file; the nearest one wins, as in
// ruff); everything here is pure.
import picomatch from "picomatch/posix";
import { validators } from "./generated/validators.js";
import { nodeAtPointer, nodeValue, parseJson } from "./parsers/json";
import { ALL_TAGS, findRule, RULES } from "./registry";
import { format, type SchemaError } from "./rule";
import type { Finding, Level } from "./types";
import { closest } from "./util/text";

export const CONFIG_FILE = ".normlint.json";
export const DEFAULT_MAX_FILE_SIZE = 8 * 1024 * 1024;

export interface IgnoreEntry {
  /** Glob relative to the config file's folder. */
  files: string;
  /** JSON pointer inside the file; "" ignores the whole file. */
  pointer: string;
  /** Rule selectors; empty = every rule. */
  rules: string[];
}

export interface NormlintConfig {
  root?: boolean;
  rules?: Record<string, Level>;
  overrides?: Array<{ files: string | string[]; rules: Record<string, Level> }>;
  ignore?: Array<string | { path: string; rules?: string[] }>;
  exclude?: string[];
  maxFileSize?: number;
}

export interface LoadedConfig {
  /** Folder of the config file, posix, no trailing slash ("" for the working directory). */
  dir: string;
  path: string;
  config: NormlintConfig;
  ignores: IgnoreEntry[];
}

export interface FileSettings {
  levels: Map<string, Level>;
  ignores: Array<{ pointer: string; rules: string[] }>;
  maxFileSize: number;
  configPath?: string;
}

export interface CliSelection {
  select?: string[];
  ignore?: string[];
}

/** Does a selector (name, code, code prefix, tag, "all") pick this rule? Returns its specificity. */
export function selectorMatches(selector: string, rule: { name: string; code: string; tags: string[] }): number {
  if (selector === "all" || selector === "ALL") return 1;
  if (rule.tags.includes(selector)) return 2;
  const upper = selector.toUpperCase();
  if (/^NL\d{0,3}$/.test(upper) && rule.code.startsWith(upper)) return upper === rule.code ? 10 : 3 + upper.length;
  const found = findRule(selector);
  if (found && found.name === rule.name) return 10;
  return 0;
}

export function isValidSelector(selector: string): boolean {
  const prefix = /^NL\d{0,3}$/i.test(selector) && RULES.some((r) => r.code.startsWith(selector.toUpperCase()));
  return selector === "all" || ALL_TAGS.includes(selector) || prefix || findRule(selector) !== undefined;
}

function applyLevels(levels: Map<string, Level>, table: Record<string, Level> | undefined): void {
  if (!table) return;
  for (const rule of RULES) {
    let best = 0;
    let level: Level | undefined;
    for (const [selector, value] of Object.entries(table)) {
      const s = selectorMatches(selector, rule);
      if (s > 0 && s >= best) [best, level] = [s, value];
    }
    if (level) levels.set(rule.name, level);
  }
}

export function defaultSettings(): FileSettings {
  return { levels: new Map(RULES.map((r) => [r.name, r.severity])), ignores: [], maxFileSize: DEFAULT_MAX_FILE_SIZE };
}

/**
 * Rule levels and ignores for one file. `relPath` is the file's path relative to the config's folder
 * (posix); the CLI's --select/--ignore apply last.
 */
export function resolveSettings(loaded: LoadedConfig | undefined, relPath: string, cli: CliSelection = {}): FileSettings {
  const settings = defaultSettings();
  if (loaded) {
    const { config } = loaded;
    applyLevels(settings.levels, config.rules);
    for (const o of config.overrides ?? []) {
      const globs = Array.isArray(o.files) ? o.files : [o.files];
      if (globs.some((g) => matchGlob(g, relPath))) applyLevels(settings.levels, o.rules);
    }
    for (const entry of loaded.ignores) {
      if (matchGlob(entry.files, relPath)) settings.ignores.push({ pointer: entry.pointer, rules: entry.rules });
    }
    if (typeof config.maxFileSize === "number") settings.maxFileSize = config.maxFileSize;
    settings.configPath = loaded.path;
  }
  if (cli.select?.length) {
    for (const rule of RULES) if (!cli.select.some((s) => selectorMatches(s, rule) > 0)) settings.levels.set(rule.name, "off");
  }
  for (const rule of RULES) if (cli.ignore?.some((s) => selectorMatches(s, rule) > 0)) settings.levels.set(rule.name, "off");
  return settings;
}

const globCache = new Map<string, (p: string) => boolean>();

export function matchGlob(glob: string, relPath: string): boolean {
  let m = globCache.get(glob);
  if (!m) {
    // A pattern without a slash matches at any depth, as in .gitignore.
    const pattern = glob.includes("/") ? glob.replace(/^\.\//, "") : `**/${glob}`;
    m = picomatch(pattern, { dot: true });
    globCache.set(glob, m);
  }
  return m(relPath);
}

/** Is this path excluded by the config's `exclude` globs? */
export function isExcluded(loaded: LoadedConfig | undefined, relPath: string): boolean {
  return (loaded?.config.exclude ?? []).some((g) => matchGlob(g, relPath) || matchGlob(`${g.replace(/\/$/, "")}/**`, relPath));
}

/**
 * Parses and validates a .normlint.json. Comments and trailing commas are allowed (it is our file,
 * not Python's). Problems become `invalid-normlint-config` findings; the valid parts still apply.
 */
export function loadConfig(text: string, path: string, dir: string): { loaded: LoadedConfig; findings: Finding[] } {
  const rule = findRule("invalid-normlint-config")!;
  const findings: Finding[] = [];
  const report = (start: number, end: number, detail: string) =>
    findings.push({ file: path, rule: rule.name, code: rule.code, severity: "error", messageId: "invalid", message: format(rule.messages.invalid, { detail }), start, end, fixes: [] });
  const doc = parseJson(text);
  const syntax = doc.problems.find((p) => p.kind === "syntax" || p.kind === "too-deep");
  let config: NormlintConfig = {};
  if (syntax || doc.root?.type !== "object") {
    report(syntax?.start ?? 0, syntax?.end ?? 0, syntax ? syntax.detail : "the top level must be an object");
  } else {
    const value = nodeValue(doc, doc.root) as NormlintConfig;
    const validate = validators.normlint;
    if (!validate(value)) {
      for (const err of dedupe((validate.errors ?? []) as SchemaError[])) {
        const node = nodeAtPointer(doc.root, err.instancePath) ?? doc.root;
        let detail = `\`${err.instancePath || "/"}\` ${err.message}`;
        let at = node;
        if (err.keyword === "additionalProperties") {
          const key = String(err.params.additionalProperty);
          const keyNode = nodeAtPointer(doc.root, `${err.instancePath}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`)?.parent?.children?.[0];
          if (keyNode) at = keyNode;
          const inRules = /\/rules$/.test(err.instancePath);
          const hint = inRules ? closest(key, RULES.map((r) => r.name), 4) : undefined;
          detail = inRules ? `unknown rule or selector \`${key}\`${hint ? `; did you mean \`${hint}\`?` : ""}` : `unknown key \`${key}\``;
        }
        report(at.offset, at.offset + at.length, detail);
      }
      config = sanitize(value);
    } else config = value;
  }
  const ignores: IgnoreEntry[] = [];
  for (const entry of config.ignore ?? []) {
    const raw = typeof entry === "string" ? entry : entry.path;
    const hash = raw.indexOf("#");
    ignores.push({
      files: hash < 0 ? raw : raw.slice(0, hash),
      pointer: hash < 0 ? "" : raw.slice(hash + 1),
      rules: typeof entry === "string" ? [] : entry.rules ?? [],
    });
  }
  return { loaded: { dir, path, config, ignores }, findings };
}

function dedupe(errors: SchemaError[]): SchemaError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Keeps the valid parts of an invalid config, so one typo does not discard the rest. */
function sanitize(v: NormlintConfig): NormlintConfig {
  const levels = new Set(["off", "info", "warning", "error"]);
  const cleanRules = (t: unknown) =>
    t && typeof t === "object" ? Object.fromEntries(Object.entries(t as Record<string, unknown>).filter(([k, l]) => isValidSelector(k) && levels.has(String(l)))) as Record<string, Level> : undefined;
  return {
    root: v.root === true,
    rules: cleanRules(v.rules),
    overrides: Array.isArray(v.overrides)
      ? v.overrides.filter((o) => o && (typeof o.files === "string" || Array.isArray(o.files))).map((o) => ({ files: o.files, rules: cleanRules(o.rules) ?? {} }))
      : undefined,
    ignore: Array.isArray(v.ignore) ? v.ignore.filter((e) => typeof e === "string" || (e && typeof e.path === "string")) : undefined,
    exclude: Array.isArray(v.exclude) ? v.exclude.filter((e) => typeof e === "string") : undefined,
    maxFileSize: typeof v.maxFileSize === "number" && v.maxFileSize > 0 ? v.maxFileSize : undefined,
  };
}
