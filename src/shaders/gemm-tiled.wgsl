// Block-tiled matrix products for GPUs, one entry point per operand layout.
//
//   C = A · B          A is M×K, B is K×N, C is M×N (row-major, columns contiguous)
//
// A dense layer's three products read row-major tensors in three layouts:
//
//   entry point       product        A(m, k)            B(k, n)
//   forward           Y  = X · Wᵀ    X[m, k]   k-major  W[n, k]   k-major
//   backward_input    dX = dZ · W    dZ[m, k]  k-major  W[k, n]   n-major
//   backward_weight   dW = dZᵀ · X   dZ[k, m]  m-major  X[k, n]   n-major
//
// "k-major": consecutive k are adjacent in memory; otherwise consecutive rows m (or columns n)
// are. Each entry point passes its layout to the functions below as constants, so the compiler
// specialises every load; none of them goes through a general stride.
//
// A workgroup of WG_N × WG_M invocations computes one BM × BN block of C. It walks K one slice
// of BK at a time: the BM × BK slice of A and the BK × BN slice of B are copied to workgroup
// memory, k-major there whatever their layout in the tensor, one vec4 of padding per k row so
// that the transposing stores of k-major operands fall in different banks. While the workgroup
// multiplies one slice, every invocation already holds the next in registers (double
// buffering): one barrier per slice.
//
// Each invocation accumulates a TM × TN tile of C in registers, as TM/4 × TN/4 blocks of 4 × 4
// spaced 4·WG_M rows and 4·WG_N columns apart, so that the WG_N invocations of a row read
// consecutive vec4s of the B slice and all invocations of a row share their A vec4s. Per k it
// reads TM/4 + TN/4 vec4s and does TM·TN multiply-adds.
//
// Edges stay out of the loop over K: the rows (columns) a load slot reads past the edge of A
// (B) are clamped once, before the loop, to the last row; their products land in rows of C
// that are not written. The last, partial slice of K is loaded with a bounds check after the
// full slices. Only the blocks on the right and bottom edges check bounds when they write C.
//
// Tensors are bound as vec4 arrays. The bits of `vec` say that A (1), B (2) and C (4; P too)
// start on a multiple of 4 floats with a row stride that is a multiple of 4, so that their
// vec4s load and store whole; otherwise the four floats are read and written one by one.
// These and the activation are uniforms, not overrides: they cost a uniform branch outside
// the multiply loop, and each tiling then compiles once per product instead of 32 times.

override BM: u32 = 64u;
override BN: u32 = 64u;
override BK: u32 = 16u;
override TM: u32 = 4u;       // 4 or 8
override TN: u32 = 4u;       // 4 or 8

override WG_M: u32 = BM / TM;
override WG_N: u32 = BN / TN;
override THREADS: u32 = WG_M * WG_N;
override A_ROW: u32 = BM / 4u + 1u;   // vec4s per k row of the A slice, padding included
override B_ROW: u32 = BN / 4u + 1u;

const MAX_SLOTS = 4u;                 // vec4s of one operand that an invocation stages per slice
const OP_A = 0u;
const OP_B = 1u;

struct Tiled {
  M: u32, N: u32, K: u32, tiles_n: u32,
  tiles: u32, c_off: u32, c_rs: u32, bias_off: u32,
  a_off: u32, a_rs: u32, b_off: u32, b_rs: u32,
  p_off: u32, p_rs: u32, act: u32, vec: u32,
}

@group(0) @binding(0) var<uniform> g: Tiled;
@group(0) @binding(1) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> B: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> C: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> P: array<vec4<f32>>;

var<workgroup> a_tile: array<vec4<f32>, 2u * BK * A_ROW>;
var<workgroup> b_tile: array<vec4<f32>, 2u * BK * B_ROW>;

// One float of an operand by element index.
fn elem(op: u32, i: u32) -> f32 {
  if (op == OP_A) { return A[i >> 2u][i & 3u]; }
  return B[i >> 2u][i & 3u];
}

// Four floats of an operand starting at element i, a multiple of 4.
fn quad(op: u32, i: u32) -> vec4<f32> {
  if (op == OP_A) { return A[i >> 2u]; }
  return B[i >> 2u];
}

// One vec4 that an invocation copies per slice: four consecutive k of one row when the operand
// is k-major, four consecutive rows at one k otherwise.
struct Slot {
  src: vec4<u32>,  // element indices of the four values in the first slice
  k: vec4<u32>,    // their k within a slice
  dst: u32,        // vec4 index in the slice: the vec4 itself, or the first of four k rows
  part: u32,       // k-major only: the component the four values go to, one per k row
  used: bool,      // small slices have fewer vec4s than the workgroup has invocations
}

