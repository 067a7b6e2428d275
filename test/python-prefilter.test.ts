// The bulk-run prefilter: a file that mentions no norm is skipped unparsed, anything that could
// hold a norm finding (a norm class, a torch norm, a patch, a suppression) is linted.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPythonWasm } from "../src/node/wasm";
import { defaultSettings } from "../src/engine/index";
import { createPythonParser, lintPython, mentionsNorms, type PythonParser } from "../src/engine/python";

let parser: PythonParser;
beforeAll(async () => {
  parser = await createPythonParser(loadPythonWasm([join(__dirname, "..")]));
});

describe("prefilter", () => {
  it("keeps what could hold a norm finding and drops ordinary code", () => {
    expect(mentionsNorms("class GemmaRMSNorm(nn.Module): pass")).toBe(true);
    expect(mentionsNorms("import torch\nx = F.layer_norm(x, s)")).toBe(true);
    expect(mentionsNorms("x = 1  # normlint: ignore[NL206]")).toBe(true);
    expect(mentionsNorms("import os\np = os.path.normpath(p)")).toBe(false);
    expect(mentionsNorms("def normalize(s): return s.lower()")).toBe(false);
  });

  it("skips a file without norm text only when asked, and still reports undecodable bytes", () => {
    const s = defaultSettings();
    const plain = "import os\nprint(os.path.normpath('a//b'))\n";
    expect(lintPython({ path: "a.py", text: plain }, s, parser, { prefilter: true }).status).toBe("skipped");
    expect(lintPython({ path: "a.py", text: plain }, s, parser).status).toBe("python");
    const port = "# normlint: model_type=gemma\nimport torch\nfrom torch import nn\n\nclass GemmaRMSNorm(nn.Module):\n    def __init__(self, d):\n        super().__init__()\n        self.weight = nn.Parameter(torch.zeros(d))\n\n    def forward(self, x):\n        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * self.weight\n";
    expect(lintPython({ path: "p.py", text: port }, s, parser, { prefilter: true }).findings.map((f) => f.rule)).toContain("norm-missing-unit-offset");
    const bad = lintPython({ path: "b.py", bytes: new Uint8Array([0x78, 0x3d, 0xff, 0x0a]) }, s, parser, { prefilter: true });
    expect(bad.findings.map((f) => f.rule)).toEqual(["source-unreadable"]);
  });
});
