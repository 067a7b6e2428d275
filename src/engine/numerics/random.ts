// Seeded pseudo-random inputs for the Norm Lab, the CLI and the tests: the same seed gives the same
// activations everywhere (mulberry32, then Box-Muller), so a figure can be reproduced from the
// seed and scale shown next to it.

/** A generator of uniform numbers in [0, 1) from a 32-bit seed. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` Gaussian values with the given mean and standard deviation, as float32. */
export function gaussian(seed: number, count: number, mean = 0, std = 1): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    // 1 - u lies in (0, 1], so the logarithm is finite.
    const r = Math.sqrt(-2 * Math.log(1 - next()));
    const t = 2 * Math.PI * next();
    out[i] = mean + std * r * Math.cos(t);
    if (i + 1 < count) out[i + 1] = mean + std * r * Math.sin(t);
  }
  return out;
}
