// `normlint verify` in-process on model folders written to a temp dir: the verdicts, --json, the
// CPU path, usage errors, and on the GPU (Dawn; SwiftShader without a GPU) the verification
// figures. GPU cases are skipped loudly without an adapter, and fail when NORMLINT_REQUIRE_GPU=1.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, type TestContext } from "vitest";
import { verifyCommand, type VerifyJson } from "../src/cli/verify";
import { acquireNodeGpu } from "../src/gpu/node";
import { buildSafetensors } from "./harness/checkpoint-builder";
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