// The operand's view of a block: element (r, k) is at off + r·rs + k when k-major, at
// off + k·rs + r otherwise; r runs over rows r0 .. r0 + rows of an operand `len` long.
struct Side {
  op: u32,
  kmajor: bool,
  off: u32,
  rs: u32,
  len: u32,
  r0: u32,
  rows: u32,           // BM or BN
  row: u32,            // A_ROW or B_ROW
  vec: bool,
}

fn slot_of(s: Side, flat: u32, i: u32) -> Slot {
  var slot: Slot;
  let q = flat + i * THREADS;
  slot.used = q < s.rows * BK / 4u;
  if (s.kmajor) {
    let r = q / (BK / 4u);
    let k = (q % (BK / 4u)) * 4u;
    let base = s.off + min(s.r0 + r, s.len - 1u) * s.rs + k;
    slot.src = vec4<u32>(base, base + 1u, base + 2u, base + 3u);
    slot.k = vec4<u32>(k, k + 1u, k + 2u, k + 3u);
    slot.dst = k * s.row + r / 4u;
    slot.part = r % 4u;
  } else {
    let k = q / (s.rows / 4u);
    let r = (q % (s.rows / 4u)) * 4u;
    let base = s.off + k * s.rs;
    if (s.vec) {
      // len is then a multiple of 4: the clamped vec4 stays whole and aligned.
      let first = base + min(s.r0 + r, s.len - 4u);
      slot.src = vec4<u32>(first, first + 1u, first + 2u, first + 3u);
    } else {
      let last = s.len - 1u;
      slot.src = base + min(vec4<u32>(s.r0 + r) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(last));
    }
    slot.k = vec4<u32>(k);
    slot.dst = k * s.row + r / 4u;
  }
  return slot;
}

// A slot's four values in the slice starting at k0; `tail`: zero those at k ≥ K.
fn fetch(s: Side, slot: Slot, k0: u32, tail: bool) -> vec4<f32> {
  if (!slot.used) { return vec4<f32>(0.0); }
  let at = slot.src + vec4<u32>(k0 * select(s.rs, 1u, s.kmajor));
  var v: vec4<f32>;
  if (s.vec) {
    v = quad(s.op, at.x);
  } else {
    v = vec4<f32>(elem(s.op, at.x), elem(s.op, at.y), elem(s.op, at.z), elem(s.op, at.w));
  }
  if (tail) {
    v = select(vec4<f32>(0.0), v, vec4<u32>(k0) + slot.k < vec4<u32>(g.K));
  }
  return v;
}

fn store_a(slot: Slot, kmajor: bool, buf: u32, v: vec4<f32>) {
  if (!slot.used) { return; }
  let at = buf * BK * A_ROW + slot.dst;
  if (kmajor) {
    for (var c = 0u; c < 4u; c++) { a_tile[at + c * A_ROW][slot.part] = v[c]; }
  } else {
    a_tile[at] = v;
  }
}

fn store_b(slot: Slot, kmajor: bool, buf: u32, v: vec4<f32>) {
  if (!slot.used) { return; }
  let at = buf * BK * B_ROW + slot.dst;
  if (kmajor) {
    for (var c = 0u; c < 4u; c++) { b_tile[at + c * B_ROW][slot.part] = v[c]; }
  } else {
    b_tile[at] = v;
  }
}

struct Acc {
  c: array<vec4<f32>, 16>,   // row i, column block j at c[i * 2 + j]
  row_sum: array<f32, 8>,    // backward_weight: Σ_k A(m, k) over the k this invocation sums
}

// Where an invocation sits: its block of C and its place in the workgroup.
struct Place {
  m0: u32,
  n0: u32,
  tx: u32,
  ty: u32,
  flat: u32,
  edge: bool,   // the block reaches past M or N
}

fn place_of(tile: u32, lid: vec3<u32>, flat: u32) -> Place {
  let m0 = (tile / g.tiles_n) * BM;
  let n0 = (tile % g.tiles_n) * BN;
  return Place(m0, n0, lid.x, lid.y, flat, m0 + BM > g.M || n0 + BN > g.N);
}

// Row of C of an invocation's accumulator row i (0 ≤ i < TM), relative to the block.
fn row_in_block(p: Place, i: u32) -> u32 {
  return ((i / 4u) * WG_M + p.ty) * 4u + i % 4u;
}

// Column of C of an invocation's column block j (0 ≤ j < TN/4), relative to the block.
fn col_in_block(p: Place, j: u32) -> u32 {
  return (j * WG_N + p.tx) * 4u;
}

