// Mean squared error of a batch and its gradient, in one pass over Y and the target T:
//
//   e_m      = (1/N) Σ_n (Y[m,n] − T[m,n])²                 error of row m
//   L        = (1/M) Σ_m e_m                                batch loss, reduced in workgroup memory
//   dZ[m,n]  = 2 (Y[m,n] − T[m,n]) / (M·N) · act'(Y[m,n])   gradient at the last layer's pre-activation
//
// One workgroup does the whole batch, so the loss is complete when the dispatch ends;
// ACT is the activation of the layer that produced Y.

override WG: u32 = 256u;  // a power of two
override ACT: u32 = 0u;

struct Mse {
  M: u32, N: u32, y_off: u32, t_off: u32,
  dz_off: u32, err_off: u32, _pad0: u32, _pad1: u32,
}

@group(0) @binding(0) var<uniform> s: Mse;
@group(0) @binding(1) var<storage, read> Y: array<f32>;
@group(0) @binding(2) var<storage, read> T: array<f32>;
@group(0) @binding(3) var<storage, read_write> dZ: array<f32>;
@group(0) @binding(4) var<storage, read_write> row_err: array<f32>;
@group(0) @binding(5) var<storage, read_write> loss: array<f32>;

@compute @workgroup_size(WG)
fn mse(@builtin(local_invocation_index) lane: u32) {
  let scale = 2.0 / (f32(s.M) * f32(s.N));
  var total = 0.0;
  for (var m = lane; m < s.M; m += WG) {
    var sq = 0.0;
    for (var n = 0u; n < s.N; n++) {
      let y = Y[s.y_off + m * s.N + n];
      let d = y - T[s.t_off + m * s.N + n];
      sq += d * d;
      dZ[s.dz_off + m * s.N + n] = scale * d * activate_grad(y, ACT);
    }
    let e = sq / f32(s.N);
    row_err[s.err_off + m] = e;
    total += e;
  }
  let batch_total = workgroup_sum(lane, total);
  if (lane == 0u) {
    loss[0] = batch_total / f32(s.M);
  }
}
