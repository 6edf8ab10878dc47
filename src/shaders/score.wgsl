// Anomaly score of each row: the mean of its features' scores (row-score.wgsl), by default
// its mean squared reconstruction error.
//
//   score[m] = (1/N) Σ_n feature_score(Y[m,n] − X[m,n], τ)        τ = 0: (1/N) Σ_n (Y[m,n] − X[m,n])²
//
// One invocation a row; grids larger than 65,535 workgroups are laid out in two dimensions.

override WG: u32 = 64u;

struct Score {
  M: u32, N: u32, y_off: u32, x_off: u32,
  out_off: u32, tail: f32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(0) var<uniform> s: Score;
@group(0) @binding(1) var<storage, read> Y: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read_write> scores: array<f32>;

@compute @workgroup_size(WG)
fn row_error(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lane: u32) {
  let m = (wid.x + wid.y * nwg.x) * WG + lane;
  if (m >= s.M) { return; }
  var sq = 0.0;
  for (var n = 0u; n < s.N; n++) {
    sq += feature_score(Y[s.y_off + m * s.N + n] - X[s.x_off + m * s.N + n], s.tail);
  }
  scores[s.out_off + m] = sq / f32(s.N);
}
