// f32 activations: nothing is rounded beyond fp32 arithmetic itself.
alias act = f32;

fn load_act(v: act) -> f32 {
  return v;
}

fn round_dt(v: f32) -> f32 {
  return v;
}

fn store_act(v: f32) -> act {
  return v;
}
