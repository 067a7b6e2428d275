// Round to nearest, ties to even, from f32 to bfloat16 and to IEEE binary16, done on the bit
// pattern: WGSL leaves the rounding of an f32 -> f16 conversion to the implementation, and has no
// bf16 at all. Both return an f32 that holds the rounded value exactly; overflow gives infinity,
// NaN stays NaN. The TypeScript reference (src/engine/numerics/reference.ts) rounds the same way.

fn round_bf16(v: f32) -> f32 {
  let b = bitcast<u32>(v);
  if ((b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu) != 0u) {
    return bitcast<f32>((b | 0x00400000u) & 0xffff0000u);
  }
  // Adding 0x7fff plus the lowest kept bit carries into the kept bits exactly when the dropped
  // half is above one half, or equal to it with an odd kept part; a carry out of the mantissa
  // steps the exponent, up to infinity.
  return bitcast<f32>((b + 0x7fffu + ((b >> 16u) & 1u)) & 0xffff0000u);
}

fn round_f16(v: f32) -> f32 {
  let b = bitcast<u32>(v);
  let sign = b & 0x80000000u;
  let a = b & 0x7fffffffu;
  if (a >= 0x7f800000u) {
    return v;
  }
  if (a >= 0x38800000u) {
    // Normal in f16 (|v| >= 2^-14): drop 13 mantissa bits as above; past 65504 is infinity.
    let r = (a + 0x0fffu + ((a >> 13u) & 1u)) & 0xffffe000u;
    if (r >= 0x47800000u) {
      return bitcast<f32>(sign | 0x7f800000u);
    }
    return bitcast<f32>(sign | r);
  }
  // Subnormal in f16: a multiple of 2^-24. Scaling by 2^24 is exact and WGSL's round() is
  // ties-to-even.
  let q = round(bitcast<f32>(a) * 16777216.0);
  return bitcast<f32>(sign | bitcast<u32>(ldexp(q, -24)));
}
