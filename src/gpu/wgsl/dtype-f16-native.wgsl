enable f16;

// f16 activations in f16 buffers (needs the adapter's shader-f16 feature). Loads widen exactly;
// the host rounded the f32 inputs to f16 (nearest, ties to even) when it filled the buffers.
// Arithmetic between the casts stays in f32, rounded with round_f16 at the same points as
// PyTorch, which computes half-precision products in fp32 and rounds once; WGSL's own f16
// arithmetic may round either way. The value stored is exactly representable, so the f16()
// conversion is exact.
alias act = f16;

fn load_act(v: act) -> f32 {
  return f32(v);
}

fn round_dt(v: f32) -> f32 {
  return round_f16(v);
}

fn store_act(v: f32) -> act {
  return f16(round_f16(v));
}
