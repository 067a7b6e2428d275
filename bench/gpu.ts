// npm run bench, GPU part: norm kernel throughput on the WebGPU adapter Dawn finds (a real GPU, or
// SwiftShader on the CPU with VK_ICD_FILENAMES set), against the float64 CPU reference on the same
// data, for hidden sizes 2,048 to 16,384. Every kernel result is verified before it is timed.
// Throughput is also given as a fraction of a memory bandwidth: the adapter reports none, so on
// SwiftShader (which runs on these CPU cores) the reference is a memcpy measured in this process,
// counted like the kernel's bytes (read + write). On a real GPU, compare with its datasheet figure.
import type { NormVariant, Precision } from "../src/engine/numerics/norms";
import { gaussian } from "../src/engine/numerics/random";
import { referenceNorm } from "../src/engine/numerics/reference";
import { verifyNorm } from "../src/engine/numerics/verify";
import { acquireNodeGpu } from "../src/gpu/node";
import { normRunner } from "../src/gpu/runner";
import { storageBytes } from "../src/gpu/shaders";

const HIDDEN = [2048, 4096, 8192, 16384];
// Rows per run: 64 keeps the whole GPU part near 30 s on SwiftShader (about 1 ms per row on two
// CPU cores); a real GPU takes microseconds, so raise it there for steadier figures.
const ROWS = Number(process.env.NORMLINT_BENCH_GPU_ROWS ?? 64);
const CASES: Array<{ variant: NormVariant; precision: Precision }> = [
  { variant: "rmsnorm", precision: { dtype: "f32", cast: "gemma" } },
  { variant: "layernorm", precision: { dtype: "f32", cast: "gemma" } },
  { variant: "rmsnorm-offset", precision: { dtype: "bf16", cast: "gemma" } },
];

const fmt = (n: number, digits = 2) => (n >= 100 ? n.toFixed(0) : n.toPrecision(digits + 1));

/** Bytes moved per ms (read + written) by a 64 MiB typed-array copy, best of 10: about memcpy. */
function memcpyBytesPerMs(): number {
  const a = new Float32Array(16 * 1024 * 1024).fill(1);
  const b = new Float32Array(a.length);
  let bestMs = Infinity;
  for (let r = 0; r < 10; r++) {
    const t0 = performance.now();
    b.set(a);
    bestMs = Math.min(bestMs, performance.now() - t0);
  }
  return (2 * a.byteLength) / bestMs;
}

export async function runGpuBench(): Promise<string[]> {
  const gpu = await acquireNodeGpu();
  if (!gpu.ok) return [`GPU bench skipped: no WebGPU adapter (${gpu.stage}): ${gpu.reason}`];
  const memcpy = memcpyBytesPerMs();
  const lines = [
    `adapter: ${gpu.info.label}; shader-f16: ${gpu.info.shaderF16}; ${ROWS} rows per run; CPU reference: float64 in this process`,
    `bandwidth reference: memcpy in this process (64 MiB typed-array copy, read + write) ${fmt(memcpy / 1e6)} GB/s`,
  ];
  const fractions: number[] = [];
  try {
    const runner = normRunner(gpu.device);
    for (const hidden of HIDDEN) {
      const x = gaussian(hidden, ROWS * hidden, 0.1, 1.5);
      const weight = gaussian(hidden + 1, hidden, 0, 0.3);
      const bias = gaussian(hidden + 2, hidden, 0, 0.1);
      for (const { variant, precision } of CASES) {
        const input = { x, hidden, eps: 1e-6, weight, bias };
        const run = await runner.run({ variant, precision, ...input });
        const v = verifyNorm(run.out, variant, precision, input);
        // Enough dispatches for about a quarter of a second, from one timed dispatch.
        const once = await runner.time({ variant, precision, ...input }, 1);
        const iterations = Math.max(2, Math.min(1000, Math.round(250 / Math.max(once.msPerDispatch, 0.01))));
        const { msPerDispatch: gpuMs, storage, workgroupSize } = await runner.time({ variant, precision, ...input }, iterations);
        let cpuMs = Infinity;
        for (let r = 0; r < 2; r++) {
          const t0 = performance.now();
          referenceNorm(variant, precision, input);
          cpuMs = Math.min(cpuMs, performance.now() - t0);
        }
        const elements = ROWS * hidden;
        // Bytes the kernel must move at least: the activations in and out, the weight and bias once.
        const params = (variant === "layernorm" ? 2 : 1) * hidden;
        const bytes = (2 * elements + params) * storageBytes(storage);
        fractions.push(bytes / gpuMs / memcpy);
        const name = `${variant} ${precision.dtype === "f32" ? "f32" : `${precision.dtype}/${precision.cast}`}`;
        lines.push(
          `hidden ${String(hidden).padStart(5)} ${name.padEnd(27)} GPU (${workgroupSize} threads/row, ${storage} buffers) ${fmt(gpuMs)} ms (${fmt((gpuMs * 1000) / ROWS)} µs/row, ` +
            `${fmt(elements / gpuMs / 1e6)} G elem/s, ${fmt(bytes / gpuMs / 1e6)} GB/s eff. = ${fmt((100 * bytes) / gpuMs / memcpy)}% of memcpy) | CPU ref ${fmt(cpuMs)} ms ` +
            `(${fmt((cpuMs * 1000) / ROWS)} µs/row) | GPU ${fmt(cpuMs / gpuMs)}x | ${v.verified ? "verified" : "NOT VERIFIED"}, max ${v.maxUlp.toFixed(2)} ULP`,
        );
      }
    }
    fractions.sort((a, b) => a - b);
    lines.push(`kernel throughput / memcpy bandwidth: ${fmt(100 * fractions[0])}% to ${fmt(100 * fractions[fractions.length - 1])}%, median ${fmt(100 * fractions[Math.floor(fractions.length / 2)])}%`);
  } finally {
    gpu.release();
  }
  return lines;
}
