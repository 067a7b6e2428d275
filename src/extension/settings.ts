// The `normlint.*` settings: typed, validated, and turned into the engine's FileSettings. Rule
// customizations follow ESLint's `eslint.rules.customizations`: `rule` is a glob over rule names and
// codes (`*` any run of characters, `?` one), a leading `!` selects the rules that do not match, and
// the last matching entry wins. They change how findings show in the editor, never the project's
// `.normlint.json`; a rule the project turned off stays off.
import type { FileSettings } from "../engine/settings";
import type { Level, Severity } from "../engine/types";

export const RUN_MODES = ["onType", "onSave"] as const;
export type RunMode = (typeof RUN_MODES)[number];

export const CUSTOM_SEVERITIES = ["off", "info", "warning", "error", "default", "downgrade", "upgrade"] as const;
export type CustomSeverity = (typeof CUSTOM_SEVERITIES)[number];

export const SAMPLING = ["on", "off"] as const;
export type Sampling = (typeof SAMPLING)[number];

export interface Customization {
  rule: string;
  severity: CustomSeverity;
}

export interface ExtensionSettings {
  enable: boolean;
  run: RunMode;
  customizations: Customization[];
  weights: { sampling: Sampling; maxBytes: number };
  maxFileSize: number;
}

/** Defaults; the manifest's settings block is generated from these (src/generate/settings.ts). */
export const DEFAULTS: ExtensionSettings = {
  enable: true,
  run: "onType",
  customizations: [],
  weights: { sampling: "on", maxBytes: 64 * 1024 * 1024 },
  maxFileSize: 8 * 1024 * 1024,
};

export interface ParsedSettings {
  settings: ExtensionSettings;
  /** Values that were ignored, for the log (a typo must not pass silently). */
  problems: string[];
}

const isIn = <T extends string>(list: readonly T[], v: unknown): v is T => typeof v === "string" && (list as readonly string[]).includes(v);

/** Reads and validates the settings; a bad value falls back to its default and is reported. */
export function parseSettings(get: (key: string) => unknown): ParsedSettings {
  const problems: string[] = [];
  const pick = <T>(key: string, ok: (v: unknown) => v is T, fallback: T): T => {
    const v = get(key);
    if (v === undefined || v === null) return fallback;
    if (ok(v)) return v;
    problems.push(`normlint.${key}: ignored invalid value ${JSON.stringify(v)}`);
    return fallback;
  };
  const bool = (v: unknown): v is boolean => typeof v === "boolean";
  const size = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;
  const customizations: Customization[] = [];
  const raw = get("rules.customizations");
  if (Array.isArray(raw)) {
    raw.forEach((c: unknown, i) => {
      const e = c as Partial<Customization> | null;
      if (e && typeof e.rule === "string" && e.rule.length > 0 && isIn(CUSTOM_SEVERITIES, e.severity)) customizations.push({ rule: e.rule, severity: e.severity });
      else problems.push(`normlint.rules.customizations[${i}]: ignored ${JSON.stringify(c)} (needs "rule" and "severity": ${CUSTOM_SEVERITIES.join("|")})`);
    });
  } else if (raw !== undefined && raw !== null) problems.push("normlint.rules.customizations: ignored (not an array)");
  return {
    settings: {
      enable: pick("enable", bool, DEFAULTS.enable),
      run: pick("run", (v): v is RunMode => isIn(RUN_MODES, v), DEFAULTS.run),
      customizations,
      weights: {
        sampling: pick("weights.sampling", (v): v is Sampling => isIn(SAMPLING, v), DEFAULTS.weights.sampling),
        maxBytes: pick("weights.maxBytes", size, DEFAULTS.weights.maxBytes),
      },
      maxFileSize: pick("maxFileSize", size, DEFAULTS.maxFileSize),
    },
    problems,
  };
}

const globCache = new Map<string, RegExp>();

function globRegex(glob: string): RegExp {
  let re = globCache.get(glob);
  if (!re) {
    const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    re = new RegExp(`^${body}$`, "i");
    globCache.set(glob, re);
  }
  return re;
}

/** Does a customization's `rule` select this rule? (`!` negates; names and codes both count.) */
export function customizationMatches(pattern: string, rule: { name: string; code: string }): boolean {
  const negated = pattern.startsWith("!");
  const re = globRegex(negated ? pattern.slice(1) : pattern);
  const hit = re.test(rule.name) || re.test(rule.code);
  return negated ? !hit : hit;
}

const ORDER: Severity[] = ["info", "warning", "error"];

/** The level a rule shows at, given the project's level and the customizations (last match wins). */
export function customizedLevel(rule: { name: string; code: string }, projectLevel: Level, list: readonly Customization[]): Level {
  if (projectLevel === "off") return "off";
  let level: Level = projectLevel;
  for (const c of list) {
    if (!customizationMatches(c.rule, rule)) continue;
    switch (c.severity) {
      case "default":
        level = projectLevel;
        break;
      case "downgrade":
        level = ORDER[Math.max(0, ORDER.indexOf(projectLevel) - 1)];
        break;
      case "upgrade":
        level = ORDER[Math.min(ORDER.length - 1, ORDER.indexOf(projectLevel) + 1)];
        break;
      default:
        level = c.severity;
    }
  }
  return level;
}

/**
 * Engine settings for one file: the project's (resolved from its nearest .normlint.json) with the
 * editor's customizations applied. The size cap is the smaller of the project's `maxFileSize` (when
 * it sets one) and `normlint.maxFileSize`: the editor never reads more than its own cap.
 */
export function toFileSettings(
  project: FileSettings,
  projectMaxFileSize: number | undefined,
  ext: ExtensionSettings,
  rules: ReadonlyArray<{ name: string; code: string }>,
): FileSettings {
  const levels = new Map(project.levels);
  if (ext.customizations.length) {
    for (const r of rules) {
      const level = project.levels.get(r.name);
      if (level !== undefined) levels.set(r.name, customizedLevel(r, level, ext.customizations));
    }
  }
  return { ...project, levels, maxFileSize: Math.min(projectMaxFileSize ?? Infinity, ext.maxFileSize) };
}
