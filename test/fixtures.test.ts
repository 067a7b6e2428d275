// Fixture tests: every file under test/fixtures/<rule-name>/ is linted and its inline markers must
// equal the findings (nothing missing, nothing extra); safe fixes applied and linted again leave
// nothing fixable; every rule has a flagged and a clean case (a file, or a cross-file case folder).
// `.py` files go through lintPython and `.ipynb` files through lintNotebook (their findings are
// mapped back to the notebook's JSON lines).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { findNodeAtLocation, parseTree } from "jsonc-parser";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPythonWasm } from "../src/node/wasm";
import { defaultSettings, type Finding, fixConfigText, lintConfig, loadConfig, RULES } from "../src/engine/index";
import { createPythonParser, fixPythonText, lintNotebook, lintPython, type PythonParser } from "../src/engine/python";
import { LineIndex } from "../src/engine/util/text";
import { blankComments, commentStyle, type Expected, parseMarkers } from "./harness/markers";

const root = join(__dirname, "fixtures");
const folders = readdirSync(root).sort();
let parser: PythonParser;

beforeAll(async () => {
  parser = await createPythonParser(loadPythonWasm([join(__dirname, "..")]));
});

/** 1-based line in the notebook JSON of a finding inside a cell (each source line is one JSON string). */
function notebookLine(text: string, f: Finding): number {
  const idx = new LineIndex(text);
  const cell = f.data?.cell as number | undefined;
  if (cell === undefined) return idx.position(f.start).line;
  const tree = parseTree(text)!;
  const source = findNodeAtLocation(tree, ["cells", cell, "source"]);
  if (!source) return 0;
  if (source.type === "string") return idx.position(source.offset).line;
  const items = source.children ?? [];
  const value = items.map((n) => String(n.value)).join("");
  const lineInCell = value.slice(0, f.start).split("\n").length - 1;
  let seen = 0;
  for (const item of items) {
    const lines = String(item.value).split("\n").length - (String(item.value).endsWith("\n") ? 1 : 0);
    if (lineInCell < seen + Math.max(lines, 1)) return idx.position(item.offset).line;
    seen += lines;
  }
  return 0;
}

function lintFixture(file: string, text: string) {
  const { expected, options } = parseMarkers(text, commentStyle(file));
  const settings = defaultSettings();
  if (options.maxFileSize) settings.maxFileSize = Number(options.maxFileSize);
  const stripped = commentStyle(file) === "hash" ? text : blankComments(text);
  const idx = new LineIndex(stripped);
  let findings: Finding[];
  let lineOf = (f: Finding) => idx.position(f.start).line;
  if (file.endsWith(".normlint.jsonc")) {
    findings = loadConfig(stripped, file, "").findings;
  } else if (file.endsWith(".py")) {
    findings = lintPython({ path: file, text }, settings, parser).findings;
  } else if (file.endsWith(".ipynb")) {
    findings = lintNotebook({ path: file, text }, settings, parser).findings;
    lineOf = (f) => notebookLine(text, f);
  } else {
    findings = lintConfig({ path: file, text: stripped }, settings).findings;
  }
  const actual = findings.map((f) => `${f.severity}:${f.rule}@${lineOf(f)}`).sort();
  const wanted = expected.map((e) => `${e.severity}:${e.rule}@${e.line}`).sort();
  return { actual, wanted, stripped, findings, settings };
}

describe("fixtures", () => {
  for (const folder of folders) {
    // Sub-folders are cross-file cases, run by folder-fixtures.test.ts.
    const single = readdirSync(join(root, folder)).sort().filter((f) => !statSync(join(root, folder, f)).isDirectory());
    if (!single.length) continue;
    describe(folder, () => {
      for (const file of single) {
        it(file, () => {
          const text = readFileSync(join(root, folder, file), "utf8");
          const { actual, wanted, stripped, settings } = lintFixture(file, text);
          expect(actual).toEqual(wanted);
          if (file.endsWith(".py")) {
            const fixed = fixPythonText({ path: file, text }, settings, parser);
            if (fixed !== undefined) {
              const again = lintPython({ path: file, text: fixed }, settings, parser);
              expect(again.findings.filter((f) => f.fixes.some((x) => x.safe))).toEqual([]);
              expect(fixPythonText({ path: file, text: fixed }, settings, parser)).toBeUndefined();
            }
          } else if (!file.endsWith(".normlint.jsonc") && !file.endsWith(".ipynb")) {
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
      const markersOf = (path: string, name: string): Expected[] =>
        statSync(path).isDirectory()
          ? readdirSync(path).flatMap((f) => markersOf(join(path, f), f))
          : parseMarkers(readFileSync(path, "utf8"), commentStyle(name)).expected;
      const files = readdirSync(join(root, rule.name)).map((f) => markersOf(join(root, rule.name, f), f));
      expect(files.some((e) => e.some((m) => m.rule === rule.name)), `${rule.name}: a flagged case`).toBe(true);
      expect(files.some((e) => e.every((m) => m.rule !== rule.name)), `${rule.name}: a clean case`).toBe(true);
    }
  });
});
