// The Python entry points beyond the fixtures: incremental reparsing, unreadable input, notebooks
// (cell mapping, magics, broken JSON), the suppression quick fix, deep input, and what the analysis
// records for later cross-file rules (patches, weight loading).
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPythonWasm } from "../src/node/wasm";
import { applyEdits, defaultSettings } from "../src/engine/index";
import { createPythonParser, lintNotebook, lintPython, type PythonParser } from "../src/engine/python";

let parser: PythonParser;
const settings = defaultSettings();
const enc = new TextEncoder();
const ids = (r: { findings: Array<{ rule: string; messageId: string }> }) => r.findings.map((f) => `${f.rule}/${f.messageId}`);

const GEMMA = `# normlint: model_type=gemma
import torch
from torch import nn


class GemmaRMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        y = x.float()
        y = y * torch.rsqrt(y.pow(2).mean(-1, keepdim=True) + self.eps)
        return (y * (1.0 + self.weight.float())).type_as(x)
`;

beforeAll(async () => {
  parser = await createPythonParser(loadPythonWasm([join(__dirname, "..")]));
});

describe("parser", () => {
  it("reparses incrementally after edits and agrees with a fresh parse", () => {
    const tree = parser.parse(GEMMA);
    let text = GEMMA;
    const at = text.indexOf("(1.0 + self.weight.float())");
    text = parser.edit(tree, { start: at, end: at + "(1.0 + self.weight.float())".length, text: "self.weight.float()" });
    const again = parser.parse(text, tree);
    const fresh = parser.parse(text);
    const shape = (n: { type: string; start: number; end: number; children: unknown[] }): string =>
      `${n.type}[${n.start},${n.end}](${(n.children as Array<typeof n>).map(shape).join(" ")})`;
    expect(shape(again.root)).toBe(shape(fresh.root));
    const r = lintPython({ path: "m.py", text }, settings, parser, { tree: again });
    expect(ids(r)).toContain("norm-missing-unit-offset/missing");
    for (const t of [tree, again, fresh]) t.delete();
  });

  it("keeps going past syntax errors and reports them as information", () => {
    const broken = GEMMA.replace("return (y * (1.0 + self.weight.float())).type_as(x)", "return (y * self.weight.float()).type_as(x)") + "\ndef oops(:\n    pass\n";
    const r = lintPython({ path: "m.py", text: broken }, settings, parser);
    expect(ids(r)).toContain("norm-missing-unit-offset/missing");
    expect(r.findings.filter((f) => f.rule === "source-unreadable").every((f) => f.severity === "info")).toBe(true);
  });

  it("survives deeply nested expressions inside a norm's forward", () => {
    const deep = `class DeepNorm(nn.Module):\n    def forward(self, x):\n        return ${"(".repeat(5000)}x${")".repeat(5000)}\n`;
    const r = lintPython({ path: "deep.py", text: deep }, settings, parser);
    expect(r.findings.filter((f) => f.severity !== "info")).toEqual([]);
  });
});

describe("unreadable input", () => {
  it("reports binary, invalid UTF-8 and oversized files without crashing", () => {
    expect(ids(lintPython({ path: "a.py", bytes: new Uint8Array([0x69, 0x00, 0x6d]) }, settings, parser))).toEqual(["source-unreadable/undecodable"]);
    const bad = lintPython({ path: "b.py", bytes: new Uint8Array([...enc.encode("x = '"), 0xc3, 0x28, 0x27]) }, settings, parser);
    expect(ids(bad)).toEqual(["source-unreadable/undecodable"]);
    expect(bad.findings[0].message).toContain("byte 5");
    const big = lintPython({ path: "c.py", size: settings.maxFileSize + 1 }, settings, parser);
    expect(ids(big)).toEqual(["source-unreadable/tooLarge"]);
  });

  it("accepts a UTF-8 byte order mark as Python does", () => {
    const r = lintPython({ path: "bom.py", bytes: new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode(GEMMA)]) }, settings, parser);
    expect(r.findings).toEqual([]);
  });
});

describe("notebooks", () => {
  const nb = (cells: unknown[], extra: Record<string, unknown> = {}) => JSON.stringify({ cells, metadata: {}, nbformat: 4, nbformat_minor: 5, ...extra }, null, 1);
  const code = (source: string, id?: string) => ({ cell_type: "code", metadata: {}, outputs: [], execution_count: null, source: source.split(/(?<=\n)/), ...(id ? { id } : {}) });

  it("analyses code cells as one module and maps findings to cell and offset", () => {
    const [head, body] = GEMMA.split("\n\n\nclass");
    const cell2 = `%load_ext autoreload\nclass${body.replace("(1.0 + self.weight.float())", "self.weight.float()")}`;
    const text = nb([code(head), { cell_type: "markdown", metadata: {}, source: ["notes"] }, code(cell2, "abc")]);
    const r = lintNotebook({ path: "n.ipynb", text }, settings, parser);
    const f = r.findings.find((x) => x.rule === "norm-missing-unit-offset")!;
    expect(f.data).toMatchObject({ cell: 2, cellId: "abc" });
    expect(cell2.slice(f.start, f.end)).toBe("self.weight.float()");
    const fix = f.fixes.find((x) => !x.title.startsWith("Suppress"))!;
    expect(applyEdits(cell2, fix.edits)).toContain("(1.0 + self.weight.float())");
    expect(r.findings.some((x) => x.rule === "source-unreadable")).toBe(false);
  });

  it("reports broken notebook JSON, and skips notebooks of other languages", () => {
    const r = lintNotebook({ path: "b.ipynb", text: '{"cells": [' }, settings, parser);
    expect(ids(r)).toEqual(["source-unreadable/notebook"]);
    expect(ids(lintNotebook({ path: "c.ipynb", text: '{"nbformat": 4}' }, settings, parser))).toEqual(["source-unreadable/notebook"]);
    const julia = lintNotebook({ path: "j.ipynb", text: nb([code("x = 1")], { metadata: { kernelspec: { language: "julia" } } }) }, settings, parser);
    expect(julia.status).toBe("skipped");
  });
});

