import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBF16 } from "../src/engine/numerics/dtypes";
import { classifyOffsetEncoding, median, normStats, tensorStats } from "../src/engine/weights/norm-stats";
import { encodeValues, type Fill, fillValues, rng } from "./harness/checkpoint-builder";

/** Values as a bf16 checkpoint stores them. */
const bf16 = (v: ArrayLike<number>) => decodeBF16(encodeValues("BF16", v));

/** A tensor of `n` values around `mean` with spread `sd` (seeded). */
function around(mean: number, sd: number, n: number, seed: number): Float64Array {
  const rand = rng(seed);
  return Float64Array.from({ length: n }, () => mean + sd * Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand()));
}

function model(layers: number, perLayer: string[], fill: Fill, hidden = 1024, seed = 1) {
  const out: Array<{ name: string; data: Float32Array }> = [];
  for (let l = 0; l < layers; l++) {
    for (const norm of perLayer) out.push({ name: `model.layers.${l}.${norm}.weight`, data: bf16(fillValues(fill, hidden, seed * 1000 + l * 10 + out.length)) });
  }
  out.push({ name: "model.norm.weight", data: bf16(fillValues(fill, hidden, seed * 7777)) });
  return out;
}

const GEMMA2 = ["input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm"];
const LLAMA = ["input_layernorm", "post_attention_layernorm"];

describe("tensor statistics", () => {
  it("counts, means, medians and the near-0 / near-1 fractions over finite values", () => {
    const s = tensorStats("w", [0, 0.1, -0.3, 1, 1.2, NaN, Infinity, -Infinity]);
    expect(s).toMatchObject({ count: 8, finite: 5, nanCount: 1, infCount: 2, min: -0.3, max: 1.2, median: 0.1 });
    expect(s.mean).toBeCloseTo(0.4, 12);
    expect(s.fracNear0).toBeCloseTo(2 / 5);
    expect(s.fracNear1).toBeCloseTo(2 / 5);
    expect(s.fracNegative).toBeCloseTo(1 / 5);
    const none = tensorStats("nan", [NaN, NaN]);
    expect(none.finite).toBe(0);
    expect(none.mean).toBeNaN();
    expect(tensorStats("even", [4, 1, 3, 2]).median).toBe(2.5);
  });

  it("median by selection equals the median by sorting", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, 1, -1)), { minLength: 1, maxLength: 300 }), (xs) => {
        const sorted = [...xs].sort((a, b) => a - b);
        const n = sorted.length;
        const want = n % 2 ? sorted[n >> 1] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        const got = median(Float64Array.from(xs));
        if (Number.isFinite(want)) expect(got).toBe(want);
      }),
      { numRuns: 500, seed: 7 },
    );
    expect(median(new Float64Array(10_000).fill(3))).toBe(3);
    expect(median(Float64Array.from({ length: 10_001 }, (_, i) => i))).toBe(5000);
  });

  it("summarizes across tensors: median of means, shares near 0 and near 1, non-finite count", () => {
    const s = normStats([
      { name: "a", data: [0, 0.1, -0.1] },
      { name: "b", data: [1, 1.1, 0.9] },
      { name: "c", data: [0.05, NaN, 0.02] },
      { name: "d", data: [NaN] },
    ]);
    expect(s.usable).toBe(3);
    expect(s.medianOfMeans).toBeCloseTo(0.035);
    expect(s.shareNear0).toBeCloseTo(2 / 3);
    expect(s.shareNear1).toBeCloseTo(1 / 3);
    expect(s.nonFinite).toBe(2);
  });
});

