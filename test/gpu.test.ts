// The WGSL kernels on a real WebGPU implementation (Dawn, through the `webgpu` package), verified
// against the float64 reference across variants, precisions, cast orders, hidden sizes and eps.
//
// Without a GPU, Dawn runs on SwiftShader: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
// (Debian's chromium package). When no adapter is found every GPU test says so on stderr and is
// skipped, or fails when NORMLINT_REQUIRE_GPU=1 (CI sets it, so a broken adapter cannot pass
// silently).
import { afterAll, describe, expect, it, type TestContext } from "vitest";
import { compareOutputs } from "../src/engine/numerics/compare";
import { NORM_VARIANTS, type NormVariant, type Precision } from "../src/engine/numerics/norms";
import { gaussian } from "../src/engine/numerics/random";
import { roundTo } from "../src/engine/numerics/reference";
import { describeVerification, TOLERANCES, verifyNorm } from "../src/engine/numerics/verify";
import { acquireNodeGpu } from "../src/gpu/node";
import { acquireGpu, GpuUnavailableError, normRunner, workgroupSizeFor } from "../src/gpu/runner";

const REQUIRE = process.env.NORMLINT_REQUIRE_GPU === "1";
const gpu = await acquireNodeGpu();
const runner = gpu.ok ? normRunner(gpu.device) : undefined;
const unavailable = gpu.ok ? "" : `no WebGPU adapter (${gpu.stage}): ${gpu.reason}`;
afterAll(() => gpu.release());

type Body = (ctx: TestContext) => Promise<void> | void;

/** A test that needs the adapter: skipped loudly without one, failed when NORMLINT_REQUIRE_GPU=1. */
function gpuIt(name: string, body: Body, timeout?: number): void {
  it(
    name,
    async (ctx) => {
      if (!runner) {
        if (REQUIRE) throw new Error(`NORMLINT_REQUIRE_GPU=1 but ${unavailable}`);
        console.warn(`[normlint] GPU test SKIPPED: ${name}: ${unavailable}`);
        ctx.skip(unavailable);
      }
      await body(ctx);
    },
    timeout,
  );
}

const VARIANTS = Object.keys(NORM_VARIANTS) as NormVariant[];
const PRECISIONS: Precision[] = [
  { dtype: "f32", cast: "gemma" },
  { dtype: "bf16", cast: "llama" },
  { dtype: "bf16", cast: "gemma" },
  { dtype: "bf16", cast: "torch" },
  { dtype: "f16", cast: "llama" },
  { dtype: "f16", cast: "gemma" },
  { dtype: "f16", cast: "torch" },
];
const label = (p: Precision) => (p.dtype === "f32" ? "f32" : `${p.dtype}/${p.cast}`);

// Hidden sizes with their row counts; 32768 runs for a few variant/precision pairs only, which
// keeps the file near 30 s on two SwiftShader cores.
const SIZES: Array<[hidden: number, rows: number]> = [
  [1, 33],
  [3, 33],
  [7, 21],
  [64, 17],
  [127, 9],
  [4096, 3],
];
const LARGE = new Set(["layernorm f32", "rmsnorm-offset bf16/gemma", "layernorm1p f16/llama", "rmsnorm bf16/llama"]);
const EPS = [1e-5, 1e-6, 1e-12, 0.1];

/** Weights as checkpoints have them: plain scales near 1, offsets near 0, each with a few outliers. */
function weightsFor(variant: NormVariant, hidden: number, seed: number): { weight: Float32Array; bias: Float32Array } {
  const offset = NORM_VARIANTS[variant].weight === "offset";
  const weight = gaussian(seed, hidden, offset ? 0 : 1, offset ? 0.3 : 0.25);
  if (hidden > 2) {
    weight[0] = offset ? 4.5 : 6;
    weight[1] = offset ? -0.98 : 0.02;
  }
  return { weight, bias: gaussian(seed + 1, hidden, 0, 0.1) };
}

