// Decoding of the small float formats checkpoints store (IEEE half, bfloat16, the two OCP FP8
// formats) to float32, little-endian. Every value of these formats is exactly representable in
// float32, so decoding is exact; the tables are built once on first use (f16: 256 KiB).
// The encoders (round to nearest, ties to even) exist for tests and fixture builders.

let f16Table: Float32Array | undefined;
let e4m3Table: Float32Array | undefined;
let e5m2Table: Float32Array | undefined;

/** One IEEE 754 binary16 bit pattern to its value. */
export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** One bfloat16 bit pattern (the top half of a float32) to its value. */
export function bf16BitsToNumber(h: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, (h & 0xffff) << 16);
  return view.getFloat32(0);
}

/**
 * One float8 E4M3 "fn" byte (OCP FP8, torch.float8_e4m3fn, safetensors F8_E4M3): bias 7, no
 * infinities, NaN only for S.1111.111, largest finite 448.
 */
export function e4m3fnBitsToNumber(b: number): number {
  const sign = b & 0x80 ? -1 : 1;
  const exp = (b >> 3) & 0xf;
  const mant = b & 0x7;
  if (exp === 0xf && mant === 0x7) return Number.NaN;
  if (exp === 0) return sign * mant * 2 ** -9;
  return sign * (1 + mant / 8) * 2 ** (exp - 7);
}

/** One float8 E5M2 byte (torch.float8_e5m2, safetensors F8_E5M2): IEEE-like, bias 15, with inf/NaN. */
export function e5m2BitsToNumber(b: number): number {
  const sign = b & 0x80 ? -1 : 1;
  const exp = (b >> 2) & 0x1f;
  const mant = b & 0x3;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  if (exp === 0) return sign * mant * 2 ** -16;
  return sign * (1 + mant / 4) * 2 ** (exp - 15);
}

function table(size: number, fn: (bits: number) => number): Float32Array {
  const t = new Float32Array(size);
  for (let i = 0; i < size; i++) t[i] = fn(i);
  return t;
}

function checkLength(bytes: Uint8Array, width: number, what: string): number {
  if (bytes.length % width !== 0) throw new RangeError(`${what}: ${bytes.length} bytes is not a multiple of ${width}`);
  return bytes.length / width;
}

export function decodeF16(bytes: Uint8Array): Float32Array {
  const n = checkLength(bytes, 2, "f16");
  const t = (f16Table ??= table(65536, f16BitsToNumber));
  const out = new Float32Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 2) out[i] = t[bytes[j] | (bytes[j + 1] << 8)];
  return out;
}

export function decodeBF16(bytes: Uint8Array): Float32Array {
  const n = checkLength(bytes, 2, "bf16");
  const bits = new Uint32Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 2) bits[i] = ((bytes[j] | (bytes[j + 1] << 8)) << 16) >>> 0;
  // A Uint32Array and a Float32Array over one buffer share the platform's byte order, so this
  // reinterpretation is endian-neutral.
  return new Float32Array(bits.buffer);
}

export function decodeF8E4M3(bytes: Uint8Array): Float32Array {
  const t = (e4m3Table ??= table(256, e4m3fnBitsToNumber));
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = t[bytes[i]];
  return out;
}

export function decodeF8E5M2(bytes: Uint8Array): Float32Array {
  const t = (e5m2Table ??= table(256, e5m2BitsToNumber));
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = t[bytes[i]];
  return out;
}

export function decodeF32(bytes: Uint8Array): Float32Array {
  const n = checkLength(bytes, 4, "f32");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** float64 to float32: rounds to nearest, as torch's `.float()` does. */
export function decodeF64(bytes: Uint8Array): Float32Array {
  const n = checkLength(bytes, 8, "f64");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

// ---- encoders (round to nearest even; used to build fixtures and to cross-check the decoders) ----

const f32View = new DataView(new ArrayBuffer(4));

/** float32 bit pattern of a number (after rounding it to float32). */
export function f32Bits(x: number): number {
  f32View.setFloat32(0, x);
  return f32View.getUint32(0);
}

/** Nearest bfloat16 (ties to even); NaN stays a quiet NaN. */
export function numberToBf16Bits(x: number): number {
  const bits = f32Bits(x);
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return (bits >>> 16) | 0x40;
  const rounded = bits + 0x7fff + ((bits >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/**
 * Nearest value of a small float format given as sorted non-negative finite magnitudes with their
 * codes. Ties go to the even code; beyond the largest finite value, `overflow` is returned.
 */
function encodeSmall(x: number, mags: Float64Array, overflowCode: number, nanCode: number, signBit: number): number {
  if (Number.isNaN(x)) return nanCode;
  const sign = x < 0 || Object.is(x, -0) ? signBit : 0;
  const a = Math.abs(x);
  const last = mags.length - 1;
  if (a > mags[last]) {
    // Past the largest finite value: infinity when the format has one, else NaN (torch's e4m3fn).
    // The largest finite code is odd in f16 and e5m2 (a tie rounds up, to infinity) and even in
    // e4m3fn (a tie rounds down, to 448).
    const halfway = mags[last] + (mags[last] - mags[last - 1]) / 2;
    if (overflowCode < 0) return a > halfway ? nanCode | sign : last | sign;
    return a >= halfway ? overflowCode | sign : last | sign;
  }
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (mags[mid] <= a) lo = mid;
    else hi = mid;
  }
  const dLo = a - mags[lo];
  const dHi = mags[hi] - a;
  const code = dLo < dHi ? lo : dHi < dLo ? hi : lo % 2 === 0 ? lo : hi;
  return code | sign;
}

let e4m3Mags: Float64Array | undefined;
let e5m2Mags: Float64Array | undefined;
let f16Mags: Float64Array | undefined;

export function numberToF16Bits(x: number): number {
  f16Mags ??= Float64Array.from({ length: 0x7c00 }, (_, i) => f16BitsToNumber(i));
  return encodeSmall(x, f16Mags, 0x7c00, 0x7e00, 0x8000);
}

/** Nearest e4m3fn byte; |x| beyond 464 (halfway past 448) becomes NaN, as the format has no inf. */
export function numberToE4m3fnBits(x: number): number {
  e4m3Mags ??= Float64Array.from({ length: 0x7f }, (_, i) => e4m3fnBitsToNumber(i));
  return encodeSmall(x, e4m3Mags, -1, 0x7f, 0x80);
}

export function numberToE5m2Bits(x: number): number {
  e5m2Mags ??= Float64Array.from({ length: 0x7c }, (_, i) => e5m2BitsToNumber(i));
  return encodeSmall(x, e5m2Mags, 0x7c, 0x7e, 0x80);
}
