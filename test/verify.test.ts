// `normlint verify` in-process on model folders written to a temp dir: the verdicts, --json, the
// CPU path, usage errors, and on the GPU (Dawn; SwiftShader without a GPU) the verification
// figures. GPU cases are skipped loudly without an adapter, and fail when NORMLINT_REQUIRE_GPU=1.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, type TestContext } from "vitest";
import { verifyCommand, type VerifyJson } from "../src/cli/verify";
import { acquireNodeGpu } from "../src/gpu/node";
import { buildGguf, buildSafetensors } from "./harness/checkpoint-builder";
import { folderDesc, type FolderSpec } from "./harness/model-folder";

const REQUIRE = process.env.NORMLINT_REQUIRE_GPU === "1";
const probe = await acquireNodeGpu({ smokeTest: false });
const unavailable = probe.ok ? "" : `no WebGPU adapter (${probe.stage}): ${probe.reason}`;
probe.release();

const root = mkdtempSync(join(tmpdir(), "normlint-verify-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function writeFolder(name: string, spec: FolderSpec): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const { config, desc } = folderDesc(spec);
  writeFileSync(join(dir, "config.json"), JSON.stringify(config, null, 2));
  writeFileSync(join(dir, "model.safetensors"), buildSafetensors(desc).bytes);
  return dir;
}

async function verify(args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await verifyCommand(args, (s) => void (stdout += s), (s) => void (stderr += s));
  return { code, stdout, stderr };
}

const gemma = writeFolder("gemma", { modelType: "gemma2", fill: "gemma-like", hidden: 256, layers: 2 });
const llamaWithGemma = writeFolder("llama-gemma", { modelType: "llama", fill: "gemma-like", hidden: 128 });
const folded = writeFolder("gemma-folded", { modelType: "gemma2", fill: "llama-like", hidden: 64 });

function gpuIt(name: string, body: (ctx: TestContext) => Promise<void>): void {
  it(name, async (ctx) => {
    if (!probe.ok) {
      if (REQUIRE) throw new Error(`NORMLINT_REQUIRE_GPU=1 but ${unavailable}`);
      console.warn(`[normlint] GPU test SKIPPED: ${name}: ${unavailable}`);
      ctx.skip(unavailable);
    }
    await body(ctx);
  }, 60_000);
}

describe("normlint verify on CPU", () => {
  it("a correct Gemma 2 folder: consistent, exit 0, labelled CPU", async () => {
    const r = await verify([gemma, "--cpu"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("CPU (not GPU-verified): --cpu was given");
    expect(r.stdout).toMatch(/verdict: the norm weights match gemma2's declared convention/);
    expect(r.stdout).not.toMatch(/(?<!not )GPU-verified/);
  });

  it("Gemma weights under a Llama config: the +1 offset is missing, exit 1", async () => {
    const r = await verify([llamaWithGemma, "--cpu", "--json"]);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as VerifyJson;
    expect(j.label).toBe("CPU (not GPU-verified)");
    expect(j.result.verdict.kind).toBe("offset-missing");
    expect(j.result.verdict.text).toMatch(/^the \+1 offset is missing: .*outputs differ by \d+% relative L2/);
    expect(j.result.tensors).toHaveLength(13);
    expect(j.result.tensors[0].channelRms).toHaveLength(128);
  });

  it("folded Gemma weights: the +1 offset is applied twice", async () => {
    const r = await verify([folded, "--cpu", "--json", "--rows", "3", "--seed", "9"]);
    const j = JSON.parse(r.stdout) as VerifyJson;
    expect(r.code).toBe(1);
    expect(j.result.verdict.kind).toBe("offset-twice");
    expect(j.result.plan.rows).toBe(3);
    expect(j.result.plan.seed).toBe(9);
  });

  it("usage errors exit 2", async () => {
    expect((await verify([])).code).toBe(2);
    expect((await verify([gemma, "--rows", "0"])).stderr).toMatch(/--rows must be/);
    expect((await verify([join(root, "missing")])).stderr).toMatch(/cannot read .*ENOENT/);
    const empty = join(root, "empty");
    mkdirSync(empty, { recursive: true });
    expect((await verify([empty])).stderr).toMatch(/no config.json/);
    expect((await verify([gemma, "--dtype", "f64"])).stderr).toMatch(/--dtype must be one of f32, f16, bf16, not f64/);
  });

  it("--dtype bf16 runs the comparison in emulated bf16 and says so", async () => {
    const f32 = JSON.parse((await verify([llamaWithGemma, "--cpu", "--json", "--rows", "2"])).stdout) as VerifyJson;
    const r = await verify([llamaWithGemma, "--cpu", "--json", "--rows", "2", "--dtype", "bf16"]);
    expect(r.stderr).toBe("");
    const j = JSON.parse(r.stdout) as VerifyJson;
    expect(j.result.plan.precision.dtype).toBe("bf16");
    expect(j.result.verdict.kind).toBe("offset-missing");
    // bf16 rounding moves the figures, but not the story.
    expect(j.result.tensors[0].relL2).not.toBe(f32.result.tensors[0].relL2);
    expect(Math.abs(j.result.tensors[0].relL2 - f32.result.tensors[0].relL2)).toBeLessThan(0.05);
    expect((await verify([llamaWithGemma, "--cpu", "--dtype", "bf16"])).stdout).toMatch(/cast order \w+; bf16/);
  });

  it("a GGUF folder without config.json: the family and eps from its metadata, llama.cpp's folded convention", async () => {
    const dir = join(root, "gguf-only");
    mkdirSync(dir, { recursive: true });
    const tensors: Record<string, { type: string; dims: number[]; fill: "gemma-like" }> = { "output_norm.weight": { type: "F32", dims: [64], fill: "gemma-like" } };
    for (let i = 0; i < 4; i++) tensors[`blk.${i}.attn_norm.weight`] = { type: "F32", dims: [64], fill: "gemma-like" };
    writeFileSync(join(dir, "model.gguf"), buildGguf({ metadata: { "general.architecture": "gemma2", "gemma2.attention.layer_norm_rms_epsilon": { type: "f32", value: 2 ** -18 } }, tensors }));
    const r = await verify([dir, "--cpu", "--json"]);
    expect(r.stderr).toBe("");
    const j = JSON.parse(r.stdout) as VerifyJson;
    expect(j.result.plan.family).toBe("gemma2");
    expect(j.result.plan.eps).toBe(2 ** -18);
    expect(j.result.tensors).toHaveLength(5);
    expect(j.result.tensors[0]).toMatchObject({ declared: "rmsnorm", alternative: "rmsnorm-offset" });
    // Weights near 0 in a GGUF that llama.cpp reads as x * w: the converter did not fold the +1.
    expect(j.result.verdict.kind).toBe("offset-missing");
    expect(r.code).toBe(1);
  });
});

// A Gemma folder whose modeling code drops the +1 offset (x * w), and one whose code keeps it.
const DROPPED = `import torch
from torch import nn


class GemmaRMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.zeros(dim))

    def _norm(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)

    def forward(self, x):
        output = self._norm(x.float())
        output = output * self.weight.float()
        return output.type_as(x)
`;
const KEPT = DROPPED.replace("output * self.weight.float()", "output * (1.0 + self.weight.float())");
const gemmaDropped = writeFolder("gemma-code-drops-offset", { modelType: "gemma", fill: "gemma-like", hidden: 128 });
writeFileSync(join(gemmaDropped, "modeling_gemma.py"), DROPPED);
const gemmaKept = writeFolder("gemma-code-keeps-offset", { modelType: "gemma", fill: "gemma-like", hidden: 128 });
writeFileSync(join(gemmaKept, "modeling_gemma.py"), KEPT);

describe("normlint verify with modeling code in the folder", () => {
  it("code that drops the offset: the verdict names what the code implements, exit 1", async () => {
    const r = await verify([gemmaDropped, "--cpu", "--json"]);
    expect(r.stderr).toBe("");
    const j = JSON.parse(r.stdout) as VerifyJson;
    expect(j.result.plan.implementedText).toBe("GemmaRMSNorm in modeling_gemma.py");
    expect(j.result.verdict.kind).toBe("consistent");
    expect(j.result.verdict.implementationDiffers).toBe(true);
    expect(j.result.verdict.text).toMatch(/; the code implements x \* w \(GemmaRMSNorm in modeling_gemma\.py\), gemma declares x \* \(1 \+ w\): its outputs differ by \d+% relative L2 from the declared one$/);
    for (const t of j.result.tensors) {
      expect(t.implemented!.variant).toBe("rmsnorm");
      // The code computes the alternative: its output is the alternative's, reused.
      expect(t.implemented!.relL2).toBe(t.relL2);
    }
    expect(r.code).toBe(1);
    const text = await verify([gemmaDropped, "--cpu"]);
    expect(text.stdout).toContain("modeling code: rmsnorm (GemmaRMSNorm in modeling_gemma.py)");
    expect(text.stdout).toMatch(/implemented rmsnorm: rel L2 \d+% of declared/);
  });

  it("code that keeps the offset: implemented equals declared, nothing added, exit 0", async () => {
    const r = await verify([gemmaKept, "--cpu", "--json"]);
    const j = JSON.parse(r.stdout) as VerifyJson;
    expect(j.result.tensors[0].implemented).toEqual({ variant: "rmsnorm-offset", relL2: 0 });
    expect(j.result.verdict.kind).toBe("consistent");
    expect(j.result.verdict.implementationDiffers).toBeUndefined();
    expect(j.result.verdict.text).not.toMatch(/the code implements/);
    expect(r.code).toBe(0);
  });
});

// Activations the user picks: a tensor of a safetensors file whose last dimension is the hidden size.
const acts = join(root, "acts.safetensors");
const rowsOf = (n: number, hidden: number, f: (i: number) => number) => Array.from({ length: n * hidden }, (_, i) => f(i));
writeFileSync(
  acts,
  buildSafetensors({
    tensors: {
      hidden_states: { dtype: "F32", shape: [2, 3, 128], values: rowsOf(6, 128, (i) => Math.sin(i * 0.37) * 3) },
      narrow: { dtype: "F32", shape: [4, 32], values: rowsOf(4, 32, (i) => i % 5) },
      broken: { dtype: "F32", shape: [1, 128], values: rowsOf(1, 128, (i) => (i === 7 ? Number.NaN : 1)) },
    },
  }).bytes,
);

describe("normlint verify --activations", () => {
  it("runs the picked tensor's rows (at most --rows) instead of the Gaussian ones", async () => {
    const gauss = JSON.parse((await verify([llamaWithGemma, "--cpu", "--json", "--rows", "4"])).stdout) as VerifyJson;
    const r = await verify([llamaWithGemma, "--cpu", "--json", "--rows", "4", "--activations", `${acts}:hidden_states`]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as VerifyJson;
    expect(j.result.activations).toBe(`4 rows of \`hidden_states\` in ${acts} (hidden 128)`);
    expect(j.result.verdict.kind).toBe("offset-missing");
    expect(j.result.tensors[0].relL2).not.toBe(gauss.result.tensors[0].relL2);
    const text = await verify([llamaWithGemma, "--cpu", "--activations", `${acts}:hidden_states`]);
    expect(text.stdout).toContain(`activations: 6 rows of \`hidden_states\` in ${acts} (hidden 128)`);
  });

  it("says when no norm tensor has the picked tensor's hidden size", async () => {
    const j = JSON.parse((await verify([llamaWithGemma, "--cpu", "--json", "--activations", `${acts}:narrow`])).stdout) as VerifyJson;
    expect(j.result.activations).toBe(`4 rows of \`narrow\` in ${acts} (hidden 32), which no norm tensor has; seeded Gaussian rows for hidden 128`);
  });

  it("refuses a missing tensor, a non-finite value, a missing file and a malformed argument (exit 2)", async () => {
    const missing = await verify([llamaWithGemma, "--cpu", "--activations", `${acts}:nope`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--activations: .*no tensor `nope` in the header/);
    const nan = await verify([llamaWithGemma, "--cpu", "--activations", `${acts}:broken`]);
    expect(nan.code).toBe(2);
    expect(nan.stderr).toMatch(/`broken` in .* holds a non-finite value \(NaN\) at flat index 7/);
    const absent = await verify([llamaWithGemma, "--cpu", "--activations", `${join(root, "none.safetensors")}:x`]);
    expect(absent.stderr).toMatch(/cannot read .*none\.safetensors: ENOENT/);
    const bad = await verify([llamaWithGemma, "--activations", "acts.bin"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--activations takes <file\.safetensors>:<tensor>/);
  });
});

describe("normlint verify on the GPU", () => {
  gpuIt("runs on Dawn and says GPU-verified with the figures", async () => {
    const r = await verify([gemma, "--json"]);
    const j = JSON.parse(r.stdout) as VerifyJson;
    expect(j.backend.kind).toBe("gpu");
    expect(j.result.verified).toBe(true);
    expect(j.label).toBe("GPU-verified");
    expect(j.result.worst!.maxUlp).toBeLessThanOrEqual(8);
    for (const t of j.result.tensors) {
      expect(t.verification!.declared.verified).toBe(true);
      expect(t.verification!.alternative.verified).toBe(true);
    }
    console.log(`[normlint] verify on ${(j.backend as { adapter: string }).adapter}: worst ${j.result.worst!.maxUlp.toFixed(2)} ULP, max abs ${j.result.worst!.maxAbs.toExponential(2)}, ${j.result.tensors.length * 2} runs in ${j.result.ms.toFixed(0)} ms`);
    const text = await verify([llamaWithGemma]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/backend: GPU /);
    expect(text.stdout).toMatch(/declared: +GPU-verified \(f32\): max [\d.]+ ULP/);
    expect(text.stdout).toMatch(/verdict: the \+1 offset is missing/);
  });
});