// The products of one slice in workgroup memory, added to the accumulators. With `sums`, the
// invocations of the first BK columns also add A(m, k) for k = their column, for the bias
// gradient of backward_weight.
fn multiply_slice(acc: ptr<function, Acc>, p: Place, buf: u32, sums: bool) {
  for (var k = 0u; k < BK; k++) {
    let ar = buf * BK * A_ROW + k * A_ROW;
    let br = buf * BK * B_ROW + k * B_ROW;
    var a: array<vec4<f32>, 2>;
    var b: array<vec4<f32>, 2>;
    for (var i = 0u; i < TM / 4u; i++) { a[i] = a_tile[ar + i * WG_M + p.ty]; }
    for (var j = 0u; j < TN / 4u; j++) { b[j] = b_tile[br + j * WG_N + p.tx]; }
    for (var i = 0u; i < TM; i++) {
      let ai = vec4<f32>(a[i / 4u][i % 4u]);
      for (var j = 0u; j < TN / 4u; j++) {
        (*acc).c[i * 2u + j] = fma(ai, b[j], (*acc).c[i * 2u + j]);
      }
    }
  }
  if (sums && p.tx < BK) {
    let ar = buf * BK * A_ROW + p.tx * A_ROW;
    for (var i = 0u; i < TM; i++) {
      (*acc).row_sum[i] += a_tile[ar + (i / 4u) * WG_M + p.ty][i % 4u];
    }
  }
}

// Σ_k A(m, k) B(k, n) over the block, for the invocation's TM × TN outputs.
fn block_product(p: Place, a_kmajor: bool, b_kmajor: bool, sums: bool) -> Acc {
  let sa = Side(OP_A, a_kmajor, g.a_off, g.a_rs, g.M, p.m0, BM, A_ROW, (g.vec & 1u) != 0u);
  let sb = Side(OP_B, b_kmajor, g.b_off, g.b_rs, g.N, p.n0, BN, B_ROW, (g.vec & 2u) != 0u);
  var a_slots: array<Slot, MAX_SLOTS>;
  var b_slots: array<Slot, MAX_SLOTS>;
  var a_next: array<vec4<f32>, MAX_SLOTS>;
  var b_next: array<vec4<f32>, MAX_SLOTS>;
  let a_count = (BM * BK / 4u + THREADS - 1u) / THREADS;
  let b_count = (BN * BK / 4u + THREADS - 1u) / THREADS;
  for (var i = 0u; i < a_count; i++) { a_slots[i] = slot_of(sa, p.flat, i); }
  for (var i = 0u; i < b_count; i++) { b_slots[i] = slot_of(sb, p.flat, i); }

  let full = g.K / BK;
  let slices = (g.K + BK - 1u) / BK;
  var acc: Acc;
  for (var i = 0u; i < a_count; i++) { store_a(a_slots[i], a_kmajor, 0u, fetch(sa, a_slots[i], 0u, full == 0u)); }
  for (var i = 0u; i < b_count; i++) { store_b(b_slots[i], b_kmajor, 0u, fetch(sb, b_slots[i], 0u, full == 0u)); }
  workgroupBarrier();
  for (var s = 0u; s < slices; s++) {
    let next = s + 1u;
    let more = next < slices;
    if (more) {
      let tail = next >= full;
      for (var i = 0u; i < a_count; i++) { a_next[i] = fetch(sa, a_slots[i], next * BK, tail); }
      for (var i = 0u; i < b_count; i++) { b_next[i] = fetch(sb, b_slots[i], next * BK, tail); }
    }
    multiply_slice(&acc, p, s % 2u, sums);
    if (more) {
      for (var i = 0u; i < a_count; i++) { store_a(a_slots[i], a_kmajor, next % 2u, a_next[i]); }
      for (var i = 0u; i < b_count; i++) { store_b(b_slots[i], b_kmajor, next % 2u, b_next[i]); }
    }
    workgroupBarrier();
  }
  return acc;
}

fn vec_c() -> bool {
  return (g.vec & 4u) != 0u;
}

fn write_c(i: u32, v: vec4<f32>, cols: u32) {
  if (vec_c() && cols == 4u) {
    C[i >> 2u] = v;
    return;
  }
  for (var c = 0u; c < cols; c++) { C[(i + c) >> 2u][(i + c) & 3u] = v[c]; }
}

// Columns of a 4-wide column block that lie inside C (4 in interior blocks).
fn cols_inside(p: Place, n: u32) -> u32 {
  if (!p.edge) { return 4u; }
  return min(4u, g.N - min(n, g.N));
}

