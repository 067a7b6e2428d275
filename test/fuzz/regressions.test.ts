// The fuzz suite's counterexamples, shrunk, kept as plain tests so each bug stays fixed whatever
// seed the fuzzer runs with.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPythonWasm } from "../../src/node/wasm";
import { defaultSettings, fixConfigText, lintConfig } from "../../src/engine/index";
import { parseJson } from "../../src/engine/parsers/json";
import { createPythonParser, lintNotebook, type PythonParser } from "../../src/engine/python";

const settings = defaultSettings();
const ids = (r: { findings: Array<{ rule: string; messageId: string }> }) => r.findings.map((f) => `${f.rule}/${f.messageId}`);

describe("config.json", () => {
  it("an unterminated block comment is reported inside the file (jsonc-parser counts one past the end)", () => {
    const text = "/*";
    const r = lintConfig({ path: "config.json", text }, settings);
    expect(ids(r)).toEqual(["invalid-json/comment", "invalid-json/syntax"]);
    for (const f of r.findings) {
      expect(f.end).toBeLessThanOrEqual(text.length);
      for (const x of f.fixes) for (const e of x.edits) expect(e.end).toBeLessThanOrEqual(text.length);
    }
    const trailing = '{"a": 1} /* never closed';
    expect(parseJson(trailing).problems.map((p) => [p.kind, p.end])).toEqual([
      ["comment", trailing.length],
      ["syntax", trailing.length],
    ]);
  });

  it("a bare `valueOf` or `constructor` is a syntax error, not a crash (they are not NaN/Infinity)", () => {
    for (const word of ["valueOf", "constructor", "toString", "__proto__"]) {
      const text = `{"model_type": "llama", "x": ${word}}`;
      const r = lintConfig({ path: "config.json", text }, settings);
      expect(ids(r)).toContain("invalid-json/syntax");
      expect(fixConfigText({ path: "config.json", text }, settings)).toBeUndefined();
    }
    // Python's own literals still read as numbers.
    expect(parseJson('{"a": NaN, "b": -Infinity}').problems).toEqual([]);
  });
});

describe("notebooks", () => {
  let parser: PythonParser;
  beforeAll(async () => {
    parser = await createPythonParser(loadPythonWasm([join(__dirname, "..", "..")]));
  });

  it("a kernel language that is not a string is no language: the cells are linted as Python", () => {
    for (const name of [3, null, true, ["python"], { x: 1 }]) {
      const nb = { cells: [{ cell_type: "code", source: "x = 1\n" }], metadata: { language_info: { name }, kernelspec: { language: name } } };
      const r = lintNotebook({ path: "n.ipynb", text: JSON.stringify(nb) }, settings, parser);
      expect(r.status).toBe("notebook");
      expect(r.findings).toEqual([]);
    }
  });
});
