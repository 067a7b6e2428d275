// An editor relints a document after each edit with an incremental reparse (parser.edit, then
// parse(text, previous)); the copy takes over unchanged statements and the analysis takes over
// classes that cannot have changed. Whatever is reused, the result must be the one a fresh parse
// and lint of the same text gives: analysis, findings and summary alike.
import { beforeAll, describe, expect, it } from "vitest";
import { modelingFile } from "../bench/python";
import { defaultSettings } from "../src/engine/index";
import { createPythonParser, lintPython, type PythonParser, type PythonTree } from "../src/engine/python";
import { loadPythonWasm } from "../src/node/wasm";

let parser: PythonParser;
beforeAll(async () => {
  parser = await createPythonParser(loadPythonWasm([`${__dirname}/..`]));
});

/** Everything a lint returns, without syntax nodes. */
function result(text: string, tree?: PythonTree): string {
  const r = lintPython({ path: "modeling_x.py", text }, defaultSettings(), parser, tree ? { tree } : {});
  return JSON.stringify({ findings: r.findings, summary: r.summary, module: { ...r.module, text: undefined } }, (k, v) =>
    k === "node" || k === "valueNode" || k === "partial" ? undefined : v instanceof Map ? [...v] : v,
  );
}

// Gemma expects `1 + weight`: the generated norms are findings. A local base class, a subclass
// that inherits its forward, and a module function a forward calls make classes depend on text
// outside themselves.
const HEAD = `# normlint: model_type=gemma
import torch
from torch import nn


def _norm(x, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)


class BaseNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        return _norm(x.float(), self.eps).type_as(x) * (1 + self.weight)


class DerivedNorm(BaseNorm):
    pass
`;

type Edit = (t: string) => { at: number; len: number; text: string } | undefined;
const find = (needle: string, len: number, text: string): Edit => (t) => {
  const at = t.indexOf(needle);
  return at < 0 ? undefined : { at, len, text };
};

describe("an incremental relint", () => {
  it("gives what a fresh lint of the same text gives, edit after edit", () => {
    let text = HEAD + modelingFile(400).replace(/^import[^\n]*\n|^from[^\n]*\n/gm, "");
    const edits: Edit[] = [
      find("eps=1e-6", 8, "eps=1e-5"),
      find("(1 + self.weight)", 17, "self.weight"),
      find("return _norm(x.float(), self.eps).type_as(x) * self.weight", 0, "# longer now\n        "),
      find("    return x * torch.rsqrt", 0, "    x = x.float()\n"),
      find("class DerivedNorm(BaseNorm)", 27, "class DerivedNorm(nn.LayerNorm)"),
      // Same-length edits outside the classes that change what the classes mean.
      find("from torch import nn", 20, "from mylib import nn"),
      find("from mylib import nn", 20, "from torch import nn"),
      find("keepdim=True) + eps)", 20, "keepdim=True) * eps)"),
      find("class DerivedNorm(nn.LayerNorm)", 31, "class DerivedNorm(BaseNorm)"),
      find("from torch import nn\n", 0, "import torch.nn.functional as F\n"),
      find("self.weight = nn.Parameter(torch.ones(dim))", 43, "self.weight = nn.Parameter(torch.zeros(dim))"),
      find("class Block1(", 0, "def helper():\n    pass\n\n\n"),
      find("def helper():\n    pass\n\n\n", 25, ""),
      find("return self.weight * x.to(input_dtype)", 6, "return ("),
      find("return (self.weight * x.to(input_dtype)", 8, "return "),
      (t) => ({ at: t.length, len: 0, text: "\n\nclass LateNorm(BaseNorm):\n    pass\n" }),
    ];
    let tree = parser.parse(text);
    expect(result(text, tree)).toBe(result(text));
    let checked = 0;
    for (let round = 0; round < 2; round++) {
      for (const edit of edits) {
        const e = edit(text);
        if (!e) continue;
        text = parser.edit(tree, { start: e.at, end: e.at + e.len, text: e.text });
        const next = parser.parse(text, tree);
        tree.delete();
        tree = next;
        expect(result(text, tree)).toBe(result(text));
        checked++;
      }
    }
    tree.delete();
    expect(checked).toBeGreaterThan(15);
  });
});
