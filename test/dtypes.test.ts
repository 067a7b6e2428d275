import { describe, expect, it } from "vitest";
import {
  bf16BitsToNumber,
  decodeBF16,
  decodeF16,
  decodeF32,
  decodeF64,
  decodeF8E4M3,
  decodeF8E5M2,
  e4m3fnBitsToNumber,
  e5m2BitsToNumber,
  f16BitsToNumber,
  f32Bits,
  numberToBf16Bits,
  numberToE4m3fnBits,
  numberToE5m2Bits,
  numberToF16Bits,
} from "../src/engine/numerics/dtypes";

const le16 = (...codes: number[]) => new Uint8Array(codes.flatMap((c) => [c & 0xff, c >> 8]));

describe("f16", () => {
  it("decodes known bit patterns exactly", () => {
    const cases: Array<[number, number]> = [
      [0x0000, 0],
      [0x3c00, 1],
      [0xbc00, -1],
      [0x4000, 2],
      [0x3800, 0.5],
      [0x3555, 0.333251953125],
      [0x7bff, 65504],
      [0x0400, 2 ** -14], // smallest normal
      [0x0001, 2 ** -24], // smallest subnormal
      [0x03ff, 1023 * 2 ** -24], // largest subnormal
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
    ];
    for (const [bits, value] of cases) expect(f16BitsToNumber(bits), bits.toString(16)).toBe(value);
    expect(Object.is(f16BitsToNumber(0x8000), -0)).toBe(true);
    expect(f16BitsToNumber(0x7e00)).toBeNaN();
    expect(f16BitsToNumber(0x7c01)).toBeNaN();
    expect(Array.from(decodeF16(le16(0x3c00, 0x7c00, 0x0001, 0xc000)))).toEqual([1, Infinity, 2 ** -24, -2]);
  });

  it("round-trips all 63,488 non-NaN patterns through the encoder", () => {
    const all = new Uint8Array(65536 * 2);
    for (let i = 0; i < 65536; i++) [all[2 * i], all[2 * i + 1]] = [i & 0xff, i >> 8];
    const decoded = decodeF16(all);
    let checked = 0;
    const wrong: number[] = [];
    for (let i = 0; i < 65536; i++) {
      const exp = (i >> 10) & 0x1f;
      if (exp === 0x1f && i & 0x3ff) {
        if (!Number.isNaN(decoded[i])) wrong.push(i);
        continue;
      }
      if (!Object.is(decoded[i], f16BitsToNumber(i)) || numberToF16Bits(decoded[i]) !== i) wrong.push(i);
      checked++;
    }
    expect(wrong).toEqual([]);
    expect(checked).toBe(65536 - 2 * 1023);
  });

  it("rounds to nearest even and overflows to infinity at 65520", () => {
    expect(numberToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // halfway, ties to even (down)
    expect(numberToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway, ties to even (up)
    expect(numberToF16Bits(65519)).toBe(0x7bff);
    expect(numberToF16Bits(65520)).toBe(0x7c00);
    expect(numberToF16Bits(2 ** -25)).toBe(0x0000); // halfway to the smallest subnormal: even is 0
    expect(numberToF16Bits(NaN)).toBe(0x7e00);
  });
});

describe("bf16", () => {
  it("decodes known bit patterns exactly", () => {
    expect(bf16BitsToNumber(0x3f80)).toBe(1);
    expect(bf16BitsToNumber(0xbf80)).toBe(-1);
    expect(bf16BitsToNumber(0x4049)).toBe(3.140625);
    expect(bf16BitsToNumber(0x7f80)).toBe(Infinity);
    expect(bf16BitsToNumber(0xff80)).toBe(-Infinity);
    expect(bf16BitsToNumber(0x7fc0)).toBeNaN();
    expect(bf16BitsToNumber(0x0001)).toBe(2 ** -133); // smallest subnormal
    expect(bf16BitsToNumber(0x7f7f)).toBe(3.3895313892515355e38); // largest finite
    expect(Array.from(decodeBF16(le16(0x3f80, 0x0000, 0xc000, 0x3e80)))).toEqual([1, 0, -2, 0.25]);
  });

  it("is the top half of float32, and the encoder rounds to nearest even", () => {
    const bytes = new Uint8Array(65536 * 2);
    for (let i = 0; i < 65536; i++) [bytes[2 * i], bytes[2 * i + 1]] = [i & 0xff, i >> 8];
    const d = decodeBF16(bytes);
    const wrong: number[] = [];
    for (let i = 0; i < 65536; i++) {
      if (Number.isNaN(d[i])) continue;
      if (f32Bits(d[i]) >>> 16 !== i || numberToBf16Bits(d[i]) !== i) wrong.push(i);
    }
    expect(wrong).toEqual([]);
    expect(numberToBf16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie, even down
    expect(numberToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie, even up
  });
});

describe("float8", () => {
  it("decodes e4m3fn: 448 max, NaN only at S.1111.111, no infinity, subnormals", () => {
    expect(e4m3fnBitsToNumber(0x38)).toBe(1);
    expect(e4m3fnBitsToNumber(0xb8)).toBe(-1);
    expect(e4m3fnBitsToNumber(0x7e)).toBe(448);
    expect(e4m3fnBitsToNumber(0xfe)).toBe(-448);
    expect(e4m3fnBitsToNumber(0x7f)).toBeNaN();
    expect(e4m3fnBitsToNumber(0xff)).toBeNaN();
    expect(e4m3fnBitsToNumber(0x78)).toBe(256); // exponent all ones is finite in fn
    expect(e4m3fnBitsToNumber(0x01)).toBe(2 ** -9);
    expect(e4m3fnBitsToNumber(0x07)).toBe(7 * 2 ** -9);
    expect(e4m3fnBitsToNumber(0x08)).toBe(2 ** -6);
    const all = decodeF8E4M3(Uint8Array.from({ length: 256 }, (_, i) => i));
    expect(all.filter((v) => Number.isNaN(v)).length).toBe(2);
    expect(all.some((v) => !Number.isFinite(v) && !Number.isNaN(v))).toBe(false);
    for (let i = 0; i < 256; i++) if (!Number.isNaN(all[i])) expect(numberToE4m3fnBits(all[i])).toBe(i === 0x80 ? 0x80 : i);
    expect(numberToE4m3fnBits(464)).toBe(0x7e); // tie goes to the even 448
    expect(numberToE4m3fnBits(465)).toBe(0x7f); // past it: NaN, as torch saturates nothing
  });

  it("decodes e5m2: infinity at 0x7C, NaN above, 57344 max, subnormals", () => {
    expect(e5m2BitsToNumber(0x3c)).toBe(1);
    expect(e5m2BitsToNumber(0x7c)).toBe(Infinity);
    expect(e5m2BitsToNumber(0xfc)).toBe(-Infinity);
    expect(e5m2BitsToNumber(0x7d)).toBeNaN();
    expect(e5m2BitsToNumber(0x7f)).toBeNaN();
    expect(e5m2BitsToNumber(0x7b)).toBe(57344);
    expect(e5m2BitsToNumber(0x01)).toBe(2 ** -16);
    expect(e5m2BitsToNumber(0x04)).toBe(2 ** -14);
    const all = decodeF8E5M2(Uint8Array.from({ length: 256 }, (_, i) => i));
    for (let i = 0; i < 256; i++) {
      // e5m2 is the top byte of f16.
      const h = f16BitsToNumber(i << 8);
      if (Number.isNaN(h)) expect(all[i]).toBeNaN();
      else {
        expect(all[i]).toBe(h);
        expect(numberToE5m2Bits(all[i])).toBe(i);
      }
    }
    expect(numberToE5m2Bits(61440)).toBe(0x7c);
  });
});

describe("f32 and f64", () => {
  it("reads little-endian regardless of alignment", () => {
    const buf = new Uint8Array(13);
    const view = new DataView(buf.buffer);
    view.setFloat32(1, 1.5, true);
    view.setFloat32(5, -Infinity, true);
    view.setFloat32(9, 2 ** -149, true);
    expect(Array.from(decodeF32(buf.subarray(1)))).toEqual([1.5, -Infinity, 2 ** -149]);
    const b64 = new Uint8Array(16);
    new DataView(b64.buffer).setFloat64(0, 0.1, true);
    new DataView(b64.buffer).setFloat64(8, 1e300, true);
    expect(Array.from(decodeF64(b64))).toEqual([Math.fround(0.1), Infinity]);
  });

  it("refuses a byte count that is not a whole number of elements", () => {
    expect(() => decodeF16(new Uint8Array(3))).toThrow(RangeError);
    expect(() => decodeF32(new Uint8Array(6))).toThrow(RangeError);
  });
});
