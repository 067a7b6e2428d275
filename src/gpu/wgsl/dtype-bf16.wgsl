// bfloat16 emulated on f32 storage: values are rounded to bf16 (nearest, ties to even) on load, at
// each cast to the activation dtype, and on store, so the buffers hold bf16 values as f32.
alias act = f32;

fn load_act(v: act) -> f32 {
  return round_bf16(v);
}

fn round_dt(v: f32) -> f32 {
  return round_bf16(v);
}

fn store_act(v: f32) -> act {
  return round_bf16(v);
}
