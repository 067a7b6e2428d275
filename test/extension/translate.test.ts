// Findings to editor terms: positions, diagnostics, edits, fix-all edit sets.
import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/engine/types";
import { fixToEdits, minimalEdit, Positions, rangesTouch, safeEdits, toDiag } from "../../src/extension/translate";

const finding = (over: Partial<Finding>): Finding => ({
  file: "m/config.json", rule: "eps-key-unused", code: "NL101", severity: "warning", messageId: "unused", message: "msg", start: 0, end: 0, fixes: [], ...over,
});
const docsUrl = (rule: string) => `https://docs/${rule}`;

describe("Positions", () => {
  it("turns a finding on line 3 into a range on line 2, zero-based", () => {
    const text = '{\n  "a": 1,\n  "layer_norm_eps": 1e-5\n}\n';
    const start = text.indexOf('"layer_norm_eps"');
    const d = toDiag(finding({ start, end: start + 16 }), new Positions(text), { uri: "file:///m/config.json", docsUrl });
    expect(d.range).toEqual({ start: { line: 2, character: 2 }, end: { line: 2, character: 18 } });
  });

  it("counts UTF-16 units, keeps \\r on its line, and clamps past the end", () => {
    const p = new Positions('{"é😀": 1,\r\n "x": 2}');
    expect(p.position(4)).toEqual({ line: 0, character: 4 }); // after é and the surrogate pair
    expect(p.position(11)).toEqual({ line: 0, character: 11 }); // the \r
    expect(p.position(12)).toEqual({ line: 1, character: 0 });
    expect(p.position(999)).toEqual({ line: 1, character: 8 });
    expect(p.offset({ line: 1, character: 2 })).toBe(14);
    expect(p.offset({ line: 0, character: 99 })).toBe(11); // clamped to the line's end
  });
});

describe("toDiag", () => {
  it("sets source, code with its docs link, severity, related locations and the unnecessary tag", () => {
    const pos = new Positions("x = 1  # normlint: ignore[eps]\n");
    const related = [{ file: "m/model.safetensors", start: 0, end: 0, message: "norm weights read here" }];
    const d = toDiag(finding({ rule: "unused-suppression", code: "NL900", severity: "info", start: 7, end: 30, related }), pos, {
      uri: "file:///m/x.py",
      docsUrl,
      uriOf: (f) => (f === "m/model.safetensors" ? "file:///m/model.safetensors" : undefined),
    });
    expect(d).toMatchObject({ source: "normlint", severity: "info", code: { value: "NL900", target: "https://docs/unused-suppression" }, tags: ["unnecessary"] });
    expect(d.related).toEqual([{ uri: "file:///m/model.safetensors", range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, message: "norm weights read here" }]);
  });

  it("drops related locations whose file it cannot place", () => {
    const d = toDiag(finding({ related: [{ file: "elsewhere", start: 0, end: 0, message: "m" }] }), new Positions(""), { uri: "u", docsUrl });
    expect(d.related).toEqual([]);
  });
});

describe("fixes", () => {
  it("a fix becomes the right text edits", () => {
    const text = '{"model_type": "llama",\n "layer_norm_eps": 1e-5}';
    const s = text.indexOf('"layer_norm_eps"');
    const edits = fixToEdits({ title: "Rename", safe: false, edits: [{ start: s, end: s + 16, text: '"rms_norm_eps"' }] }, new Positions(text), "file:///c.json");
    expect(edits).toEqual([{ uri: "file:///c.json", range: { start: { line: 1, character: 1 }, end: { line: 1, character: 17 } }, newText: '"rms_norm_eps"' }]);
  });

  it("fix-all keeps safe fixes only and never two that overlap", () => {
    const safe = (start: number, end: number, text = "") => ({ title: "s", safe: true, edits: [{ start, end, text }] });
    const fs = [
      finding({ fixes: [safe(0, 1)] }),
      finding({ fixes: [{ title: "u", safe: false, edits: [{ start: 5, end: 6, text: "x" }] }] }),
      finding({ fixes: [safe(10, 14, "a")] }),
      finding({ fixes: [safe(12, 13, "b")] }), // overlaps the one before
      finding({ fixes: [safe(20, 20, "c")] }),
      finding({ fixes: [safe(20, 20, "c")] }), // the same insertion twice
    ];
    expect(safeEdits(fs)).toEqual([
      { start: 0, end: 1, text: "" },
      { start: 10, end: 14, text: "a" },
      { start: 20, end: 20, text: "c" },
    ]);
  });

  it("minimalEdit keeps the common prefix and suffix", () => {
    expect(minimalEdit('{"a": 1,}', '{"a": 1}')).toEqual({ start: 7, end: 8, text: "" });
    expect(minimalEdit("\uFEFF{}", "{}")).toEqual({ start: 0, end: 1, text: "" });
    expect(minimalEdit("same", "same")).toBeUndefined();
  });

  it("a cursor touching a diagnostic's edge counts for code actions", () => {
    const r = { start: { line: 2, character: 2 }, end: { line: 2, character: 18 } };
    expect(rangesTouch(r, { start: { line: 2, character: 18 }, end: { line: 2, character: 18 } })).toBe(true);
    expect(rangesTouch(r, { start: { line: 2, character: 19 }, end: { line: 2, character: 19 } })).toBe(false);
    expect(rangesTouch(r, { start: { line: 1, character: 0 }, end: { line: 3, character: 0 } })).toBe(true);
  });
});