fn tile_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x;
}

// Forward of a dense layer:  Y = act(X · Wᵀ + b),  b at B[bias_off] (W's buffer).
@compute @workgroup_size(WG_N, WG_M)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) flat: u32) {
  let tile = tile_index(wid, nwg);
  if (tile >= g.tiles) { return; }
  let p = place_of(tile, lid, flat);
  let acc = block_product(p, true, true, false);
  for (var j = 0u; j < TN / 4u; j++) {
    let n = p.n0 + col_in_block(p, j);
    let last = g.N - 1u;
    let nb = min(vec4<u32>(n) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(last)) + vec4<u32>(g.bias_off);
    let bias = vec4<f32>(elem(OP_B, nb.x), elem(OP_B, nb.y), elem(OP_B, nb.z), elem(OP_B, nb.w));
    let cols = cols_inside(p, n);
    for (var i = 0u; i < TM; i++) {
      let m = p.m0 + row_in_block(p, i);
      if (p.edge && (m >= g.M || cols == 0u)) { continue; }
      let z = acc.c[i * 2u + j] + bias;
      let y = vec4<f32>(activate(z.x, g.act), activate(z.y, g.act), activate(z.z, g.act), activate(z.w, g.act));
      write_c(g.c_off + m * g.c_rs + n, y, cols);
    }
  }
}

// Backward to the layer's input, with the previous layer's activation derivative fused:
//   dZ_prev = (dZ · W) ⊙ act'(Y_prev),  Y_prev = P, shaped like C.
@compute @workgroup_size(WG_N, WG_M)
fn backward_input(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) flat: u32) {
  let tile = tile_index(wid, nwg);
  if (tile >= g.tiles) { return; }
  let p = place_of(tile, lid, flat);
  let acc = block_product(p, true, false, false);
  for (var j = 0u; j < TN / 4u; j++) {
    let n = p.n0 + col_in_block(p, j);
    let cols = cols_inside(p, n);
    for (var i = 0u; i < TM; i++) {
      let m = p.m0 + row_in_block(p, i);
      if (p.edge && (m >= g.M || cols == 0u)) { continue; }
      let at = g.p_off + m * g.p_rs + n;
      var y: vec4<f32>;
      if (vec_c() && cols == 4u) {
        y = P[at >> 2u];
      } else {
        for (var c = 0u; c < cols; c++) { y[c] = P[(at + c) >> 2u][(at + c) & 3u]; }
      }
      let d = vec4<f32>(activate_grad(y.x, g.act), activate_grad(y.y, g.act), activate_grad(y.z, g.act), activate_grad(y.w, g.act));
      write_c(g.c_off + m * g.c_rs + n, acc.c[i * 2u + j] * d, cols);
    }
  }
}

// Backward to the weights and bias:  dW = dZᵀ · X,  db = Σ_rows dZ, db at C[bias_off].
// The bias gradient is the sum over k of A's rows. The blocks of the first block column add
// it up on the way: in each slice, the invocations in column t < BK add A(m, k0 + t) for their
// rows; afterwards those BK partial sums per row are added in workgroup memory.
@compute @workgroup_size(WG_N, WG_M)
fn backward_weight(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) flat: u32) {
  let tile = tile_index(wid, nwg);
  if (tile >= g.tiles) { return; }
  let p = place_of(tile, lid, flat);
  let sums = tile % g.tiles_n == 0u;
  let acc = block_product(p, false, false, sums);
  for (var j = 0u; j < TN / 4u; j++) {
    let n = p.n0 + col_in_block(p, j);
    let cols = cols_inside(p, n);
    for (var i = 0u; i < TM; i++) {
      let m = p.m0 + row_in_block(p, i);
      if (p.edge && (m >= g.M || cols == 0u)) { continue; }
      write_c(g.c_off + m * g.c_rs + n, acc.c[i * 2u + j], cols);
    }
  }
  if (sums) {
    // a_tile is free after the last barrier of block_product: BM rows × BK partial sums.
    if (p.tx < BK) {
      for (var i = 0u; i < TM; i++) {
        let at = row_in_block(p, i) * BK + p.tx;
        a_tile[at >> 2u][at & 3u] = acc.row_sum[i];
      }
    }
    workgroupBarrier();
    if (flat < BM && p.m0 + flat < g.M) {
      var total = 0.0;
      for (var t = 0u; t < BK; t++) {
        let at = flat * BK + t;
        total += a_tile[at >> 2u][at & 3u];
      }
      let at = g.bias_off + p.m0 + flat;
      C[at >> 2u][at & 3u] = total;
    }
  }
}
