// The one rule runner for every input kind (config files, Python sources, model folders). The
// entry points (lintConfig, lintPython, lintFolder) read their input and build contexts; how a rule
// runs, at which level, what happens when it throws, and what silences its findings is decided
// here, the same way for all of them.
import type { Node } from "jsonc-parser";
import type { Suppression } from "./analysis/types";
import { nodeAtPointer } from "./parsers/json";
import { findingOf, internalError, rangeOf, type Report, type ReportRange, type Rule, type SuppressionUse } from "./rule";
import { type FileSettings, isValidSelector, selectorMatches } from "./settings";
import type { Finding, RuleMeta } from "./types";
import { LineIndex } from "./util/text";

// Rules of one input kind, each called with the context its kind defines.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRule = Rule<string, any>;

/** A report as the runner takes it: a folder rule names its file and related places; others do not. */
export interface RunnerReport extends Report<string> {
  file?: string;
  related?: Array<{ file: string; message: string; at?: ReportRange }>;
}

/**
 * What can silence findings in one file:
 * - `pointers`: a JSON file (config.json cannot hold comments): the `ignore` entries of the file's
 *   settings, JSON pointers whose property span must contain the finding ("" or "/": the whole file).
 * - `comments`: a Python file: `# normlint: ignore[...]` silences matching findings on the line it
 *   covers, `# normlint: file-ignore[...]` everywhere in the file.
 */
export type FileSuppressions =
  | { kind: "pointers"; root: Node | undefined }
  | { kind: "comments"; text: string; suppressions: readonly Suppression[] };

export interface RunInput<C> {
  /** Rules of one input kind. Those tagged "meta" run after the others and see how suppressions were used. */
  rules: readonly AnyRule[];
  /** The file the contexts describe: reports that name no file, and internal errors, go there. */
  file: string;
  /** Every file a report can name (default: `file` alone). A rule that is off in all of them does not run. */
  files?: readonly string[];
  settingsFor(file: string): FileSettings;
  /** What silences findings in a file; undefined when nothing can (a checkpoint). */
  suppressionsOf(file: string): FileSuppressions | undefined;
  /**
   * The context a rule runs with, around `report`. `uses` (how each suppression comment of `file`
   * was used) is passed to meta rules only.
   */
  context(rule: AnyRule, report: (r: RunnerReport) => void, uses?: SuppressionUse[]): C;
}

/**
 * Runs the rules and returns their findings in rule order (meta rules last), unsorted.
 *
 * - Level: the file's configured level for the rule (`settings.levels`), else the rule's default;
 *   "off" drops the report (see findingOf for how a report's own milder severity combines).
 * - A rule that throws becomes one internal-error finding at the start of `file`; the other
 *   rules' findings stand.
 * - Suppression applies to every finding, internal errors included, wherever the finding lands:
 *   a folder rule's finding on a code line honours that file's comments exactly as a Python rule's
 *   does, and one on config.json honours the JSON-pointer ignores as a config rule's does.
 *   Findings of meta rules can be silenced but do not count as uses of a suppression.
 */
export function runRules<C>(input: RunInput<C>): Finding[] {
  // A file's settings do not change during a run; the CLI resolves them from globs on each call.
  const settings = new Map<string, FileSettings>();
  const settingsOf = (file: string) => settings.get(file) ?? settings.set(file, input.settingsFor(file)).get(file)!;
  const levelOf = (rule: RuleMeta, file: string) => settingsOf(file).levels.get(rule.name) ?? rule.severity;
  const files = input.files ?? [input.file];
  const enabled = input.rules.filter((r) => files.some((f) => levelOf(r, f) !== "off"));
  const regular = enabled.filter((r) => !r.tags.includes("meta"));
  const meta = enabled.filter((r) => r.tags.includes("meta"));

  // A selector in a file's suppression comment is live when it names a rule that can report there.
  const live = (file: string) => (sel: string) => regular.some((r) => selectorMatches(sel, r) > 0 && levelOf(r, file) !== "off");
  const matchers = new Map<string, Matcher | undefined>();
  const matcherOf = (file: string): Matcher | undefined => {
    if (!matchers.has(file)) matchers.set(file, makeMatcher(input.suppressionsOf(file), settingsOf(file), live(file)));
    return matchers.get(file);
  };
  const silenced = (rule: RuleMeta, f: Finding, mark: boolean) => matcherOf(f.file)?.silences(rule, f, mark) ?? false;

  const run = (rules: readonly AnyRule[], uses: SuppressionUse[] | undefined, mark: boolean): Finding[] => {
    const out: Finding[] = [];
    for (const rule of rules) {
      const report = (r: RunnerReport) => {
        const file = r.file ?? input.file;
        const level = levelOf(rule, file);
        if (level === "off") return;
        const f = findingOf(rule, file, level, r);
        if (r.related) f.related = r.related.map((x) => ({ file: x.file, start: x.at?.start ?? 0, end: x.at?.end ?? 0, message: x.message }));
        if (!silenced(rule, f, mark)) out.push(f);
      };
      try {
        rule.check(input.context(rule, report, uses));
      } catch (err) {
        const f = internalError(rule, input.file, err);
        if (!silenced(rule, f, mark)) out.push(f);
      }
    }
    return out;
  };

  const findings = run(regular, undefined, true);
  if (meta.length) findings.push(...run(meta, matcherOf(input.file)?.uses ?? [], false));
  return findings;
}

interface Matcher {
  silences(rule: RuleMeta, f: Finding, mark: boolean): boolean;
  uses?: SuppressionUse[];
}

function makeMatcher(s: FileSuppressions | undefined, settings: FileSettings, active: (selector: string) => boolean): Matcher | undefined {
  if (s?.kind === "pointers") {
    const root = s.root;
    if (!root || !settings.ignores.length) return undefined;
    return { silences: (rule, f) => settings.ignores.some((ig) => ignoredBy(ig, rule, f, root)) };
  }
  if (s?.kind === "comments") {
    const lines = new LineIndex(s.text);
    const uses: SuppressionUse[] = s.suppressions.map((sup) => ({
      suppression: sup,
      used: sup.selectors.map(() => false),
      unknown: sup.selectors.map((sel) => !isValidSelector(sel)),
      active: sup.selectors.map(active),
    }));
    return {
      uses,
      silences(rule, f, mark) {
        const line = lines.position(f.start).line;
        let hit = false;
        for (const u of uses) {
          // An `ignore` covers one line; a `file-ignore` covers every line of its file.
          if (u.suppression.kind === "ignore" && u.suppression.line !== line) continue;
          u.suppression.selectors.forEach((sel, i) => {
            if (selectorMatches(sel, rule) > 0) {
              hit = true;
              if (mark) u.used[i] = true;
            }
          });
        }
        return hit;
      },
    };
  }
  return undefined;
}

function ignoredBy(ig: FileSettings["ignores"][number], rule: RuleMeta, f: Finding, root: Node): boolean {
  if (ig.rules.length && !ig.rules.some((sel) => selectorMatches(sel, rule) > 0)) return false;
  if (ig.pointer === "" || ig.pointer === "/") return true;
  const node = nodeAtPointer(root, ig.pointer);
  if (!node) return false;
  // The property node spans `"key": value`, so a finding on the key is covered too.
  const span = node.parent?.type === "property" ? node.parent : node;
  const { start, end } = rangeOf(span);
  return f.start >= start && f.end <= end;
}