/** Activations: Gaussian rows, one channel with a large outlier as in LLM residual streams. */
function activations(rows: number, hidden: number, seed: number): Float32Array {
  const x = gaussian(seed, rows * hidden, 0.2, 1.5);
  if (hidden >= 64) for (let r = 0; r < rows; r++) x[r * hidden + 17] *= 40;
  return x;
}

const worstUlp = new Map<string, number>();
afterAll(() => {
  if (!worstUlp.size) return;
  const lines = [...worstUlp].map(([k, u]) => `  ${k.padEnd(36)} ${u.toFixed(2)}`);
  console.log(`[normlint] max ULP error per variant and precision (${gpu.ok ? gpu.info.label : "no GPU"}):\n${lines.join("\n")}`);
});

describe("the adapter", () => {
  gpuIt("is found and named, and passed the acquisition smoke test", () => {
    if (!gpu.ok) return;
    console.log(`[normlint] GPU tests run on ${gpu.info.label}; shader-f16: ${gpu.info.shaderF16}; VK_ICD_FILENAMES=${gpu.icd ?? "(unset)"}`);
    expect(gpu.info.label.length).toBeGreaterThan(0);
    expect(gpu.device.limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(workgroupSizeFor(32768));
  });
});

describe("norm kernels against the float64 reference", () => {
  let seed = 1000;
  for (const variant of VARIANTS) {
    for (const precision of PRECISIONS) {
      const key = `${variant} ${label(precision)}`;
      const sizes = LARGE.has(key) ? [...SIZES, [32768, 2] as [number, number]] : SIZES;
      const caseSeed = (seed += 100);
      gpuIt(`${key}: hidden ${sizes.map(([h]) => h).join(", ")}`, async () => {
        for (const [i, [hidden, rows]] of sizes.entries()) {
          const x = activations(rows, hidden, caseSeed + i);
          const input = { x, hidden, eps: EPS[i % EPS.length], ...weightsFor(variant, hidden, caseSeed + 50 + i) };
          // The workgroup size a GPU gets (256 threads from hidden 1024 up); fallback adapters
          // default to 32, tested below.
          const run = await runner!.run({ variant, precision, ...input, workgroupSize: workgroupSizeFor(hidden) });
          expect(run.storage.startsWith(precision.dtype)).toBe(true);
          const v = verifyNorm(run.out, variant, precision, input);
          worstUlp.set(key, Math.max(worstUlp.get(key) ?? 0, v.maxUlp));
          expect(v.verified, `hidden ${hidden}, eps ${input.eps}: ${describeVerification(v)}`).toBe(true);
          if (precision.dtype !== "f32") {
            // Every output is a value of the dtype, so storing it as bf16/f16 loses nothing.
            for (let j = 0; j < run.out.length; j += 7) expect(roundTo(precision.dtype, run.out[j])).toBe(run.out[j]);
          }
        }
      });
    }
  }
});

describe("workgroup sizes", () => {
  gpuIt("1 to 256 threads per row, rows shorter and longer than the workgroup", async () => {
    const precision: Precision = { dtype: "bf16", cast: "llama" };
    for (const [hidden, rows] of [[1, 5], [5, 5], [100, 4], [1000, 3], [32768, 1]] as const) {
      const input = { x: activations(rows, hidden, 131 + hidden), hidden, eps: 1e-6, ...weightsFor("layernorm1p", hidden, 132) };
      for (const workgroupSize of [1, 2, 32, 64, 256]) {
        const run = await runner!.run({ variant: "layernorm1p", precision, ...input, workgroupSize });
        const v = verifyNorm(run.out, "layernorm1p", precision, input);
        expect(v.verified, `hidden ${hidden}, ${workgroupSize} threads: ${describeVerification(v)}`).toBe(true);
      }
    }
  });

  gpuIt("the device's default (32 threads on a fallback adapter) at hidden 32768", async () => {
    for (const precision of [{ dtype: "f32", cast: "gemma" }, { dtype: "bf16", cast: "gemma" }] as const) {
      const input = { x: activations(2, 32768, 141), hidden: 32768, eps: 1e-6, ...weightsFor("layernorm", 32768, 142) };
      const run = await runner!.run({ variant: "layernorm", precision, ...input });
      expect(run.workgroupSize).toBe(gpu.ok && gpu.info.fallback ? 32 : 256);
      const v = verifyNorm(run.out, "layernorm", precision, input);
      worstUlp.set(`layernorm ${label(precision)} (${run.workgroupSize} threads)`, v.maxUlp);
      expect(v.verified, describeVerification(v)).toBe(true);
    }
  });
});

describe("hard rows", () => {
  gpuIt("a large row mean (1000 + N(0, 1)) keeps LayerNorm accurate: two passes, not E[x^2] - E[x]^2", async () => {
    const hidden = 4096;
    const x = gaussian(71, 2 * hidden, 1000, 1);
    const input = { x, hidden, eps: 1e-5, weight: new Float32Array(hidden).fill(1), bias: new Float32Array(hidden) };
    const run = await runner!.run({ variant: "layernorm", precision: { dtype: "f32", cast: "gemma" }, ...input });
    const v = verifyNorm(run.out, "layernorm", { dtype: "f32", cast: "gemma" }, input);
    expect(v.verified, describeVerification(v)).toBe(true);
    // Absolute error in normalized units stays far below what one-pass variance would give (~1e-1).
    expect(v.maxAbs).toBeLessThan(1e-3);
  });

  gpuIt("constant rows give the bias (LayerNorm) and zero rows give zeros (RMSNorm)", async () => {
    const hidden = 300;
    const { weight, bias } = weightsFor("layernorm", hidden, 81);
    const ln = await runner!.run({ variant: "layernorm", precision: { dtype: "bf16", cast: "gemma" }, x: new Float32Array(2 * hidden).fill(2.5), hidden, eps: 1e-5, weight, bias });
    for (let i = 0; i < hidden; i++) expect(ln.out[hidden + i]).toBeCloseTo(roundTo("bf16", bias[i]), 2);
    const rms = await runner!.run({ variant: "rmsnorm", precision: { dtype: "f32", cast: "gemma" }, x: new Float32Array(hidden), hidden, eps: 1e-6, weight });
    expect(rms.out.every((v) => v === 0)).toBe(true);
  });

  gpuIt("more rows than one dispatch dimension holds (66,000 rows of 2)", async () => {
    // 65,535 workgroups per dimension: the rest go along y. Two threads per row keep it quick.
    const hidden = 2;
    const rows = 66_000;
    const input = { x: gaussian(91, rows * hidden), hidden, eps: 1e-6, ...weightsFor("rmsnorm-offset", hidden, 92) };
    const precision: Precision = { dtype: "bf16", cast: "gemma" };
    const run = await runner!.run({ variant: "rmsnorm-offset", precision, ...input, workgroupSize: 2 });
    const v = verifyNorm(run.out, "rmsnorm-offset", precision, input);
    expect(v.verified, describeVerification(v)).toBe(true);
    expect(run.out.subarray(-hidden).some((y) => y !== 0)).toBe(true);
  });

  gpuIt("a missing offset fails verification and shows as a large relative L2 error", async () => {
    const hidden = 2048;
    const precision: Precision = { dtype: "bf16", cast: "gemma" };
    const input = { x: gaussian(101, 4 * hidden), hidden, eps: 1e-6, ...weightsFor("rmsnorm-offset", hidden, 102) };
    const plain = await runner!.run({ variant: "rmsnorm", precision, ...input });
    const offset = await runner!.run({ variant: "rmsnorm-offset", precision, ...input });
    expect(verifyNorm(plain.out, "rmsnorm-offset", precision, input).verified).toBe(false);
    expect(verifyNorm(offset.out, "rmsnorm-offset", precision, input).verified).toBe(true);
    expect(compareOutputs(offset.out, plain.out, hidden).relL2).toBeGreaterThan(0.9);
  });
});

describe("rounding in the kernels (quantize.wgsl, the same functions the norm kernel uses)", () => {
  const u = new Uint32Array(1);
  const f = new Float32Array(u.buffer);
  const bits = (b: number) => ((u[0] = b), f[0]);
  const values: number[] = [1, -1, 0, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, 65519, 65520, 1e5, -1e9, 3.4e38];
  // Ties for bf16 (low 16 bits 0x8000) and f16 (low 13 bits 0x1000), over normal exponents.
  for (let e = 90; e < 160; e++) for (const m of [0x8000, 0x18000, 0x1000, 0x3000, 0x2fff, 0x7fffff]) values.push(bits((e << 23) | m), -bits((e << 23) | m));
  // f16 subnormals (2^-24 to 2^-14) and the ties between them.
  for (let k = 1; k < 40; k++) values.push(k * 2 ** -25, (k + 0.5) * 2 ** -24, -k * 3 * 2 ** -26);
  values.push(...gaussian(111, 2000, 0, 100));

  for (const storage of ["bf16", "f16"] as const) {
    gpuIt(`${storage}: round to nearest, ties to even, overflow to infinity, bit-exact with the reference`, async () => {
      const got = await runner!.quantize(Float32Array.from(values), storage);
      for (let i = 0; i < values.length; i++) expect(got[i], `${values[i]}`).toBe(roundTo(storage, Math.fround(values[i])));
      const nan = await runner!.quantize(Float32Array.of(Number.NaN), storage);
      expect(nan[0]).toBeNaN();
    });
  }

  gpuIt("native f16 (shader-f16) gives the same outputs as the emulated path", async (ctx) => {
    if (!gpu.ok || !gpu.info.shaderF16) {
      const why = "this adapter has no shader-f16 (the native f16 kernels are compiled on Dawn's null backend below)";
      console.warn(`[normlint] GPU test SKIPPED: native f16: ${why}`);
      ctx.skip(why);
    }
    for (const variant of VARIANTS) {
      for (const cast of ["llama", "gemma", "torch"] as const) {
        const input = { x: activations(5, 1000, 121), hidden: 1000, eps: 1e-5, ...weightsFor(variant, 1000, 122) };
        const native = await runner!.run({ variant, precision: { dtype: "f16", cast }, storage: "f16-native", ...input });
        const emulated = await runner!.run({ variant, precision: { dtype: "f16", cast }, storage: "f16", ...input });
        expect(native.out).toEqual(emulated.out);
      }
    }
  });
});

describe("the runner", () => {
  gpuIt("serializes overlapping calls (error scopes are per device) and keeps their results apart", async () => {
    const precision: Precision = { dtype: "f32", cast: "gemma" };
    const inputs = [3, 64, 500].map((hidden, i) => ({ x: activations(4, hidden, 151 + i), hidden, eps: 1e-6, ...weightsFor("rmsnorm", hidden, 155 + i) }));
    const runs = await Promise.all(inputs.map((input) => runner!.run({ variant: "rmsnorm", precision, ...input })));
    runs.forEach((run, i) => expect(verifyNorm(run.out, "rmsnorm", precision, inputs[i]).verified).toBe(true));
  });

  gpuIt("refuses inputs that do not fit, before touching the GPU", async () => {
    const base = { variant: "layernorm" as const, precision: { dtype: "f32", cast: "gemma" } as const, hidden: 4, eps: 1e-5 };
    await expect(runner!.run({ ...base, x: new Float32Array(6), weight: new Float32Array(4), bias: new Float32Array(4) })).rejects.toThrow(/whole number of rows/);
    await expect(runner!.run({ ...base, x: new Float32Array(8), weight: new Float32Array(4) })).rejects.toThrow(/needs a bias/);
    await expect(runner!.run({ ...base, x: new Float32Array(8), weight: new Float32Array(4), bias: new Float32Array(4), workgroupSize: 3 })).rejects.toThrow(/power of two/);
    const empty = await runner!.run({ ...base, x: new Float32Array(0), weight: new Float32Array(4), bias: new Float32Array(4) });
    expect(empty.out).toHaveLength(0);
  });
});

describe("acquisition in stages", () => {
  it("names the stage that failed", async () => {
    expect(await acquireGpu(undefined)).toMatchObject({ ok: false, stage: "no-webgpu" });
    const nullAdapter = { requestAdapter: async () => null } as unknown as GPU;
    expect(await acquireGpu(nullAdapter)).toMatchObject({ ok: false, stage: "no-adapter", reason: expect.stringContaining("null") });
    const throwing = { requestAdapter: async () => Promise.reject(new Error("backend exploded")) } as unknown as GPU;
    expect(await acquireGpu(throwing)).toMatchObject({ ok: false, stage: "no-adapter", reason: expect.stringContaining("backend exploded") });
    const adapter = { features: new Set(), limits: { maxStorageBufferBindingSize: 1 << 27, maxBufferSize: 1 << 28 }, requestDevice: async () => Promise.reject(new Error("limits too high")) };
    const refusing = { requestAdapter: async () => adapter } as unknown as GPU;
    expect(await acquireGpu(refusing)).toMatchObject({ ok: false, stage: "device-request-failed", reason: expect.stringContaining("limits too high") });
  });

  it("reports a VK_ICD_FILENAMES that names no file", async () => {
    const r = await acquireNodeGpu({ icd: "/nonexistent/icd.json" });
    expect(r).toMatchObject({ ok: false, stage: "no-adapter", reason: expect.stringContaining("/nonexistent/icd.json") });
  });

  gpuIt("turns a lost device into a device-lost error", async () => {
    const other = await acquireNodeGpu({ smokeTest: false });
    if (!other.ok) throw new Error(other.reason);
    other.device.destroy();
    await other.device.lost;
    const err = await normRunner(other.device)
      .run({ variant: "rmsnorm", precision: { dtype: "f32", cast: "gemma" }, x: Float32Array.of(1, 2), hidden: 2, eps: 1e-6, weight: Float32Array.of(1, 1) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GpuUnavailableError);
    expect((err as GpuUnavailableError).stage).toBe("device-lost");
    other.release();
  });
});

describe("native f16 kernels compile (Dawn's null backend: shader-f16, no execution)", () => {
  it("every variant and cast order", async (ctx) => {
    const nul = await acquireNodeGpu({ dawn: ["backend=null"], smokeTest: false });
    if (!nul.ok || !nul.info.shaderF16) {
      const why = nul.ok ? "the null backend has no shader-f16" : nul.reason;
      if (REQUIRE) throw new Error(`NORMLINT_REQUIRE_GPU=1 but ${why}`);
      console.warn(`[normlint] test SKIPPED: native f16 compile: ${why}`);
      ctx.skip(why);
      return;
    }
    try {
      const r = normRunner(nul.device);
      for (const variant of VARIANTS) {
        for (const cast of ["llama", "gemma", "torch"] as const) {
          for (const hidden of [7, 4096]) expect(await r.compile(variant, { dtype: "f16", cast }, hidden)).toBe("f16-native");
        }
      }
      // The quantize kernel too: its f16 buffer is written element by element.
      await expect(r.quantize(Float32Array.of(1, 2, 3), "f16-native")).resolves.toHaveLength(3);
    } finally {
      nul.release();
    }
  });
});

it("keeps every tolerance within a few ULPs", () => {
  expect(TOLERANCES.bf16.maxUlp).toBeLessThanOrEqual(2);
  expect(TOLERANCES.f16.maxUlp).toBeLessThanOrEqual(2);
  expect(TOLERANCES.f32.maxUlp).toBeLessThanOrEqual(8);
});
