// The one rule runner: levels, internal errors and suppression, the same for every input kind.
import { describe, expect, it } from "vitest";
import type { Suppression } from "../src/engine/analysis/types";
import { lintFolder } from "../src/engine/folder";
import { defaultSettings } from "../src/engine/index";
import { parseJson } from "../src/engine/parsers/json";
import { defineRule, type RuleContextBase } from "../src/engine/rule";
import { type AnyRule, type FileSuppressions, runRules, type RunnerReport } from "../src/engine/runner";
import type { FileSettings } from "../src/engine/settings";
import { folderInput } from "./harness/model-folder";

interface TestContext extends RuleContextBase<"hit"> {
  emit(r: RunnerReport): void;
}

/** A rule that reports at each given offset of the file (or of `file` when set). */
const reporting = (code: string, at: Array<{ start: number; file?: string }>, extra: Partial<AnyRule> = {}): AnyRule =>
  defineRule<"hit", TestContext>({
    name: `test-${code}`, code, severity: "warning", input: "python", tags: [], fix: "none", summary: "", messages: { hit: "hit" },
    check(ctx) {
      for (const a of at) ctx.emit({ messageId: "hit", at: { start: a.start, end: a.start + 1 }, file: a.file });
    },
    ...extra,
  });

const TEXT = "a = 1\nb = 2  # normlint: ignore[NL991]\nc = 3\n";

function comment(kind: Suppression["kind"], selectors: string[], line: number): Suppression {
  const r = { start: 0, end: 0 };
  return { kind, selectors, selectorRanges: selectors.map(() => r), comment: r, directive: r, line, standalone: false };
}

function run(rules: AnyRule[], opts: { suppressions?: Record<string, FileSuppressions>; settings?: (file: string) => FileSettings; files?: string[] } = {}) {
  return runRules<TestContext>({
    rules,
    file: "m.py",
    files: opts.files,
    settingsFor: opts.settings ?? (() => defaultSettings()),
    suppressionsOf: (file) => opts.suppressions?.[file],
    context: (_rule, report) => ({ file: "m.py", text: TEXT, report: () => {}, emit: report }),
  });
}

describe("runRules", () => {
  it("applies the configured level; a rule that is off does not run", () => {
    const settings = defaultSettings();
    settings.levels.set("test-NL991", "error");
    settings.levels.set("test-NL992", "off");
    let ran = false;
    const findings = run([reporting("NL991", [{ start: 0 }]), reporting("NL992", [{ start: 0 }], { check: () => void (ran = true) })], { settings: () => settings });
    expect(findings.map((f) => `${f.code}/${f.severity}`)).toEqual(["NL991/error"]);
    expect(ran).toBe(false);
  });

  it("turns a throwing rule into one internal error at the file start and keeps the others' findings", () => {
    const boom = reporting("NL993", [], { check: () => { throw new Error("boom"); } });
    const findings = run([boom, reporting("NL991", [{ start: 2 }])]);
    expect(findings.map((f) => `${f.code}/${f.messageId}/${f.start}`)).toEqual(["NL993/internal/0", "NL991/hit/2"]);
    expect(findings[0].message).toContain("boom");
  });

  it("silences a finding on an `ignore` line and everywhere for `file-ignore`, and records the use", () => {
    const ignore = comment("ignore", ["NL991"], 2);
    const fileIgnore = comment("file-ignore", ["NL992"], 1);
    const suppressions = { "m.py": { kind: "comments", text: TEXT, suppressions: [ignore, fileIgnore] } as const };
    let seen: boolean[][] = [];
    const meta = reporting("NL999", [], { tags: ["meta"] });
    const rules = [reporting("NL991", [{ start: 0 }, { start: 8 }]), reporting("NL992", [{ start: 0 }, { start: 20 }]), meta];
    const findings = runRules<TestContext & { uses?: unknown }>({
      rules,
      file: "m.py",
      settingsFor: () => defaultSettings(),
      suppressionsOf: (file) => suppressions[file as "m.py"],
      context: (rule, report, uses) => {
        if (rule === meta) seen = (uses ?? []).map((u) => u.used);
        return { file: "m.py", text: TEXT, report: () => {}, emit: report };
      },
    });
    // Line 1 keeps NL991 (the ignore covers line 2); the file-ignore silences NL992 on every line.
    expect(findings.map((f) => `${f.code}@${f.start}`)).toEqual(["NL991@0"]);
    expect(seen).toEqual([[true], [true]]);
  });

  it("gives a report naming another file that file's level and suppressions", () => {
    const other = defaultSettings();
    other.levels.set("test-NL991", "off");
    const config = '{"model_type": "llama"}';
    const settings = (file: string) => {
      if (file === "o.py") return other;
      const s = defaultSettings();
      if (file === "config.json") s.ignores.push({ pointer: "/model_type", rules: [] });
      return s;
    };
    const suppressions: Record<string, FileSuppressions> = {
      "config.json": { kind: "pointers", root: parseJson(config).root },
      "c.py": { kind: "comments", text: TEXT, suppressions: [comment("ignore", ["NL991"], 2)] },
    };
    const rule = reporting("NL991", [
      { start: 16, file: "config.json" }, // inside `"model_type": "llama"`: ignored by pointer
      { start: 0, file: "config.json" }, // the opening brace, outside it: kept
      { start: 8, file: "c.py" }, // on the ignored line: silenced
      { start: 0, file: "c.py" }, // kept
      { start: 0, file: "o.py" }, // off in o.py
    ]);
    const findings = run([rule], { settings, suppressions, files: ["config.json", "c.py", "o.py"] });
    expect(findings.map((f) => `${f.file}@${f.start}`)).toEqual(["config.json@0", "c.py@0"]);
  });
});

describe("lintFolder through the runner", () => {
  it("honours config.json's `ignore` pointers for folder findings anchored there", async () => {
    const input = folderInput({ modelType: "gemma2", fill: "llama-like" });
    const plain = (await lintFolder(input, () => defaultSettings())).findings;
    expect(plain.map((f) => `${f.file}/${f.code}`)).toEqual(["m/config.json/NL303"]);
    const ignoring = () => ({ ...defaultSettings(), ignores: [{ pointer: "/model_type", rules: ["NL303"] }] });
    expect((await lintFolder(input, ignoring)).findings).toEqual([]);
  });
});
