// LayerNorm and RMSNorm with their variants, one workgroup per row. The workgroup sums its row in
// workgroup memory (a tree reduction), twice for LayerNorm: the mean, then the squared deviations
// from it (two passes, as accurate as fp32 allows even for rows with a large mean). Then every
// thread writes its strided share of the row. Any hidden size works: threads past the end of a
// short row add nothing.
//
// A dtype file (dtype-*.wgsl) supplies `act`, `load_act`, `round_dt` and `store_act`; the pipeline
// constants choose the variant and the cast order (src/engine/numerics/norms.ts explains both).

// Subtract the row mean (LayerNorm) or not (RMSNorm).
override CENTER: bool = true;
// 0: no weight; 1: x * w; 2: x * (1 + w).
override WEIGHT: u32 = 1u;
override BIAS: bool = false;
// 0: gemma (fp32 throughout, one cast at the end); 1: llama (cast, then scale in the dtype);
// 2: torch (as gemma, but 1 + w formed in the dtype).
override CAST: u32 = 0u;
// Threads per workgroup: a power of two, at most the device's limit.
override WG: u32 = 256u;

struct Params {
  rows: u32,
  hidden: u32,
  eps: f32,
  // Workgroups along x; rows beyond 65535 continue along y.
  grid_x: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<act>;
@group(0) @binding(2) var<storage, read> weight: array<act>;
@group(0) @binding(3) var<storage, read> bias: array<act>;
@group(0) @binding(4) var<storage, read_write> y: array<act>;

var<workgroup> partial: array<f32, WG>;

// The sum of every thread's `v`, returned to all of them. Called in uniform control flow.
fn workgroup_sum(lid: u32, v: f32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      partial[lid] += partial[lid + s];
    }
    workgroupBarrier();
  }
  let total = partial[0];
  // Every thread reads the total before anyone writes `partial` again.
  workgroupBarrier();
  return total;
}

// The channel's factor: w, or 1 + w, rounded to the dtype unless the cast order is gemma's.
fn scale_of(i: u32) -> f32 {
  if (WEIGHT == 0u) {
    return 1.0;
  }
  let w = load_act(weight[i]);
  if (WEIGHT == 1u) {
    return w;
  }
  if (CAST == 0u) {
    return 1.0 + w;
  }
  return round_dt(1.0 + w);
}

fn output_of(n: f32, i: u32) -> f32 {
  var r = n;
  if (CAST == 1u) {
    // Llama: cast the normalized value, then each operation rounds in the dtype.
    r = round_dt(n);
    if (WEIGHT != 0u) {
      r = round_dt(r * scale_of(i));
    }
    if (BIAS) {
      r = round_dt(r + load_act(bias[i]));
    }
    return r;
  }
  if (WEIGHT != 0u) {
    r = r * scale_of(i);
  }
  if (BIAS) {
    r = r + load_act(bias[i]);
  }
  return r;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // The row is the same for the whole workgroup, so this return keeps control flow uniform.
  let row = wid.y * params.grid_x + wid.x;
  if (row >= params.rows) {
    return;
  }
  let h = params.hidden;
  let base = row * h;

  var mean = 0.0;
  if (CENTER) {
    var s = 0.0;
    for (var i = lid; i < h; i += WG) {
      s += load_act(x[base + i]);
    }
    mean = workgroup_sum(lid, s) / f32(h);
  }
  var sq = 0.0;
  for (var i = lid; i < h; i += WG) {
    let d = load_act(x[base + i]) - mean;
    sq += d * d;
  }
  let rstd = inverseSqrt(workgroup_sum(lid, sq) / f32(h) + params.eps);

  for (var i = lid; i < h; i += WG) {
    let n = (load_act(x[base + i]) - mean) * rstd;
    y[base + i] = store_act(output_of(n, i));
  }
}
