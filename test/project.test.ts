// The project model through the CLI: what the cross-file fixtures (test/project-fixtures.test.ts)
// do not show, the fixes. A rename fix inside a norm class is offered only where nothing else in
// the project uses the old name.
import { execFileSync } from "node:child_process";
import { cpSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, type JsonReport, runCli, Sandbox } from "./harness/cli";

beforeAll(() => ensureBuilt());

let sb: Sandbox;
afterEach(() => rmSync(sb.root, { recursive: true, force: true }));

const FIXTURES = join(__dirname, "project-fixtures");

function nl205(): JsonReport["findings"] {
  const r = runCli([".", "--format", "json"], sb.root);
  expect(r.status === 0 || r.status === 1).toBe(true);
  return (JSON.parse(r.stdout) as JsonReport).findings.filter((f) => f.code === "NL205");
}

const renames = (findings: JsonReport["findings"], line: number) =>
  findings.find((f) => f.line === line)!.fixes.some((x) => x.title.startsWith("Rename"));

describe("project model: fixes", () => {
  it("a loader that maps every key but one: the rename of that one is offered (nothing else uses the name)", () => {
    sb = Sandbox.create();
    cpSync(join(FIXTURES, "mapped-but-one"), sb.root, { recursive: true });
    const found = nl205();
    expect(found.map((f) => [f.file, f.line, f.severity])).toEqual([["pkg/model.py", 12, "error"]]);
    expect(renames(found, 12)).toBe(true);
    // The error says what normlint saw: the loader that maps the sibling and not this one.
    expect(found[0].message).toContain("pkg/loader.py maps `scale` while loading, and not `shift`");
  });

  it("a rename fix is not offered where another module uses the old name", () => {
    sb = Sandbox.create();
    cpSync(join(FIXTURES, "loads-without-mapping"), sb.root, { recursive: true });
    sb.write("pkg/report.py", "def report(model):\n    print(model.final_norm.scale.mean())\n");
    const found = nl205();
    expect(found.map((f) => f.line)).toEqual([11, 12]);
    expect(found[0].message).toContain("did not see the checkpoint's keys");
    expect(renames(found, 11)).toBe(false);
    expect(renames(found, 12)).toBe(true);
  });

  it("a norm checked where it is built honours a suppression on that line (and the suppression counts as used)", () => {
    sb = Sandbox.create();
    cpSync(join(FIXTURES, "generic-norm-built-by-gemma"), sb.root, { recursive: true });
    const model = sb.read("pkg/gemma.py").toString("utf8").replace("  # warning: [norm-missing-unit-offset]", "  # normlint: ignore[norm-missing-unit-offset]");
    sb.write("pkg/gemma.py", model);
    const r = runCli([".", "--format", "json"], sb.root);
    expect((JSON.parse(r.stdout) as JsonReport).findings.map((f) => f.rule)).toEqual([]);
  });
});

describe("project model: checkpoint keys (NL304) and loaders outside the model folder", () => {
  const EXAMPLE = join(__dirname, "..", "examples", "gpt-scale-shift");
  /** The gpt-scale-shift example (scale/shift in the code, weight/bias in the checkpoint) inside a project. */
  function project(withLoader: boolean): JsonReport["findings"] {
    sb = Sandbox.create();
    sb.write(".git/HEAD", "ref: refs/heads/main\n");
    // build-examples writes the example's model.safetensors from its weights.json, under <root>/examples.
    cpSync(EXAMPLE, join(sb.root, "ex", "examples", "gpt-scale-shift"), { recursive: true, filter: (src) => !src.endsWith(".safetensors") });
    execFileSync(process.execPath, [join(__dirname, "..", "dist", "build-examples.js"), join(sb.root, "ex")], { stdio: "pipe" });
    cpSync(join(sb.root, "ex", "examples", "gpt-scale-shift"), join(sb.root, "models", "gpt"), { recursive: true });
    rmSync(join(sb.root, "ex"), { recursive: true });
    expect(readFileSync(join(EXAMPLE, "modeling.py"), "utf8")).toContain("self.scale = nn.Parameter");
    if (withLoader) {
      sb.write(
        "pkg/convert.py",
        [
          "import torch",
          "",
          "",
          "def assign(left, right):",
          "    return torch.nn.Parameter(torch.as_tensor(right))",
          "",
          "",
          "def load_weights_into_gpt(gpt, params):",
          "    for b in range(len(gpt.trf_blocks)):",
          '        gpt.trf_blocks[b].norm1.scale = assign(gpt.trf_blocks[b].norm1.scale, params[f"trf_blocks.{b}.norm1.weight"])',
          '        gpt.trf_blocks[b].norm1.shift = assign(gpt.trf_blocks[b].norm1.shift, params[f"trf_blocks.{b}.norm1.bias"])',
          '    gpt.final_norm.scale = assign(gpt.final_norm.scale, params["final_norm.weight"])',
          '    gpt.final_norm.shift = assign(gpt.final_norm.shift, params["final_norm.bias"])',
          "",
        ].join("\n"),
      );
    }
    const r = runCli([".", "--format", "json"], sb.root);
    expect(r.status === 0 || r.status === 1).toBe(true);
    return (JSON.parse(r.stdout) as JsonReport).findings.filter((f) => f.code === "NL304");
  }

  it("no loader elsewhere: the folder's code and checkpoint disagree, an error", () => {
    const found = project(false);
    expect(found.map((f) => [f.file, f.severity])).toEqual([["models/gpt/modeling.py", "error"]]);
  });

  it("a loader in another package maps the code's names: a note naming it, not an error", () => {
    const found = project(true);
    expect(found.map((f) => [f.file, f.severity])).toEqual([["models/gpt/modeling.py", "info"]]);
    expect(found[0].message).toMatch(/pkg\/convert\.py maps `(scale|shift)` while loading: if that loader reads this checkpoint/);
  });
});

describe("project model: the effective convention across files", () => {
  const found = () => {
    const r = runCli([".", "--format", "json"], sb.root);
    return (JSON.parse(r.stdout) as JsonReport).findings.map((f) => `${f.file}:${f.line} ${f.code} ${f.severity}`);
  };

  it("an op's `1 + weight` is judged by the loader of another module: doubled where it adds 1, right where it adds nothing", () => {
    sb = Sandbox.create();
    cpSync(join(FIXTURES, "op-impl-chain-offset-twice"), sb.root, { recursive: true });
    expect(found()).toEqual(["eng/backends/default/norm.py:21 NL202 error"]);
    // The loader's shift gone, the op's own `1 +` is Gemma's offset applied once.
    const gemma = readFileSync(join(sb.root, "eng/models/gemma.py"), "utf8");
    sb.write("eng/models/gemma.py", gemma.replace("loaded_weight = loaded_weight + 1", "pass"));
    expect(found()).toEqual([]);
  });

  it("the loader's finding names each step of the chain, file and line", () => {
    sb = Sandbox.create();
    cpSync(join(FIXTURES, "op-impl-chain-loader-drops-offset"), sb.root, { recursive: true });
    const r = runCli([".", "--format", "json"], sb.root);
    const [f] = (JSON.parse(r.stdout) as JsonReport).findings;
    expect(f.code).toBe("NL216");
    expect(f.message).toContain("`RMSNorm` (eng/nn/norm.py:7)");
    expect(f.message).toContain("`DefaultRMSNormImpl.forward` computes `weight * x` (eng/backends/default/norm.py:21)");
  });
});
