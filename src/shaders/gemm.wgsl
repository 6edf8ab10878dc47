// Matrix products of a dense layer, with the work around them fused in: the register-blocked
// kernel for CPU adapters (gemm-tiled.wgsl holds the block-tiled kernels for GPUs).
//
//   C = A · B          A is M×K, B is K×N, C is M×N (row-major, C columns contiguous)
//
// A and B are read through strides, so a transposed operand costs nothing:
//   A(m, k) = A[a_off + m·a_rs + k·a_cs]        B(k, n) = B[b_off + k·b_rs + n·b_cs]
//
// Each invocation owns TM rows × 4 columns of C and keeps them in registers, reading A and B
// directly. A workgroup is WGX × WGY invocations, so it covers (WGY·TM) rows × (WGX·4)
// columns. On CPU adapters such as lavapipe this beats staging through workgroup memory:
// every invocation of a WGY = 1 workgroup reads the same A values, which the CPU's caches
// and vector units share.

override TM: u32 = 4u;
override WGX: u32 = 16u;
override WGY: u32 = 1u;
override ACT: u32 = 0u;

const MAX_TM = 16u;

struct Gemm {
  M: u32, N: u32, K: u32, tiles_n: u32,
  a_off: u32, a_rs: u32, a_cs: u32, tiles: u32,
  b_off: u32, b_rs: u32, b_cs: u32, bias_off: u32,
  c_off: u32, c_rs: u32, p_off: u32, p_rs: u32,
}

@group(0) @binding(0) var<uniform> g: Gemm;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<storage, read> P: array<f32>;

struct Tile {
  acc: array<vec4<f32>, MAX_TM>,
  row_sum: array<f32, MAX_TM>,
}

struct Place {
  m0: u32,
  n0: u32,
}

// Grids larger than 65,535 workgroups are laid out in two dimensions; this is the
// workgroup's index in the flat grid. Workgroups past `g.tiles` have nothing to do.
fn tile_of(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x;
}

// Which TM × 4 block of C this invocation owns.
fn place(tile: u32, lid: vec3<u32>) -> Place {
  let tm = tile / g.tiles_n;
  let tn = tile % g.tiles_n;
  return Place((tm * WGY + lid.y) * TM, (tn * WGX + lid.x) * 4u);
}

fn a_at(m: u32, k: u32) -> f32 {
  return A[g.a_off + min(m, g.M - 1u) * g.a_rs + k * g.a_cs];
}

fn b_at(k: u32, n: u32) -> f32 {
  return B[g.b_off + k * g.b_rs + min(n, g.N - 1u) * g.b_cs];
}

// acc[i][j] = Σ_k A(m0+i, k) · B(k, n0+j);  row_sum[i] = Σ_k A(m0+i, k)
fn direct_product(m0: u32, n0: u32) -> Tile {
  var t: Tile;
  for (var k = 0u; k < g.K; k++) {
    let b = vec4<f32>(b_at(k, n0), b_at(k, n0 + 1u), b_at(k, n0 + 2u), b_at(k, n0 + 3u));
    for (var i = 0u; i < TM; i++) {
      let a = a_at(m0 + i, k);
      t.acc[i] = fma(vec4<f32>(a), b, t.acc[i]);
      t.row_sum[i] += a;
    }
  }
  return t;
}

// Forward of a dense layer:  Y = act(X · Wᵀ + b)
//   A = X (rows × in), B = Wᵀ read from W (out × in) through strides, bias at B[bias_off].
@compute @workgroup_size(WGX, WGY)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_id) lid: vec3<u32>) {
  let tile = tile_of(wid, nwg);
  if (tile >= g.tiles) { return; }
  let p = place(tile, lid);
  let t = direct_product(p.m0, p.n0);
  for (var i = 0u; i < TM; i++) {
    let m = p.m0 + i;
    for (var j = 0u; j < 4u; j++) {
      let n = p.n0 + j;
      if (m < g.M && n < g.N) {
        C[g.c_off + m * g.c_rs + n] = activate(t.acc[i][j] + B[g.bias_off + n], ACT);
      }
    }
  }
}

// Backward to the layer's input, with the previous layer's activation derivative fused:
//   dZ_prev = (dZ · W) ⊙ act'(Y_prev)
//   A = dZ (rows × out), B = W (out × in), P = Y_prev (rows × in), ACT = previous layer's.
@compute @workgroup_size(WGX, WGY)
fn backward_input(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_id) lid: vec3<u32>) {
  let tile = tile_of(wid, nwg);
  if (tile >= g.tiles) { return; }
  let p = place(tile, lid);
  let t = direct_product(p.m0, p.n0);
  for (var i = 0u; i < TM; i++) {
    let m = p.m0 + i;
    for (var j = 0u; j < 4u; j++) {
      let n = p.n0 + j;
      if (m < g.M && n < g.N) {
        C[g.c_off + m * g.c_rs + n] = t.acc[i][j] * activate_grad(P[g.p_off + m * g.p_rs + n], ACT);
      }
    }
  }
}

// Backward to the weights and bias:  dW = dZᵀ · X,  db = Σ_rows dZ
//   A = dZᵀ read from dZ (rows × out) through strides, B = X (rows × in).
//   The bias gradient is the row sum of A, written by the invocations that own column 0.
@compute @workgroup_size(WGX, WGY)
fn backward_weight(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_id) lid: vec3<u32>) {
  let tile = tile_of(wid, nwg);
  if (tile >= g.tiles) { return; }
  let p = place(tile, lid);
  let t = direct_product(p.m0, p.n0);
  for (var i = 0u; i < TM; i++) {
    let m = p.m0 + i;
    for (var j = 0u; j < 4u; j++) {
      let n = p.n0 + j;
      if (m < g.M && n < g.N) {
        C[g.c_off + m * g.c_rs + n] = t.acc[i][j];
      }
    }
    if (p.n0 == 0u && m < g.M) {
      C[g.bias_off + m] = t.row_sum[i];
    }
  }
}

// The textbook kernel, one output per invocation, kept as the baseline that benchmarks
// compare the tiled kernel with:  Y[m,n] = act(Σ_k A(m,k) B(k,n) + bias[n])
@compute @workgroup_size(64)
fn forward_naive(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lane: u32) {
  let i = (wid.x + wid.y * nwg.x) * 64u + lane;
  if (i >= g.M * g.N) { return; }
  let m = i / g.N;
  let n = i % g.N;
  var acc = 0.0;
  for (var k = 0u; k < g.K; k++) {
    acc += a_at(m, k) * b_at(k, n);
  }
  C[g.c_off + m * g.c_rs + n] = activate(acc + B[g.bias_off + n], ACT);
}
