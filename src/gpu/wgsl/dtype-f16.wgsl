// f16 emulated on f32 storage, for adapters without shader-f16: the same rounding points as the
// native path (dtype-f16-native.wgsl), so both give the same numbers.
alias act = f32;

fn load_act(v: act) -> f32 {
  return round_f16(v);
}

fn round_dt(v: f32) -> f32 {
  return round_f16(v);
}

fn store_act(v: f32) -> act {
  return round_f16(v);
}
