// Folder fixtures (see test/harness/folder-fixture.ts): the markers in a case's files must equal
// the folder rules' findings.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPythonWasm } from "../src/node/wasm";
import { lintFolder } from "../src/engine/folder";
import { defaultSettings } from "../src/engine/index";
import { createPythonParser, type PythonParser } from "../src/engine/python";
import { LineIndex } from "../src/engine/util/text";
import { loadFolderFixture } from "./harness/folder-fixture";
import { commentStyle, parseMarkers } from "./harness/markers";

const root = join(__dirname, "fixtures");

export function folderCases(): Array<{ rule: string; dir: string }> {
  const out: Array<{ rule: string; dir: string }> = [];
  for (const rule of readdirSync(root).sort()) {
    for (const c of readdirSync(join(root, rule)).sort()) {
      const dir = join(root, rule, c);
      if (statSync(dir).isDirectory()) out.push({ rule, dir });
    }
  }
  return out;
}

let parser: PythonParser;
beforeAll(async () => {
  parser = await createPythonParser(loadPythonWasm([join(__dirname, "..")]));
});

describe("folder fixtures", () => {
  for (const { rule, dir } of folderCases()) {
    it(`${rule}/${dir.split("/").pop()}`, async () => {
      const fx = loadFolderFixture(dir, parser);
      const wanted: string[] = [];
      for (const [file, text] of fx.raw) for (const m of parseMarkers(text, commentStyle(file)).expected) wanted.push(`${m.severity}:${m.rule}@${file}:${m.line}`);
      const { findings } = await lintFolder(fx.input, () => defaultSettings());
      const actual = [...findings, ...fx.codeFindings].map((f) => {
        const spec = fx.specFor.get(f.file) ?? f.file;
        const text = fx.texts.get(spec) ?? "";
        return `${f.severity}:${f.rule}@${spec}:${new LineIndex(text).position(f.start).line}`;
      });
      expect(actual.sort()).toEqual(wanted.sort());
    });
  }
});
