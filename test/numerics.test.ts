// The float64 reference, the rounding it shares with the kernels, the verifier and the comparison
// figures, against hand-computed values and properties. No GPU needed (test/gpu.test.ts runs the
// kernels against all of this).
import { describe, expect, it } from "vitest";
import { numberToBf16Bits, numberToF16Bits, bf16BitsToNumber, f16BitsToNumber } from "../src/engine/numerics/dtypes";
import { compareOutputs, weightHistogram } from "../src/engine/numerics/compare";
import { castOrderOf, NORM_VARIANTS, type NormVariant, type Precision } from "../src/engine/numerics/norms";
import { gaussian, mulberry32 } from "../src/engine/numerics/random";
import { exponentOf, f32ToF16Bits, referenceNorm, roundTo, toF16Bits, ulpOf } from "../src/engine/numerics/reference";
import { describeVerification, TOLERANCES, verifyNorm, verifyOutput } from "../src/engine/numerics/verify";

const F32: Precision = { dtype: "f32", cast: "gemma" };
const row = (r: Float64Array, i: number, h: number) => Array.from(r.subarray(i * h, (i + 1) * h));

describe("rounding to f16 and bf16", () => {
  it("ties go to the even neighbour", () => {
    // bf16 keeps 7 fraction bits: 1 + 2^-8 is halfway between 1 (even) and 1 + 2^-7 (odd).
    expect(roundTo("bf16", 1 + 2 ** -8)).toBe(1);
    expect(roundTo("bf16", 1 + 3 * 2 ** -8)).toBe(1 + 2 ** -6);
    expect(roundTo("bf16", -(1 + 3 * 2 ** -8))).toBe(-(1 + 2 ** -6));
    expect(roundTo("bf16", 1 + 2 ** -8 + 2 ** -30)).toBe(1 + 2 ** -7);
    expect(roundTo("f16", 1 + 2 ** -11)).toBe(1);
    expect(roundTo("f16", 1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9);
  });

  it("overflows to infinity past the halfway point, and keeps subnormals", () => {
    expect(roundTo("f16", 65519.99)).toBe(65504);
    expect(roundTo("f16", 65520)).toBe(Infinity);
    expect(roundTo("f16", -1e6)).toBe(-Infinity);
    expect(roundTo("f16", 2 ** -25)).toBe(0); // the tie between 0 and the least subnormal
    expect(roundTo("f16", 3 * 2 ** -26)).toBe(2 ** -24);
    expect(roundTo("f16", 2 ** -24 * 5.5)).toBe(2 ** -24 * 6);
    expect(roundTo("bf16", 3.4e38)).toBe(Infinity);
    expect(roundTo("bf16", 2 ** -133)).toBe(2 ** -133);
    expect(Object.is(roundTo("bf16", -1e-300), -0)).toBe(true);
    expect(roundTo("bf16", Number.NaN)).toBeNaN();
  });

  it("agrees with the dtype encoders on every float32 input (random and constructed ties)", () => {
    const next = mulberry32(7);
    const u = new Uint32Array(1);
    const f = new Float32Array(u.buffer);
    const values: number[] = [];
    for (let i = 0; i < 20000; i++) {
      u[0] = (next() * 2 ** 32) >>> 0;
      if (Number.isFinite(f[0])) values.push(f[0]);
    }
    // Exact ties for bf16 (low 16 bits 0x8000) and f16 (low 13 bits 0x1000), over many exponents.
    for (let e = 100; e < 150; e++) {
      for (const m of [0x8000, 0x18000, 0x1000, 0x3000, 0x7fffff]) {
        u[0] = (e << 23) | m;
        values.push(f[0], -f[0]);
      }
    }
    for (const v of values) {
      expect(roundTo("bf16", v)).toBe(bf16BitsToNumber(numberToBf16Bits(v)));
      expect(roundTo("f16", v)).toBe(f16BitsToNumber(numberToF16Bits(v)));
      expect(f32ToF16Bits(v)).toBe(numberToF16Bits(v));
    }
    expect(Array.from(toF16Bits([1, 65520, -0, Number.NaN]))).toEqual([0x3c00, 0x7c00, 0x8000, 0x7e00]);
  });

  it("rounds a float64 once, not through float32", () => {
    // Just above the bf16 tie 1 + 2^-8: float32 would round it onto the tie, then to 1.
    const x = 1 + 2 ** -8 + 2 ** -40;
    expect(Math.fround(x)).toBe(1 + 2 ** -8);
    expect(roundTo("bf16", x)).toBe(1 + 2 ** -7);
  });

  it("measures ULPs of each dtype, down into the subnormals", () => {
    expect(ulpOf("f32", 1)).toBe(2 ** -23);
    expect(ulpOf("f16", 1)).toBe(2 ** -10);
    expect(ulpOf("bf16", 1)).toBe(2 ** -7);
    expect(ulpOf("bf16", 3)).toBe(2 ** -6);
    expect(ulpOf("f16", 0)).toBe(2 ** -24);
    expect(ulpOf("f16", 1e-6)).toBe(2 ** -24);
    expect(ulpOf("f32", 0)).toBe(2 ** -149);
    for (const a of [1, 1.5, 2 ** 40, 3e-300, 0.1, 2 ** -1030]) expect(2 ** exponentOf(a) <= a && a < 2 ** (exponentOf(a) + 1)).toBe(true);
  });
});

describe("the float64 reference", () => {
  it("matches hand-computed LayerNorm and RMSNorm values", () => {
    // LayerNorm [1, 2, 3, 4]: mean 2.5, variance 1.25.
    const ln = referenceNorm("layernorm", F32, { x: [1, 2, 3, 4], weight: [1, 2, 1, 1], bias: [0, 0, 1, 0], hidden: 4, eps: 0 });
    const s = Math.sqrt(1.25);
    expect(Array.from(ln.out)).toEqual([-1.5 / s, (2 * -0.5) / s, 0.5 / s + 1, 1.5 / s].map(Math.fround));
    expect(ln.mean[0]).toBe(2.5);
    // RMSNorm [3, 4]: mean square 12.5, so 3 / sqrt(12.5) and 4 / sqrt(12.5).
    const rms = referenceNorm("rmsnorm", F32, { x: [3, 4], weight: [1, 1], hidden: 2, eps: 0 });
    expect(rms.out[0]).toBe(Math.fround(6 / Math.sqrt(50)));
    expect(rms.out[1]).toBe(Math.fround(8 / Math.sqrt(50)));
    // Gemma: x * (1 + w) with w = 0.5 scales by 1.5.
    const gemma = referenceNorm("rmsnorm-offset", F32, { x: [3, 4], weight: [0.5, 0], hidden: 2, eps: 0 });
    expect(gemma.out[0]).toBe(Math.fround(1.5 * (6 / Math.sqrt(50))));
  });

  it("rounds where the llama and gemma orders round (bf16, by hand)", () => {
    // n = 6 / sqrt(50) = 0.84852...; bf16 spacing in [0.5, 1) is 2^-8. w = 1 + 2/128.
    // llama: bf16(n) = 217 * 2^-8 = 0.84765625; times 1.015625 = 0.8609008... -> 220 * 2^-8.
    // gemma: n * 1.015625 = 0.8617863... -> 221 * 2^-8, one bf16 ULP higher.
    const input = { x: [3, 4], weight: [1.015625, 1], hidden: 2, eps: 0 };
    expect(referenceNorm("rmsnorm", { dtype: "bf16", cast: "llama" }, input).out[0]).toBe(220 * 2 ** -8);
    expect(referenceNorm("rmsnorm", { dtype: "bf16", cast: "gemma" }, input).out[0]).toBe(221 * 2 ** -8);
    // An offset formed in bf16 loses what fp32 keeps: 1 + 2^-9 is 1 in bf16.
    const offset = { x: [3, 4], weight: [2 ** -9, 0], hidden: 2, eps: 0 };
    expect(referenceNorm("rmsnorm-offset", { dtype: "bf16", cast: "torch" }, offset).scale[0]).toBe(1);
    expect(referenceNorm("rmsnorm-offset", { dtype: "bf16", cast: "gemma" }, offset).scale[0]).toBe(1 + 2 ** -9);
    // Inputs are rounded on load: 1 + 2^-8 is 1 in bf16.
    expect(referenceNorm("layernorm-noweight", { dtype: "bf16", cast: "gemma" }, { x: [1 + 2 ** -8, 1], hidden: 2, eps: 1e-5 }).out[0]).toBe(0);
  });

  it("gives mean 0 and variance 1 for LayerNorm with w = 1, b = 0, and RMS 1 for RMSNorm", () => {
    const h = 512;
    const x = gaussian(11, 8 * h, 3, 2);
    const ones = new Float32Array(h).fill(1);
    const ln = referenceNorm("layernorm", { dtype: "f32", cast: "gemma" }, { x, weight: ones, bias: new Float32Array(h), hidden: h, eps: 0 });
    const rms = referenceNorm("rmsnorm", { dtype: "f32", cast: "gemma" }, { x, weight: ones, hidden: h, eps: 0 });
    for (let r = 0; r < 8; r++) {
      const y = row(ln.out, r, h);
      const mean = y.reduce((a, b) => a + b, 0) / h;
      const variance = y.reduce((a, b) => a + (b - mean) ** 2, 0) / h;
      expect(Math.abs(mean)).toBeLessThan(1e-7);
      expect(Math.abs(variance - 1)).toBeLessThan(1e-6);
      const z = row(rms.out, r, h);
      expect(Math.abs(Math.sqrt(z.reduce((a, b) => a + b * b, 0) / h) - 1)).toBeLessThan(1e-6);
    }
  });

  it("computes the offset variants as the plain ones with w + 1", () => {
    const h = 96;
    const x = gaussian(5, 4 * h, 0, 1);
    // Multiples of 2^-7 in (-1, 1): 1 + w is exact in bf16, f16 and f32, so every cast order agrees.
    const w = Float32Array.from(gaussian(6, h, 0, 0.3), (v) => Math.max(-127, Math.min(127, Math.round(v * 128))) / 128);
    const w1 = w.map((v) => v + 1);
    const b = gaussian(7, h, 0, 0.1);
    for (const dtype of ["f32", "f16", "bf16"] as const) {
      for (const cast of ["llama", "gemma", "torch"] as const) {
        const p = { dtype, cast };
        expect(referenceNorm("rmsnorm-offset", p, { x, weight: w, hidden: h, eps: 1e-6 }).out).toEqual(referenceNorm("rmsnorm", p, { x, weight: w1, hidden: h, eps: 1e-6 }).out);
        expect(referenceNorm("layernorm1p", p, { x, weight: w, bias: b, hidden: h, eps: 1e-5 }).out).toEqual(referenceNorm("layernorm", p, { x, weight: w1, bias: b, hidden: h, eps: 1e-5 }).out);
      }
    }
  });

  it("handles a constant row (variance 0) with eps, and refuses mismatched shapes", () => {
    const r = referenceNorm("layernorm", F32, { x: [2, 2, 2], weight: [1, 1, 1], bias: [0.5, 0, -1], hidden: 3, eps: 1e-5 });
    expect(Array.from(r.out)).toEqual([0.5, 0, -1]);
    expect(() => referenceNorm("rmsnorm", F32, { x: [1, 2, 3], weight: [1, 1], hidden: 2, eps: 0 })).toThrow(/whole number of rows/);
    expect(() => referenceNorm("rmsnorm", F32, { x: [1, 2], hidden: 2, eps: 0 })).toThrow(/needs a weight/);
    expect(() => referenceNorm("layernorm", F32, { x: [1, 2], weight: [1, 1], hidden: 2, eps: 0 })).toThrow(/needs a bias/);
  });

  it("maps the knowledge base's cast field to a cast order", () => {
    expect(castOrderOf("llama")).toBe("llama");
    expect(castOrderOf("t5")).toBe("llama");
    expect(castOrderOf("gemma")).toBe("gemma");
    expect(castOrderOf("fp32")).toBe("gemma");
    expect(castOrderOf("torch")).toBe("torch");
    expect(castOrderOf("other")).toBeUndefined();
  });
});

describe("verification", () => {
  const h = 256;
  const x = gaussian(21, 4 * h, 0.5, 1.5);
  const w = gaussian(22, h, 0, 0.2);

  it("passes the reference itself and fails a missing offset, with figures either way", () => {
    const p: Precision = { dtype: "bf16", cast: "gemma" };
    const input = { x, weight: w, hidden: h, eps: 1e-6 };
    const right = referenceNorm("rmsnorm-offset", p, input).out;
    const ok = verifyNorm(right, "rmsnorm-offset", p, input);
    expect(ok.verified).toBe(true);
    expect(ok.maxUlp).toBe(0);
    expect(describeVerification(ok)).toMatch(/^GPU-verified \(bf16\): max 0\.00 ULP/);
    const wrong = referenceNorm("rmsnorm", p, input).out;
    const bad = verifyNorm(wrong, "rmsnorm-offset", p, input);
    expect(bad.verified).toBe(false);
    expect(bad.maxUlp).toBeGreaterThan(50);
    expect(bad.maxRel).toBeGreaterThan(0.5);
    expect(describeVerification(bad)).toMatch(/^NOT verified \(bf16\): max error .* ULP exceeds/);
  });

  it("counts a one-ULP change as one ULP, and a NaN on one side as a failure", () => {
    const want = [1, 2, -3, 0.5];
    const got = [1, 2 + 2 ** -6, -3, 0.5];
    const v = verifyOutput(got, want, { dtype: "bf16" });
    expect(v.maxUlp).toBe(1);
    expect(v.worst?.index).toBe(1);
    expect(v.verified).toBe(true);
    expect(verifyOutput([1, Number.NaN], [1, Number.NaN], { dtype: "f32" }).verified).toBe(true);
    const nan = verifyOutput([1, Number.NaN], [1, 2], { dtype: "f32" });
    expect(nan.verified).toBe(false);
    expect(nan.nonFiniteMismatches).toBe(1);
    expect(verifyOutput([1], [1, 2], { dtype: "f32" }).verified).toBe(false);
    expect(TOLERANCES.f32.maxUlp).toBeGreaterThan(TOLERANCES.bf16.maxUlp);
  });

  it("measures near-zero outputs against the row's scale, not their own size", () => {
    // A LayerNorm output of 1e-9 off by 1e-7 is a rounding of the row's statistics, not a bug.
    const v = verifyOutput([1e-9 + 1e-7], [1e-9], { dtype: "f32", hidden: 1, floor: () => 1 });
    expect(v.maxUlp).toBeLessThan(1);
    expect(verifyOutput([1e-9 + 1e-7], [1e-9], { dtype: "f32" }).maxUlp).toBeGreaterThan(1e6);
  });
});

describe("comparing two conventions", () => {
  it("reports relative L2, cosine, the largest difference and per-channel figures", () => {
    const a = [1, 0, 0, 1];
    const b = [1, 0, 0, 2];
    const c = compareOutputs(a, b, 2);
    expect(c.relL2).toBeCloseTo(1 / Math.sqrt(2), 12);
    expect(c.cosine).toBeCloseTo(3 / Math.sqrt(2 * 5), 12);
    expect(c.maxAbsDiff).toBe(1);
    expect(c.maxAt).toEqual({ index: 3, row: 1, channel: 1 });
    expect(Array.from(c.channelMaxAbs)).toEqual([0, 1]);
    expect(Array.from(c.channelRms)).toEqual([0, Math.sqrt(0.5)]);
    expect(compareOutputs(a, a).relL2).toBe(0);
    expect(compareOutputs(a, a).cosine).toBe(1);
    expect(compareOutputs([0, 0], [0, 0]).cosine).toBe(1);
    expect(compareOutputs([1, Number.NaN], [1, 3]).nonFinite).toBe(1);
  });

  it("shows a missing Gemma offset as a large relative L2 error", () => {
    const h = 128;
    const x = gaussian(31, 8 * h);
    const w = gaussian(32, h, 0, 0.1); // stored as offsets: near 0
    const input = { x, weight: w, hidden: h, eps: 1e-6 };
    const declared = referenceNorm("rmsnorm-offset", F32, input).out;
    const implemented = referenceNorm("rmsnorm", F32, input).out;
    const c = compareOutputs(declared, implemented, h);
    expect(c.relL2).toBeGreaterThan(0.9);
    expect(c.cosine).toBeLessThan(0.2);
  });

  it("centres histogram bins on 0 and 1 and always shows both", () => {
    const near0 = weightHistogram(gaussian(41, 4096, 0, 0.05));
    expect(near0.centers).toContain(0);
    expect(Array.from(near0.centers).some((c) => Math.abs(c - 1) < 1e-12)).toBe(true);
    expect(near0.fracNear0).toBeGreaterThan(0.99);
    expect(near0.fracNear1).toBe(0);
    const k0 = Math.round(0 / near0.width) - near0.first;
    expect(near0.counts[k0]).toBe(Math.max(...near0.counts));
    const ones = weightHistogram(new Float32Array(100).fill(1));
    const k1 = Math.round(1 / ones.width) - ones.first;
    expect(ones.counts[k1]).toBe(100);
    expect(ones.fracNear1).toBe(1);
    const tails = weightHistogram([...new Float32Array(2000).fill(0.5), 1e6, Number.NaN]);
    expect(tails.above).toBe(1);
    expect(tails.nonFinite).toBe(1);
    expect(tails.counts.reduce((s, n) => s + n, 0) + tails.above + tails.below).toBe(2001);
  });
});

describe("seeded inputs", () => {
  it("are reproducible and Gaussian", () => {
    expect(gaussian(3, 1001)).toEqual(gaussian(3, 1001));
    expect(gaussian(3, 10)).not.toEqual(gaussian(4, 10));
    const g = gaussian(9, 100_000, 2, 3);
    const mean = g.reduce((a, b) => a + b, 0) / g.length;
    const sd = Math.sqrt(g.reduce((a, b) => a + (b - mean) ** 2, 0) / g.length);
    expect(Math.abs(mean - 2)).toBeLessThan(0.05);
    expect(Math.abs(sd - 3)).toBeLessThan(0.05);
  });
});

it("names every variant's shape", () => {
  const names = Object.keys(NORM_VARIANTS) as NormVariant[];
  expect(names).toEqual(["layernorm", "layernorm-nobias", "layernorm-noweight", "rmsnorm", "rmsnorm-offset", "layernorm1p"]);
});
