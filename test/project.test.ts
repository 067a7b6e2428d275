// The project model through the CLI: findings that depend on other files of the project (a loader
// renaming a norm's parameters elsewhere, the config.json governing a folder, test code).
import { rmSync } from "node:fs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, type JsonReport, runCli, Sandbox } from "./harness/cli";

beforeAll(() => ensureBuilt());

let sb: Sandbox;
afterEach(() => rmSync(sb.root, { recursive: true, force: true }));

/** The book's LayerNorm (LLMs-from-scratch): `scale`/`shift` where GPT-2 checkpoints store `weight`/`bias`. */
const LAYER_NORM = `# normlint: model_type=gpt2
import torch
from torch import nn


class LayerNorm(nn.Module):
    def __init__(self, emb_dim):
        super().__init__()
        self.eps = 1e-5
        self.scale = nn.Parameter(torch.ones(emb_dim))
        self.shift = nn.Parameter(torch.zeros(emb_dim))

    def forward(self, x):
        mean = x.mean(dim=-1, keepdim=True)
        var = x.var(dim=-1, keepdim=True, unbiased=False)
        return self.scale * (x - mean) / torch.sqrt(var + self.eps) + self.shift
`;

const loader = (lines: string[]) => `import torch
from .model import LayerNorm


def assign(left, right):
    return torch.nn.Parameter(torch.tensor(right))


def load_weights_into_gpt(gpt, params):
    state = torch.load("gpt2.pt")
${lines.map((l) => `    ${l}`).join("\n")}
`;

function lint(): Array<{ file: string; code: string; severity: string; line: number; message: string }> {
  const r = runCli([".", "--format", "json"], sb.root);
  expect(r.status === 0 || r.status === 1).toBe(true);
  return (JSON.parse(r.stdout) as JsonReport).findings.map((f) => ({ file: f.file, code: f.code, severity: f.severity, line: f.line, message: f.message }));
}

describe("project model", () => {
  it("a key mapping in another module counts: silent", () => {
    sb = Sandbox.create();
    sb.write("pyproject.toml", "");
    sb.write("pkg/model.py", LAYER_NORM);
    sb.write("pkg/loader.py", loader(["gpt.final_norm.scale = assign(gpt.final_norm.scale, state['g'])", "gpt.final_norm.shift = assign(gpt.final_norm.shift, state['b'])"]));
    expect(lint().filter((f) => f.code === "NL205")).toEqual([]);
  });

  it("a loader that maps every key but one: an error on that one", () => {
    sb = Sandbox.create();
    sb.write("pyproject.toml", "");
    sb.write("pkg/model.py", LAYER_NORM);
    sb.write("pkg/loader.py", loader(["gpt.final_norm.scale = assign(gpt.final_norm.scale, state['g'])"]));
    const r = runCli([".", "--format", "json"], sb.root);
    const nl205 = (JSON.parse(r.stdout) as JsonReport).findings.filter((f) => f.code === "NL205");
    expect(nl205.map((f) => [f.file, f.line, f.severity])).toEqual([["pkg/model.py", 11, "error"]]);
    // Nothing else uses `.shift`: renaming it inside the class is safe, so the fix is offered.
    expect(nl205[0].fixes.map((x) => x.title).some((t) => t.startsWith("Rename"))).toBe(true);
  });

  it("a project that loads no weights gets no 'will not load' finding", () => {
    sb = Sandbox.create();
    sb.write("pyproject.toml", "");
    sb.write("pkg/model.py", LAYER_NORM);
    sb.write("pkg/train.py", "from .model import LayerNorm\n\nnorm = LayerNorm(768)\n");
    expect(lint().filter((f) => f.code === "NL205")).toEqual([]);
  });

  it("a loader that maps nothing: a warning that says the checkpoint's keys were not seen", () => {
    sb = Sandbox.create();
    sb.write("pyproject.toml", "");
    sb.write("pkg/model.py", LAYER_NORM);
    sb.write("pkg/load.py", "import torch\n\ndef load(model, path):\n    model.load_state_dict(torch.load(path), strict=False)\n");
    const nl205 = lint().filter((f) => f.code === "NL205");
    expect(nl205.map((f) => [f.line, f.severity])).toEqual([[10, "warning"], [11, "warning"]]);
    expect(nl205[0].message).toContain("did not see the checkpoint's keys");
  });

  it("a rename fix is not offered where another module uses the old name", () => {
    sb = Sandbox.create();
    sb.write("pyproject.toml", "");
    sb.write("pkg/model.py", LAYER_NORM);
    sb.write("pkg/load.py", "import torch\n\ndef load(model, path):\n    model.load_state_dict(torch.load(path), strict=False)\n    print(model.final_norm.scale.mean())\n");
    const r = runCli([".", "--format", "json"], sb.root);
    const nl205 = (JSON.parse(r.stdout) as JsonReport).findings.filter((f) => f.code === "NL205");
    const titles = (line: number) => nl205.find((f) => f.line === line)!.fixes.map((x) => x.title);
    expect(titles(10).some((t) => t.startsWith("Rename"))).toBe(false);
    expect(titles(11).some((t) => t.startsWith("Rename"))).toBe(true);
  });

  it("separate projects do not answer for each other (a loader in another repository does not count)", () => {
    sb = Sandbox.create();
    sb.write("a/pyproject.toml", "");
    sb.write("a/model.py", LAYER_NORM + "\n\ndef load(model, path):\n    model.load_state_dict(torch.load(path))\n");
    sb.write("b/pyproject.toml", "");
    sb.write("b/loader.py", loader(["gpt.final_norm.scale = assign(gpt.final_norm.scale, state['g'])", "gpt.final_norm.shift = assign(gpt.final_norm.shift, state['b'])"]));
    expect(lint().filter((f) => f.code === "NL205").map((f) => f.file)).toEqual(["a/model.py", "a/model.py"]);
  });

  it("a generic class name alone names no family; the governing config.json does", () => {
    sb = Sandbox.create();
    const port = LAYER_NORM.replace("# normlint: model_type=gpt2\n", "").replace("LayerNorm", "RMSNorm");
    const rms = `import torch
from torch import nn


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        out = x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + self.eps)
        return (out * self.weight.float()).type_as(x)
`;
    sb.write("plain/norm.py", rms);
    sb.write("plain/other.py", port);
    sb.write("gemma/norm.py", rms);
    sb.writeJson("gemma/config.json", { model_type: "gemma", rms_norm_eps: 1e-6 });
    const findings = lint().filter((f) => f.severity !== "info");
    expect(findings.filter((f) => f.file.startsWith("plain/"))).toEqual([]);
    const gemma = findings.filter((f) => f.file === "gemma/norm.py");
    expect(gemma.map((f) => f.code)).toContain("NL201");
    expect(gemma.find((f) => f.code === "NL201")?.message).toContain("config.json governing its folder");
  });

  it("findings in test code are at most info", () => {
    sb = Sandbox.create();
    sb.write("pyproject.toml", "");
    sb.write("tests/test_norm.py", "# normlint: model_type=gemma\nimport torch\nfrom torch import nn\n\n\nclass GemmaRMSNorm(nn.Module):\n    def __init__(self, d):\n        super().__init__()\n        self.weight = nn.Parameter(torch.zeros(d))\n\n    def forward(self, x):\n        return x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + 1e-6) * self.weight\n");
    const findings = lint();
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((f) => f.severity === "info")).toBe(true);
  });
});