describe("suppressions", () => {
  it("offers a quick fix that inserts a suppression comment, which then silences the finding", () => {
    const text = GEMMA.replace("(1.0 + self.weight.float())", "self.weight.float()");
    const r = lintPython({ path: "m.py", text }, settings, parser);
    const f = r.findings.find((x) => x.rule === "norm-missing-unit-offset")!;
    const fix = f.fixes.find((x) => x.title.startsWith("Suppress"))!;
    expect(fix.safe).toBe(false);
    const fixed = applyEdits(text, fix.edits);
    expect(fixed).toContain("# normlint: ignore[norm-missing-unit-offset]");
    const again = lintPython({ path: "m.py", text: fixed }, settings, parser);
    expect(again.findings.filter((x) => x.rule === "norm-missing-unit-offset")).toEqual([]);
    expect(again.findings.filter((x) => x.rule === "unused-suppression")).toEqual([]);
  });

  it("does not report a suppression of a rule that is turned off", () => {
    const s = defaultSettings();
    s.levels.set("norm-eps-mismatch", "off");
    const r = lintPython({ path: "m.py", text: "x = 1  # normlint: ignore[norm-eps-mismatch]\n" }, s, parser);
    expect(r.findings).toEqual([]);
  });
});

describe("analysis records", () => {
  it("records patches through aliases, setattr and monkeypatch, and weight-loading code", () => {
    const text = `import importlib
import transformers.models.gemma.modeling_gemma as mg
from functools import partial
from liger_kernel.transformers.rms_norm import LigerRMSNorm

mg.GemmaRMSNorm = LigerRMSNorm
monkeypatch.setattr("transformers.models.gemma2.modeling_gemma2.Gemma2RMSNorm", partial(LigerRMSNorm, offset=1.0))
KEYS = {"transformer.h.0.ln_1.g": "trf_blocks.0.norm1.scale"}
key = key.replace("ln_1.weight", "norm1.scale")
model.load_state_dict(state, strict=False)
`;
    const r = lintPython({ path: "p.py", text }, settings, parser);
    const m = r.module!;
    expect(m.patches.map((p) => `${p.modelType}.${p.target}:${p.impl?.offset}`)).toEqual(["gemma.GemmaRMSNorm:false", "gemma2.Gemma2RMSNorm:true"]);
    expect(m.loading.map((l) => `${l.kind}:${l.from ?? ""}->${l.to ?? ""}`)).toEqual([
      "rename-map:transformer.h.0.ln_1.g->trf_blocks.0.norm1.scale",
      "rename-call:ln_1.weight->norm1.scale",
      "load_state_dict:->",
    ]);
    // The Gemma 2 binding has the right offset but Liger's default casting mode ("llama"), which
    // rounds before the weight multiply where Gemma 2 multiplies in fp32.
    expect(ids(r)).toEqual(["norm-missing-unit-offset/patch", "declared-casting-contradicts-family/patch"]);
  });
});

describe("analysis failures are contained", () => {
  it("an annotation without a value (`z: int`) no longer stops the file's analysis", () => {
    const text = [
      "# normlint: model_type=gemma",
      "import torch",
      "from torch import nn",
      "",
      "def g(a):",
      "    z: int",
      "    return a + z",
      "",
      "class GemmaRMSNorm(nn.Module):",
      "    def __init__(self, dim, eps=1e-6):",
      "        super().__init__()",
      "        self.eps = eps",
      "        self.weight = nn.Parameter(torch.zeros(dim))",
      "",
      "    def forward(self, x):",
      "        out = x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + self.eps)",
      "        return (out * self.weight.float()).type_as(x)",
      "",
    ].join("\n");
    const r = lintPython({ path: "m.py", text }, defaultSettings(), parser);
    expect(r.findings.filter((f) => f.code === "NL200")).toEqual([]);
    expect(r.findings.map((f) => f.code)).toContain("NL201");
    expect(r.module?.failures).toEqual([]);
  });
});

describe("norms built in place", () => {
  it("are torch norms or local norm classes, never a call that happens to name an Object method", () => {
    const text = "import torch\n\n\nclass SM3:\n    def step(self):\n        a = constructor(1)\n        b = self.x.constructor(2)\n        return torch.nn.LayerNorm(8, eps=1e-5), a, b\n";
    const uses = lintPython({ path: "opt.py", text }, settings, parser).module!.uses;
    expect(uses.map((u) => u.callee)).toEqual(["torch.nn.LayerNorm"]);
  });
});
