// Rounds f32 values to the activation dtype, as the norm kernel does on load and store: the test
// suite checks the rounding (ties, subnormals, overflow) against the TypeScript encoders, and a
// host can use it to convert activations on the GPU.

struct QuantizeParams {
  count: u32,
}

@group(0) @binding(0) var<uniform> qparams: QuantizeParams;
@group(0) @binding(1) var<storage, read> qin: array<f32>;
@group(0) @binding(2) var<storage, read_write> qout: array<act>;

@compute @workgroup_size(64)
fn quantize(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 64u + gid.x;
  if (i < qparams.count) {
    qout[i] = store_act(qin[i]);
  }
}
