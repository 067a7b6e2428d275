// Bad and big Python input: a 5 MB generated module, 10,000-character lines, and a file that is
// mostly syntax errors must each end in findings, not a crash, with the real problems still found.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPythonWasm } from "../src/node/wasm";
import { defaultSettings } from "../src/engine/index";
import { createPythonParser, lintPython, type PythonParser } from "../src/engine/python";

let parser: PythonParser;
beforeAll(async () => {
  parser = await createPythonParser(loadPythonWasm([join(__dirname, "..")]));
});

const normClass = (i: number, offset: boolean) => `
class Gemma2RMSNorm${i}(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        out = x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + self.eps)
        return (out * ${offset ? "(1.0 + self.weight.float())" : "self.weight.float()"}).type_as(x)
`;

describe("big and hostile Python", () => {
  it("lints a 5 MB generated module and finds every broken norm in it", () => {
    const parts = ["# normlint: model_type=gemma2\nimport torch\nfrom torch import nn\n"];
    let broken = 0;
    let i = 0;
    while (parts.reduce((n, p) => n + p.length, 0) < 5 * 1024 * 1024) {
      const bad = i % 50 === 0;
      if (bad) broken++;
      parts.push(normClass(i++, !bad));
      parts.push(`TABLE_${i} = [${Array.from({ length: 400 }, (_, k) => k).join(", ")}]\n`);
    }
    const text = parts.join("");
    expect(text.length).toBeGreaterThan(5 * 1024 * 1024);
    const settings = defaultSettings();
    const r = lintPython({ path: "big.py", text }, settings, parser);
    expect(r.findings.filter((f) => f.rule === "norm-missing-unit-offset")).toHaveLength(broken);
  });

  it("survives 10,000-character lines", () => {
    const long = `x = "${"a".repeat(10_000)}"\ny = ${"1 + ".repeat(2500)}1\n`;
    const r = lintPython({ path: "long.py", text: long + normClass(0, false) }, defaultSettings(), parser);
    expect(r.findings.map((f) => f.rule)).toContain("norm-offset-init-mismatch");
  });

  it("still analyses the parts of a file that parse", () => {
    const text = `# normlint: model_type=gemma2\nimport torch\nfrom torch import nn\ndef broken(:\n    )))\n${normClass(1, false)}\nclass Oops(\n`;
    const rules = lintPython({ path: "partial.py", text }, defaultSettings(), parser).findings.map((f) => f.rule);
    expect(rules).toContain("norm-missing-unit-offset");
  });
});