describe("offset or plain", () => {
  it("Gemma-style checkpoints (weights near 0, spread 0.05-0.5, some layers up to 0.5, outliers) are offset", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const g = classifyOffsetEncoding(normStats(model(26, GEMMA2, "gemma-like", 1024, seed)));
      expect(g.encoding, g.reason).toBe("offset");
      expect(g.confidence).toBeGreaterThanOrEqual(0.7);
      expect(g.evidence.length).toBeGreaterThan(0);
      expect(g.evidence.every((e) => e.mean < 0.6)).toBe(true);
    }
  });

  it("Llama-style checkpoints (weights near 1, late layers 0.3-2, large final norm) are plain", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const g = classifyOffsetEncoding(normStats(model(32, LLAMA, "llama-like", 1024, seed)));
      expect(g.encoding, g.reason).toBe("plain");
      expect(g.confidence).toBeGreaterThanOrEqual(0.6);
    }
    // Spelled out: small first-layer weights, drifting late layers, a final norm of 2.5.
    const tensors = [{ name: "model.layers.0.input_layernorm.weight", data: around(0.04, 0.03, 4096, 1) }];
    for (let l = 0; l < 32; l++) {
      const mean = l < 24 ? 0.8 + 0.4 * (l / 24) : 0.35 + 0.3 * ((l - 24) / 8);
      if (l) tensors.push({ name: `model.layers.${l}.input_layernorm.weight`, data: around(mean, 0.1, 4096, 10 + l) });
      tensors.push({ name: `model.layers.${l}.post_attention_layernorm.weight`, data: around(mean, 0.1, 4096, 100 + l) });
    }
    tensors.push({ name: "model.norm.weight", data: around(2.5, 0.4, 4096, 999) });
    const g = classifyOffsetEncoding(normStats(tensors));
    expect(g.encoding, g.reason).toBe("plain");
  });

  it("fresh initialisations: all ones is plain, all zeros is offset", () => {
    const ones = Array.from({ length: 12 }, (_, i) => ({ name: `n${i}`, data: new Float32Array(64).fill(1) }));
    const zeros = Array.from({ length: 12 }, (_, i) => ({ name: `n${i}`, data: new Float32Array(64) }));
    expect(classifyOffsetEncoding(normStats(ones))).toMatchObject({ encoding: "plain", confidence: 1 });
    expect(classifyOffsetEncoding(normStats(zeros))).toMatchObject({ encoding: "offset", confidence: 1 });
  });

  it("stays unknown on weak evidence: few tensors, mixed sides, means between 0.3 and 0.7, low counts", () => {
    const few = classifyOffsetEncoding(normStats(model(1, ["input_layernorm"], "gemma-like")));
    expect(few.encoding).toBe("unknown");
    expect(few.reason).toContain("only 2");
    const mixed = classifyOffsetEncoding(normStats([...model(8, LLAMA, "gemma-like"), ...model(8, LLAMA, "llama-like", 1024, 9)]));
    expect(mixed).toMatchObject({ encoding: "unknown", confidence: 0 });
    expect(mixed.reason).toContain("mixed");
    const middle = Array.from({ length: 40 }, (_, i) => ({ name: `n${i}`, data: around(0.35 + 0.3 * (i / 40), 0.1, 512, i) }));
    const m = classifyOffsetEncoding(normStats(middle));
    expect(m.encoding).toBe("unknown");
    // Five clean tensors: a lean, not an answer.
    const five = Array.from({ length: 4 }, (_, i) => ({ name: `n${i}`, data: around(0.02, 0.05, 256, i) }));
    const weak = classifyOffsetEncoding(normStats(five));
    expect(weak).toMatchObject({ encoding: "unknown", lean: "offset" });
    // 30% of tensors on the other side is too many, whatever the median says.
    const split = [...Array.from({ length: 14 }, (_, i) => ({ name: `a${i}`, data: around(1, 0.1, 256, i) })), ...Array.from({ length: 6 }, (_, i) => ({ name: `b${i}`, data: around(0, 0.1, 256, 50 + i) }))];
    expect(classifyOffsetEncoding(normStats(split)).encoding).toBe("unknown");
  });

  it("ignores NaN and infinities in the classification and counts them", () => {
    const tensors = model(12, LLAMA, "gemma-like");
    tensors[0].data[0] = NaN;
    tensors[1].data[3] = Infinity;
    tensors.push({ name: "broken", data: new Float32Array(16).fill(NaN) });
    const s = normStats(tensors);
    expect(s.nonFinite).toBe(18);
    expect(s.usable).toBe(tensors.length - 1);
    expect(classifyOffsetEncoding(s).encoding).toBe("offset");
  });

  it("never answers against the evidence (random models, 1,000 cases)", () => {
    // A model: a centre anywhere from -0.5 to 2.5, each tensor's mean scattered around it.
    const hundredths = (min: number, max: number) => fc.integer({ min: min * 100, max: max * 100 }).map((x) => x / 100);
    const modelArb = fc.record({
      centre: hundredths(-0.5, 2.5),
      tensors: fc.array(fc.record({ jitter: hundredths(-0.6, 0.6), sd: hundredths(0, 0.5), seed: fc.nat() }), { maxLength: 40 }),
    });
    const outcomes = { offset: 0, plain: 0, unknown: 0 };
    fc.assert(
      fc.property(modelArb, ({ centre, tensors: specs }) => {
        const tensors = specs.map((t, i) => ({ name: `t${i}`, data: bf16(around(centre + t.jitter, t.sd, 128, t.seed)) }));
        const s = normStats(tensors);
        const g = classifyOffsetEncoding(s);
        outcomes[g.encoding]++;
        expect(g.confidence).toBeGreaterThanOrEqual(0);
        expect(g.confidence).toBeLessThanOrEqual(1);
        if (g.encoding === "unknown") expect(g.confidence).toBe(0);
        if (g.encoding === "offset") {
          expect(s.medianOfMeans).toBeLessThan(0.3);
          expect(s.shareNear1).toBeLessThanOrEqual(0.1);
        }
        if (g.encoding === "plain") {
          expect(s.medianOfMeans).toBeGreaterThan(0.7);
          expect(s.shareNear0).toBeLessThanOrEqual(0.1);
        }
        const medians = s.tensors.map((t) => t.median);
        if (medians.length && medians.every((m) => m > 0.7)) expect(g.encoding).not.toBe("offset");
        if (medians.length && medians.every((m) => m < 0.3)) expect(g.encoding).not.toBe("plain");
        if (specs.length < 4) expect(g.encoding).toBe("unknown");
      }),
      { numRuns: 1000, seed: 11 },
    );
    // Each answer came up often enough for the property to mean something.
    expect(Math.min(outcomes.offset, outcomes.plain, outcomes.unknown), JSON.stringify(outcomes)).toBeGreaterThan(50);
  });
});
