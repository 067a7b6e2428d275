// The built bundle (dist/extension.js) in a fresh Node process with a stub `vscode`: activation is
// fast and loads no engine; opening files then lints them through host.ts (the only vscode layer).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../harness/cli";
import { folderInput } from "../harness/model-folder";

interface Probe {
  requireMs: number;
  activateMs: number;
  totalMs: number;
  engineLoadedAtActivation: boolean;
  subscriptions: number;
  results: Record<string, { diagnostics: Array<{ code: string; target: string; source: string; line: number; related: number }>; actions: string[]; hover?: string }>;
  logs: string[];
}

let dir: string;

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "normlint-ext-"));
  mkdirSync(join(dir, "llama"));
  writeFileSync(join(dir, "llama", "config.json"), '{\n  "model_type": "llama",\n  "layer_norm_eps": 1e-05\n}\n');
  const input = folderInput({ modelType: "gemma2", fill: "ones" });
  mkdirSync(join(dir, "gemma2"));
  writeFileSync(join(dir, "gemma2", "config.json"), input.config!.bytes);
  const st = input.safetensors[0].source;
  writeFileSync(join(dir, "gemma2", "model.safetensors"), await st.read(0, st.size));
  writeFileSync(
    join(dir, "gemma.py"),
    "# normlint: model_type=gemma\nfrom torch import nn\nimport torch\n\n\nclass GemmaRMSNorm(nn.Module):\n    def __init__(self, dim):\n        super().__init__()\n        self.weight = nn.Parameter(torch.zeros(dim))\n\n    def forward(self, x):\n        y = x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + 1e-6)\n        return (y * self.weight.float()).type_as(x)\n",
  );
});

function probe(...files: string[]): Probe {
  const out = execFileSync(process.execPath, [join(__dirname, "activation-probe.cjs"), dir, ...files], { encoding: "utf8", timeout: 60_000 });
  return JSON.parse(out) as Probe;
}

describe("dist/extension.js", () => {
  it("activates without loading the engine", () => {
    // Speed is measured by `npm run bench`; the figure is only reported here. What can fail: the
    // engine evaluated at activation, or its bundle required by the thin one before the first lint.
    const runs = [probe(), probe(), probe()];
    const best = Math.min(...runs.map((r) => r.totalMs));
    console.log(`activation (require + activate, best of 3): ${best.toFixed(1)} ms; activate alone: ${Math.min(...runs.map((r) => r.activateMs)).toFixed(1)} ms`);
    for (const r of runs) expect(r.engineLoadedAtActivation).toBe(false);
    expect(runs[0].subscriptions).toBeGreaterThan(15);
  });

  it("lints opened files through the vscode layer: diagnostics, code actions, hovers, weights", () => {
    const r = probe("llama/config.json", "gemma2/config.json", "gemma.py");
    const llama = r.results["llama/config.json"];
    expect(llama.diagnostics).toEqual([
      { code: "NL101", target: expect.stringMatching(/^file:\/\/\/.*\/docs\/rules\/eps-key-unused\.md$/), source: "normlint", severity: 1, line: 2, character: 2, related: 0 },
    ]);
    expect(llama.actions).toEqual([
      "quickfix: Rename `layer_norm_eps` to `rms_norm_eps`",
      "quickfix: Ignore eps-key-unused here (in .normlint.json)",
      "quickfix: Show documentation for NL101 eps-key-unused",
    ]);
    expect(llama.hover).toContain("`LlamaConfig`");
    const gemma2 = r.results["gemma2/config.json"];
    expect(gemma2.diagnostics.find((d) => d.code === "NL303")).toMatchObject({ related: 1, line: 1 });
    expect(r.results["gemma.py"].diagnostics.map((d) => d.code)).toContain("NL201");
    expect(r.logs.some((l) => /^engine loaded in/.test(l))).toBe(true);
    expect(r.logs.some((l) => /^Python parser \(tree-sitter wasm\) ready in/.test(l))).toBe(true);
  });
});
