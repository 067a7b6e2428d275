// The CLI on whole model folders, Python files and notebooks: checkpoints written to disk, findings
// anchored on config.json with the checkpoint as a related location, notebook positions inside the
// .ipynb JSON.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildSafetensors } from "./harness/checkpoint-builder";
import { ensureBuilt, positionOf, Sandbox, sarifValidator } from "./harness/cli";
import { expandTensors, folderDesc } from "./harness/model-folder";

let box: Sandbox;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  box = Sandbox.create();
});
afterEach(() => box.remove());

function modelFolder(dir: string, modelType: string, fill: "gemma-like" | "llama-like") {
  const { config, desc } = folderDesc({ modelType, fill, layers: 6, hidden: 64 });
  const configText = JSON.stringify(config, null, 2) + "\n";
  box.write(`${dir}/config.json`, configText);
  box.write(`${dir}/model.safetensors`, buildSafetensors(desc).bytes);
  return configText;
}

const GEMMA_PORT = `import torch
from torch import nn


class Gemma2RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        out = x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + self.eps)
        return (out * self.weight.float()).type_as(x)
`;

describe("model folders through the CLI", () => {
  it("anchors NL303 on config.json's model_type and names the checkpoint", () => {
    const text = modelFolder("gemma", "gemma2", "llama-like");
    modelFolder("ok", "gemma2", "gemma-like");
    const { result, report } = box.json(["."]);
    expect(result.status).toBe(1);
    const f = report.findings.filter((x) => x.code === "NL303");
    expect(f).toHaveLength(1);
    expect(f[0].file).toBe("gemma/config.json");
    const at = positionOf(text, '"gemma2"');
    expect([f[0].line, f[0].column]).toEqual([at.line, at.column]);
    expect(f[0].message).toContain("gemma/model.safetensors");
  });

  it("puts the checkpoint in SARIF relatedLocations and stays schema-valid", () => {
    modelFolder("m", "llama", "gemma-like");
    const r = box.run([".", "--format", "sarif"]);
    const log = JSON.parse(r.stdout);
    expect(sarifValidator()(log)).toBe(true);
    const res = log.runs[0].results.find((x: { ruleId: string }) => x.ruleId === "NL303");
    expect(res.locations[0].physicalLocation.artifactLocation.uri).toBe("m/config.json");
    expect(res.relatedLocations[0].physicalLocation.artifactLocation).toEqual({ uri: "m/model.safetensors", uriBaseId: "%SRCROOT%" });
  });

  it("reports a truncated checkpoint on the file itself and still lints the config", () => {
    modelFolder("m", "llama", "llama-like");
    const bytes = box.read("m/model.safetensors");
    box.write("m/model.safetensors", bytes.subarray(0, bytes.length - 5));
    box.write("m/config.json", '{"model_type": "llama", "layer_norm_eps": 1e-5}');
    const { report } = box.json(["."]);
    expect(report.findings.map((x) => `${x.file} ${x.code}`).sort()).toEqual(["m/config.json NL101", "m/model.safetensors NL301"]);
  });
});

