// Fixture tests: every file under test/fixtures/<rule-name>/ is linted and its inline markers must
// equal the findings (nothing missing, nothing extra); safe fixes applied and linted again leave
// nothing fixable; every rule has a flagged and a clean case.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { stripComments } from "jsonc-parser";
import { describe, expect, it } from "vitest";
import { defaultSettings, fixConfigText, lintConfig, loadConfig, RULES } from "../src/engine/index";
import { LineIndex } from "../src/engine/util/text";
import { parseMarkers } from "./harness/markers";

const root = join(__dirname, "fixtures");
const folders = readdirSync(root).sort();

function lintFixture(file: string, text: string) {
  const { expected, options } = parseMarkers(text);
  const stripped = stripComments(text, " ");
  const idx = new LineIndex(stripped);
  let findings;
  if (file.endsWith(".normlint.jsonc")) {
    findings = loadConfig(stripped, file, "").findings;
  } else {
    const settings = defaultSettings();
    if (options.maxFileSize) settings.maxFileSize = Number(options.maxFileSize);
    findings = lintConfig({ path: file, text: stripped }, settings).findings;
  }
  const actual = findings.map((f) => `${f.severity}:${f.rule}@${idx.position(f.start).line}`).sort();
  const wanted = expected.map((e) => `${e.severity}:${e.rule}@${e.line}`).sort();
  return { actual, wanted, stripped, findings, options };
}

describe("fixtures", () => {
  for (const folder of folders) {
    describe(folder, () => {
      for (const file of readdirSync(join(root, folder)).sort()) {
        it(file, () => {
          const text = readFileSync(join(root, folder, file), "utf8");
          const { actual, wanted, stripped, options } = lintFixture(file, text);
          expect(actual).toEqual(wanted);
          if (!file.endsWith(".normlint.jsonc")) {
            const settings = defaultSettings();
            if (options.maxFileSize) settings.maxFileSize = Number(options.maxFileSize);
            const fixed = fixConfigText({ path: file, text: stripped }, settings);
            if (fixed !== undefined) {
              const again = lintConfig({ path: file, text: fixed }, settings);
              expect(again.findings.filter((f) => f.fixes.some((x) => x.safe))).toEqual([]);
              expect(fixConfigText({ path: file, text: fixed }, settings)).toBeUndefined();
            }
          }
        });
      }
    });
  }

  it("has a folder with a flagged and a clean case for every rule", () => {
    for (const rule of RULES) {
      expect(folders, `fixture folder for ${rule.name}`).toContain(rule.name);
      const files = readdirSync(join(root, rule.name)).map((f) => parseMarkers(readFileSync(join(root, rule.name, f), "utf8")).expected);
      expect(files.some((e) => e.some((m) => m.rule === rule.name)), `${rule.name}: a flagged case`).toBe(true);
      expect(files.some((e) => e.every((m) => m.rule !== rule.name)), `${rule.name}: a clean case`).toBe(true);
    }
  });
});
