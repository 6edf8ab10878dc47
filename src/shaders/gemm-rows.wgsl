// Backward to the weights when the weights are few and the rows many:
//
//   dW[n, k] = Σ_m dZ[m, n] · X[m, k]        db[n] = Σ_m dZ[m, n]
//
// (dZ is M×N, X is M×K, dW is N×K, db lies in dW's buffer at db_off). The block kernels of
// gemm-tiled.wgsl give each workgroup a block of dW and walk all M rows inside it: a 64 × 122
// weight is two 64 × 64 blocks, two workgroups however long the batch, and the rest of a GPU
// waits. Here a workgroup owns an RN × RK patch of dW and splits the rows among its WG
// invocations: invocation i adds up rows i, i + WG, i + 2·WG, … for the whole patch (and, in
// the patches of the first column, the bias gradient of its RN rows). The WG partial patches
// are then added by patch_sums, in workgroup memory or with subgroup operations where the
// adapter has them (gemm-rows-workgroup.wgsl, gemm-rows-subgroup.wgsl).
//
// The columns a patch reads past the edge of dZ or X are clamped once, before the loop over
// rows; their products land in columns that are not written. With `vec` bit 1 (2), dZ (X)
// starts on a multiple of 4 floats and has a width that is one too, so its rows load as vec4s.

override RN: u32 = 4u;    // 4 or 8
override RK: u32 = 4u;    // 4 or 8
override WG: u32 = 64u;
override VALUES: u32 = RN * RK + RN;

struct Rows {
  M: u32, N: u32, K: u32, tiles_k: u32,
  tiles: u32, dz_off: u32, x_off: u32, dw_off: u32,
  db_off: u32, vec: u32, pad0: u32, pad1: u32,
}

@group(0) @binding(0) var<uniform> r: Rows;
@group(0) @binding(1) var<storage, read> dZ: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> dW: array<vec4<f32>>;

// Partial sums: value j of the invocation (or subgroup) in slot s at partial[j·WG + s].
var<workgroup> partial: array<f32, VALUES * WG>;

// Up to 8 consecutive floats of a row from column c0: whole vec4s when `vec`, else one by one
// through the clamped column offsets `cols`.
fn row_of_dz(m: u32, c0: u32, cols: array<u32, 8>, count: u32, vec: bool) -> array<vec4<f32>, 2> {
  var v: array<vec4<f32>, 2>;
  let base = r.dz_off + m * r.N;
  for (var q = 0u; q < count / 4u; q++) {
    if (vec) {
      v[q] = dZ[(base + min(c0 + 4u * q, r.N - 4u)) >> 2u];
    } else {
      for (var c = 0u; c < 4u; c++) {
        let i = base + cols[4u * q + c];
        v[q][c] = dZ[i >> 2u][i & 3u];
      }
    }
  }
  return v;
}

fn row_of_x(m: u32, c0: u32, cols: array<u32, 8>, count: u32, vec: bool) -> array<vec4<f32>, 2> {
  var v: array<vec4<f32>, 2>;
  let base = r.x_off + m * r.K;
  for (var q = 0u; q < count / 4u; q++) {
    if (vec) {
      v[q] = X[(base + min(c0 + 4u * q, r.K - 4u)) >> 2u];
    } else {
      for (var c = 0u; c < 4u; c++) {
        let i = base + cols[4u * q + c];
        v[q][c] = X[i >> 2u][i & 3u];
      }
    }
  }
  return v;
}

@compute @workgroup_size(WG)
fn backward_weight(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_index) lane: u32) {
  let tile = wid.x + wid.y * nwg.x;
  if (tile >= r.tiles) { return; }
  let n0 = (tile / r.tiles_k) * RN;
  let k0 = (tile % r.tiles_k) * RK;
  let with_bias = k0 == 0u;
  let vec_dz = (r.vec & 1u) != 0u;
  let vec_x = (r.vec & 2u) != 0u;
  var n_cols: array<u32, 8>;
  var k_cols: array<u32, 8>;
  for (var c = 0u; c < RN; c++) { n_cols[c] = min(n0 + c, r.N - 1u); }
  for (var c = 0u; c < RK; c++) { k_cols[c] = min(k0 + c, r.K - 1u); }

  // Row i of the patch, column block j: acc[i * 2 + j].
  var acc: array<vec4<f32>, 16>;
  var bias: array<vec4<f32>, 2>;
  for (var m = lane; m < r.M; m += WG) {
    let a = row_of_dz(m, n0, n_cols, RN, vec_dz);
    let b = row_of_x(m, k0, k_cols, RK, vec_x);
    for (var i = 0u; i < RN; i++) {
      let ai = vec4<f32>(a[i / 4u][i % 4u]);
      for (var j = 0u; j < RK / 4u; j++) {
        acc[i * 2u + j] = fma(ai, b[j], acc[i * 2u + j]);
      }
    }
    if (with_bias) {
      for (var q = 0u; q < RN / 4u; q++) { bias[q] += a[q]; }
    }
  }

  var values: array<f32, 72>;
  for (var i = 0u; i < RN; i++) {
    for (var j = 0u; j < RK; j++) { values[i * RK + j] = acc[i * 2u + j / 4u][j % 4u]; }
    values[RN * RK + i] = bias[i / 4u][i % 4u];
  }
  patch_sums(lane, values);
  // patch_sums leaves the totals at partial[j·WG] for j = lane, lane + WG, …: each invocation
  // reads back only what it wrote itself.
  for (var j = lane; j < VALUES; j += WG) {
    let total = partial[j * WG];
    var at = 0u;
    var inside = false;
    if (j < RN * RK) {
      let n = n0 + j / RK;
      let k = k0 + j % RK;
      inside = n < r.N && k < r.K;
      at = r.dw_off + n * r.K + k;
    } else {
      let n = n0 + j - RN * RK;
      inside = with_bias && n < r.N;
      at = r.db_off + n;
    }
    if (inside) {
      dW[at >> 2u][at & 3u] = total;
    }
  }
}