describe("Python and notebooks through the CLI", () => {
  it("lints a modeling file and points at the scale", () => {
    box.write("modeling_gemma2.py", GEMMA_PORT);
    const { report } = box.json(["."]);
    const f = report.findings.find((x) => x.code === "NL201")!;
    expect(f.file).toBe("modeling_gemma2.py");
    expect(f.line).toBe(positionOf(GEMMA_PORT, "out * self.weight").line);
  });

  it("maps a notebook cell finding to its line in the .ipynb file, naming the cell", () => {
    const lines = GEMMA_PORT.split(/(?<=\n)/);
    const nb = {
      cells: [
        { cell_type: "markdown", metadata: {}, source: ["# port\n"] },
        { cell_type: "code", metadata: {}, outputs: [], execution_count: null, source: lines.slice(0, 4) },
        { cell_type: "code", metadata: {}, outputs: [], execution_count: null, source: lines.slice(4) },
      ],
      metadata: { kernelspec: { language: "python", name: "python3" } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    const text = JSON.stringify(nb, null, 1);
    box.write("port.ipynb", text);
    const { report } = box.json(["."]);
    const f = report.findings.find((x) => x.code === "NL201")!;
    expect(f.message).toMatch(/\(cell 3, line \d+\)$/);
    expect(f.line).toBe(positionOf(text, "return (out * self.weight").line);
  });

  it("a broken notebook gets a finding and the rest of the run goes on", () => {
    box.write("broken.ipynb", '{"cells": [');
    box.write("m/config.json", '{"model_type": "llama", "layer_norm_eps": 1e-5}');
    const { report } = box.json(["."]);
    expect(report.findings.map((x) => x.file).sort()).toEqual(["broken.ipynb", "m/config.json"]);
  });
});

const GPT_PORT = `import torch
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


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.norm1 = LayerNorm(cfg["emb_dim"])


class GPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.trf_blocks = nn.Sequential(*[Block(cfg) for _ in range(cfg["n_layers"])])
        self.final_norm = LayerNorm(cfg["emb_dim"])
`;

/** A GPT-2 folder whose checkpoint stores the port's norms as weight/bias. */
function gptFolder(dir: string) {
  box.write(`${dir}/config.json`, '{"model_type": "gpt2", "n_embd": 16, "n_layer": 2, "layer_norm_epsilon": 1e-5}\n');
  const ln = { dtype: "F32", shape: [16], fill: "llama-like" as const };
  const tensors = expandTensors({ "trf_blocks.{N}.norm1.weight": ln, "trf_blocks.{N}.norm1.bias": { ...ln, fill: "zeros" }, "final_norm.weight": ln, "final_norm.bias": { ...ln, fill: "zeros" } }, 2);
  box.write(`${dir}/model.safetensors`, buildSafetensors({ tensors }).bytes);
}

describe("modeling code in a model folder through the CLI", () => {
  it("NL304 points at the code line and names the checkpoint in SARIF", () => {
    gptFolder("gpt");
    box.write("gpt/modeling.py", GPT_PORT);
    const { report } = box.json(["."]);
    const f = report.findings.filter((x) => x.code === "NL304");
    expect(f).toHaveLength(1);
    expect(f[0].file).toBe("gpt/modeling.py");
    expect(f[0].line).toBe(positionOf(GPT_PORT, "self.scale = ").line);
    expect(f[0].message).toContain("`trf_blocks.0.norm1.scale`");
    const log = JSON.parse(box.run([".", "--format", "sarif"]).stdout);
    expect(sarifValidator()(log)).toBe(true);
    const res = log.runs[0].results.find((x: { ruleId: string }) => x.ruleId === "NL304");
    expect(res.relatedLocations[0].physicalLocation.artifactLocation).toEqual({ uri: "gpt/model.safetensors", uriBaseId: "%SRCROOT%" });
  });

  it("honours a suppression comment in the code for a folder rule, and does not call it unused", () => {
    gptFolder("gpt");
    const text = GPT_PORT.replace("self.scale = nn.Parameter(torch.ones(emb_dim))", "self.scale = nn.Parameter(torch.ones(emb_dim))  # normlint: ignore[NL304] -- loaded by hand");
    box.write("gpt/modeling.py", text);
    const { report } = box.json(["."]);
    expect(report.findings.filter((x) => x.code === "NL304" || x.code === "NL900")).toEqual([]);
  });

  it("NL309 in a notebook: the config's eps against a constructor default, mapped to the cell's line", () => {
    box.write("m/config.json", '{"model_type": "llama", "hidden_size": 16, "num_hidden_layers": 2, "rms_norm_eps": 1e-5}\n');
    const cells = [
      "import torch\nfrom torch import nn\n",
      "class RMSNorm(nn.Module):\n    def __init__(self, dim, eps=1e-6):\n        super().__init__()\n        self.eps = eps\n        self.weight = nn.Parameter(torch.ones(dim))\n\n    def forward(self, x):\n        return self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)\n",
      "class Block(nn.Module):\n    def __init__(self, config):\n        super().__init__()\n        self.input_layernorm = RMSNorm(config.hidden_size)\n",
    ];
    const nb = {
      cells: cells.map((c) => ({ cell_type: "code", metadata: {}, outputs: [], execution_count: null, source: c.split(/(?<=\n)/) })),
      metadata: { kernelspec: { language: "python", name: "python3" } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    const text = JSON.stringify(nb, null, 1);
    box.write("m/port.ipynb", text);
    const { report } = box.json(["."]);
    const f = report.findings.find((x) => x.code === "NL309")!;
    expect(f.file).toBe("m/port.ipynb");
    expect(f.message).toMatch(/\(cell 3, line 4\)$/);
    expect(f.line).toBe(positionOf(text, "self.input_layernorm = RMSNorm").line);
  });
});
