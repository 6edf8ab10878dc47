// A whole autoencoder in a few dispatches: the training step in two, scoring in one.
//
// The network is L dense layers, Y_l = act_l(Y_{l−1} · W_lᵀ + b_l), Y_0 = X, loss
// (1/(M·F)) Σ (Y_L − X)² over the M rows and F features of a batch. Backward:
//
//   dZ_L = 2 (Y_L − X) / (M·F) ⊙ act_L'(Y_L)
//   dW_l = dZ_lᵀ · Y_{l−1}      db_l = Σ_rows dZ_l
//   dZ_{l−1} = (dZ_l · W_l) ⊙ act_{l−1}'(Y_{l−1})
//
// train_block (kernel 1): a workgroup carries a block of ROWS rows, read through the epoch's
//   order, through every layer forward, the loss and dZ_L, and every layer backward, with
//   all activations in workgroup memory. Going backward each dZ_l overwrites Y_l once nothing
//   reads Y_l any more (dW_{l+1} is taken before dZ_l is written), so a row needs
//   F + Σ_l width_l floats on chip. The block adds its dW_l and db_l over its own rows into
//   the workgroup's slice of `partials`, and its Σ (Y_L − X)² into the slice's loss slot.
// apply_adam (kernel 2): each invocation owns four neighbouring parameters: it adds the
//   workgroups' partial gradients in workgroup order (so the same seed gives the same
//   weights), applies Adam (adam-rule.wgsl) and writes the new values into the kernels'
//   copies of W and Wᵀ; the first invocation adds the partial losses into the step's slot.
// unpack_theta: the parameters back in PyTorch's layout, once an epoch and before they are read.
// score_rows, reconstruct_rows: forward through every layer on chip, then each row's score
//   (row-score.wgsl; by default its mean squared error) or its reconstruction, one dispatch for
//   any number of rows.
//
// Why partial gradients, and not a second kernel that forms each dW over the whole batch
// from activations kernel 1 writes out: on the H200 the per-layer path spends 60% of a step
// in dW = dZᵀ·Y products whose 256-long reductions over the batch run serially in a handful
// of workgroups (44–53 µs each, 0.30 of 0.50 ms). Here the batch reduction is split twice:
// ROWS-long sums inside kernel 1, in ⌈batch/ROWS⌉ workgroups at once, then a sum over those
// workgroups in kernel 2, one coalesced read per workgroup and parameter (ROWS = 8, batch
// 256: 32 partial copies of the deep model, 2.7 MB, a few µs of traffic that stays in L2).
// The alternative writes every activation and dZ out (batch × Σ widths × 2 floats) and
// leaves each parameter a batch-long serial dot product over strided memory, the very shape
// that is slow today, unless kernel 2 splits the batch again, which brings the partials back.
// On lavapipe (2 cores) the partials cost less too: for one step of the deep model the
// weight-gradient phase of kernel 1, partial writes included, took 4.5 ms of CPU time where
// the six per-layer dW kernels, which form each dW over the batch from activations in memory
// as the alternative's kernel 2 would, took 7.5 (same run). There every memory access is a
// loop over the SIMD lanes: a block writes its partial dW once (and a workgroup reads it back
// where it adds a later block), which costs about what writing and reading the block's
// activations would. With GROUPS workgroups a step, each adding its blocks into its own
// slice, fewer workgroups trade kernel 2's reads for kernel 1's: 4 and 16 cost the same CPU
// time at batch 256, and 16 (one block each) shares two loaded cores better (17% faster).
//
// Layout. Workgroup memory holds vec4 rows: each width is padded to a multiple of four with
// zeros, so a row of width n is ⌈n/4⌉ vec4s. While training, the parameters live in the
// kernels' padded layout: `wk` holds per layer W padded to [⌈out/4⌉·4 × ⌈in/4⌉·4] and b
// padded (`padded` floats, the layout of a slice of `partials` and of Adam's moments), `wt`
// per layer Wᵀ padded to [⌈in/4⌉·4 × ⌈out/4⌉·4]; padding stays zero (its gradients are zero).
// Forward reads Wᵀ and backward-to-input reads W, so in both neighbouring invocations read
// neighbouring vec4s (coalesced on a GPU), and kernel 2 works on whole vec4s.
//
// Work split. An invocation (x, y) of the TX × TY workgroup owns RPT = ROWS/TY rows and, in
// each pass over a layer, the vec4 column x of the pass's TX: it keeps RPT vec4 sums, and per
// four input columns reads one 4 × 4 block of weights and each of its rows' four inputs.
// Those inputs are the same for the TX invocations of a row group. On a GPU they are
// broadcasts from workgroup memory (fused-plain.wgsl). A CPU adapter runs an invocation per
// SIMD lane and turns every load of workgroup or storage memory into a loop over its lanes,
// so there the loads, not the arithmetic, set the speed; fused-subgroups.wgsl has each lane
// load a different row and hands the values round by subgroupBroadcast, eight times fewer
// loads for the same sums (3.7× faster on lavapipe). For dW an invocation owns four input
// columns × TN outputs and sums over the block's rows. Passes over columns are the same for
// every invocation (columns past the layer's end are computed and dropped), so loads inside
// them carry no per-lane mask. CPU adapters take TX = 8, TY = 1 (one SIMD batch a workgroup,
// so barriers cost nothing), 16 rows (32 for scoring), TN = 32 and 16 workgroups; GPUs take
// 32 × 8 invocations over 8 rows, so that a batch of 256 keeps 32 workgroups busy
// (src/gpu/tuning.ts).

override ROWS: u32 = 16u;   // rows a workgroup carries through the network at once
override TX: u32 = 8u;      // invocations across a layer's vec4 columns
override TY: u32 = 1u;      // invocations across the block's rows; ROWS % TY == 0
override TN: u32 = 16u;     // outputs whose weight gradients one invocation sums at once (a multiple of 4)
override ACT4: u32 = 1u;    // vec4s of workgroup memory for the block's rows (set by the host)
override AWG: u32 = 256u;   // invocations of apply_adam
override WG: u32 = TX * TY; // workgroup_sum's size, a power of two
override RPT: u32 = ROWS / TY;

const MAX_LAYERS = 16u;
const MAX_TILE = 32u;   // vec4 sums an invocation keeps: RPT ≤ 32 of them, or TN ≤ 32

struct Layer {
  inputs: u32, outputs: u32, act: u32, w_off: u32,   // W at θ[w_off], b right after it
  p4: u32,    // vec4 index of padded W (⌈out/4⌉·4 rows of ⌈in/4⌉ vec4s) in `wk` and in a slice of `partials`
  b4: u32,    // vec4 index of padded b there
  t4: u32,    // vec4 index of padded Wᵀ (⌈in/4⌉·4 rows of ⌈out/4⌉ vec4s) in `wt`
  y_at: u32,  // vec4 index of Y_l's first row in workgroup memory
}

struct Fused {
  layers: u32, features: u32, params: u32, padded: u32,
  groups: u32,       // train_block's workgroups, each with a slice of `padded` floats in `partials`
  rows: u32,         // score_rows, reconstruct_rows: rows to score
  rows_off: u32,     // where row 0 starts in `rows`
  out_off: u32,      // where the output starts in `scored`
  adam_groups: u32,  // apply_adam's workgroups
  x_at: u32,         // vec4 index of the block's input rows in workgroup memory
  tail: f32,         // score_rows: τ of the row score (row-score.wgsl), 0 for the mean squared error
  _pad1: u32,
  rule: AdamRule,
  layer: array<Layer, MAX_LAYERS>,
}

@group(0) @binding(0) var<uniform> net: Fused;

// train_block: 1 wk, 2 wt, 3 rows, 4 order, 5 step, 6 partials
// score_rows, reconstruct_rows: 1 wk, 2 wt, 3 rows, 4 scored
// apply_adam: 1 wk_out, 2 wt_out, 3 grads, 4 apply_step, 5 moments, 6 counters, 7 loss
// unpack_theta: 1 wk, 2 theta
@group(0) @binding(1) var<storage, read> wk: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> wt: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> rows: array<f32>;
@group(0) @binding(4) var<storage, read> order: array<u32>;
@group(0) @binding(5) var<storage, read> step: array<u32>;    // [first row in `order`, rows]
@group(0) @binding(6) var<storage, read_write> partials: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> scored: array<f32>;
@group(0) @binding(1) var<storage, read_write> wk_out: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> wt_out: array<f32>;
@group(0) @binding(3) var<storage, read> grads: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> apply_step: array<u32>;
@group(0) @binding(5) var<storage, read_write> moments: array<vec4<f32>>;  // m, then v, padded like wk
@group(0) @binding(6) var<storage, read_write> counters: array<u32>;
@group(0) @binding(7) var<storage, read_write> loss: array<f32>;
@group(0) @binding(2) var<storage, read_write> theta: array<f32>;

var<workgroup> acts: array<vec4<f32>, ACT4>;
var<workgroup> step_now: u32;

struct Tile {
  acc: array<vec4<f32>, MAX_TILE>,
}

fn quads(n: u32) -> u32 {
  return (n + 3u) / 4u;
}

fn activate4(z: vec4<f32>, act: u32) -> vec4<f32> {
  return vec4<f32>(activate(z.x, act), activate(z.y, act), activate(z.z, act), activate(z.w, act));
}

fn activate_grad4(y: vec4<f32>, act: u32) -> vec4<f32> {
  return vec4<f32>(activate_grad(y.x, act), activate_grad(y.y, act), activate_grad(y.z, act), activate_grad(y.w, act));
}

// Which of the four columns 4j … 4j+3 lie inside a width of n.
fn inside(j: u32, n: u32) -> vec4<bool> {
  return vec4<u32>(4u * j) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(n);
}

// Where the input rows of layer l start in workgroup memory.
fn input_at(l: u32) -> u32 {
  if (l == 0u) {
    return net.x_at;
  }
  return net.layer[l - 1u].y_at;
}

// Row `m` of the block from row `src` of `rows`, or zeros for a row past the end.
fn stage_row(m: u32, src: u32, live: bool, x: u32) {
  let f = net.features;
  for (var j = x; j < quads(f); j += TX) {
    var v = vec4<f32>(0.0);
    if (live) {
      for (var c = 0u; c < 4u; c++) {
        let k = 4u * j + c;
        if (k < f) {
          v[c] = rows[net.rows_off + src * f + k];
        }
      }
    }
    acts[net.x_at + m * quads(f) + j] = v;
  }
}

fn weights(transposed: bool, at: u32) -> vec4<f32> {
  if (transposed) {
    return wt[at];
  }
  return wk[at];
}

//   acc[i] = Σ_k A[m0 + i, k] · B[k, 4j … 4j+3]      k < 4·k4, i < RPT
// A: rows of a4 vec4s in workgroup memory from a_at; B: rows of b4 vec4s from b_at in `wt`
// (transposed) or `wk`. A column j past b4 reads column b4 − 1; the caller ignores its sums.
fn rows_times(a_at: u32, a4: u32, m0: u32, transposed: bool, b_at: u32, b4: u32, j: u32, k4: u32) -> Tile {
  var t: Tile;
  let jc = min(j, b4 - 1u);
  for (var q = 0u; q < k4; q++) {
    let r = b_at + 4u * q * b4 + jc;
    let b = mat4x4<f32>(weights(transposed, r), weights(transposed, r + b4), weights(transposed, r + 2u * b4), weights(transposed, r + 3u * b4));
    add_rows(&t, a_at, a4, m0, q, b);
  }
  return t;
}

//   acc[t] = Σ_m A[m, n0 + t] · B[m, 4j … 4j+3]      m < ROWS, t < TN, n0 a multiple of 4
// A: rows of a4 vec4s from a_at, B: rows of b4 vec4s from b_at, both in workgroup memory.
// A column j past b4 reads column b4 − 1; the caller ignores its sums.
fn columns_times_rows(a_at: u32, a4: u32, n0: u32, b_at: u32, b4: u32, j: u32) -> Tile {
  var s: Tile;
  let jc = min(j, b4 - 1u);
  for (var m = 0u; m < ROWS; m++) {
    add_columns(&s, a_at, a4, n0, m, acts[b_at + m * b4 + jc]);
  }
  return s;
}

// Y_l = act_l(Y_{l−1} · W_lᵀ + b_l); padded columns stay zero. Passes over the columns are
// the same for every invocation, so loads inside them need no per-invocation mask.
fn forward(l: u32, lid: vec3<u32>) {
  let layer = net.layer[l];
  let in4 = quads(layer.inputs);
  let out4 = quads(layer.outputs);
  let m0 = lid.y * RPT;
  for (var j0 = 0u; j0 < out4; j0 += TX) {
    let j = j0 + lid.x;
    let t = rows_times(input_at(l), in4, m0, true, layer.t4, out4, j, in4);
    if (j < out4) {
      let bias = wk[layer.b4 + j];
      let keep = inside(j, layer.outputs);
      for (var i = 0u; i < RPT; i++) {
        acts[layer.y_at + (m0 + i) * out4 + j] = select(vec4<f32>(0.0), activate4(t.acc[i] + bias, layer.act), keep);
      }
    }
  }
}

// dZ_L = scale · (Y_L − X) ⊙ act_L'(Y_L) in place of Y_L, zero for rows past `live`;
// returns this invocation's share of Σ (Y_L − X)².
fn output_grad(live: u32, scale: f32, lid: vec3<u32>) -> f32 {
  let last = net.layer[net.layers - 1u];
  let out4 = quads(last.outputs);
  let m0 = lid.y * RPT;
  var sq = 0.0;
  for (var j = lid.x; j < out4; j += TX) {
    for (var i = 0u; i < RPT; i++) {
      let m = m0 + i;
      let at = last.y_at + m * out4 + j;
      let y = acts[at];
      let d = select(vec4<f32>(0.0), y - acts[net.x_at + m * out4 + j], m < live);
      sq += dot(d, d);
      acts[at] = scale * d * activate_grad4(y, last.act);
    }
  }
  return sq;
}

// dZ_{l−1} = (dZ_l · W_l) ⊙ act_{l−1}'(Y_{l−1}), in place of Y_{l−1}.
fn input_grads(l: u32, lid: vec3<u32>) {
  let layer = net.layer[l];
  let prev = net.layer[l - 1u];
  let in4 = quads(layer.inputs);
  let out4 = quads(layer.outputs);
  let m0 = lid.y * RPT;
  for (var j0 = 0u; j0 < in4; j0 += TX) {
    let j = j0 + lid.x;
    let t = rows_times(layer.y_at, out4, m0, false, layer.p4, in4, j, out4);
    if (j < in4) {
      for (var i = 0u; i < RPT; i++) {
        let at = prev.y_at + (m0 + i) * in4 + j;
        acts[at] = t.acc[i] * activate_grad4(acts[at], prev.act);
      }
    }
  }
}

// Writes (the workgroup's first block) or adds (later blocks) one vec4 of partial gradients.
fn put_partial(at: u32, v: vec4<f32>, first: bool) {
  if (first) {
    partials[at] = v;
  } else {
    partials[at] += v;
  }
}

// The block's dW_l = dZ_lᵀ · Y_{l−1} and db_l = Σ_rows dZ_l into this workgroup's slice of
// `partials`, from vec4 `base`.
fn weight_grads(l: u32, lid: vec3<u32>, flat: u32, base: u32, first: bool) {
  let layer = net.layer[l];
  let in4 = quads(layer.inputs);
  let out4 = quads(layer.outputs);
  for (var n0 = lid.y * TN; n0 < layer.outputs; n0 += TY * TN) {
    for (var j0 = 0u; j0 < in4; j0 += TX) {
      let j = j0 + lid.x;
      let s = columns_times_rows(layer.y_at, out4, n0, input_at(l), in4, j);
      if (j < in4) {
        for (var t = 0u; t < TN; t++) {
          if (n0 + t < layer.outputs) {
            put_partial(base + layer.p4 + (n0 + t) * in4 + j, s.acc[t], first);
          }
        }
      }
    }
  }
  for (var j = flat; j < out4; j += TX * TY) {
    var db = vec4<f32>(0.0);
    for (var m = 0u; m < ROWS; m++) {
      db += acts[layer.y_at + m * out4 + j];
    }
    put_partial(base + layer.b4 + j, db, first);
  }
}

// Kernel 1 of a training step: forward, loss and backward of blocks w, w + groups, … of the
// step's rows, read through the epoch's order; partial gradients and loss into slice w.
fn train(wid: vec3<u32>, lid: vec3<u32>, flat: u32) {
  let w = wid.x;
  let first_row = step[0];
  let batch = step[1];
  let blocks = (batch + ROWS - 1u) / ROWS;
  let scale = 2.0 / (f32(batch) * f32(net.features));
  let base = w * (net.padded / 4u);
  var sq = 0.0;
  for (var b = w; b < blocks; b += net.groups) {
    let live = min(ROWS, batch - b * ROWS);
    for (var m = lid.y; m < ROWS; m += TY) {
      stage_row(m, order[first_row + b * ROWS + min(m, live - 1u)], m < live, lid.x);
    }
    workgroupBarrier();
    for (var l = 0u; l < net.layers; l++) {
      forward(l, lid);
      workgroupBarrier();
    }
    sq += output_grad(live, scale, lid);
    workgroupBarrier();
    for (var l = net.layers; l > 0u; l--) {
      weight_grads(l - 1u, lid, flat, base, b == w);
      workgroupBarrier();
      if (l > 1u) {
        input_grads(l - 1u, lid);
        workgroupBarrier();
      }
    }
  }
  let total = workgroup_sum(flat, sq);
  if (flat == 0u) {
    partials[net.groups * (net.padded / 4u) + w] = vec4<f32>(total, 0.0, 0.0, 0.0);
  }
}

// Kernel 2 of a training step, one invocation per vec4 of padded parameters: the sum of the
// partial gradients of the workgroups that had rows, in workgroup order, then Adam on each
// component; the new values go to W (θ, padded) in `wk` and to Wᵀ in `wt`. Padding stays
// zero: its gradient, moments and value are zero. The step count lives on the GPU, one copy
// per workgroup as in adam.wgsl.
@compute @workgroup_size(AWG)
fn apply_adam(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lane: u32) {
  let group = wid.x + wid.y * nwg.x;
  if (group >= net.adam_groups) { return; }
  if (lane == 0u) {
    let t = counters[group] + 1u;
    counters[group] = t;
    step_now = t;
  }
  let t = f32(workgroupUniformLoad(&step_now));
  let batch = apply_step[1];
  let used = min(net.groups, (batch + ROWS - 1u) / ROWS);
  let slice = net.padded / 4u;
  if (group == 0u && lane == 0u) {
    var total = 0.0;
    for (var w = 0u; w < used; w++) {
      total += grads[net.groups * slice + w].x;
    }
    loss[0] = total / (f32(batch) * f32(net.features));
  }
  let q = group * AWG + lane;
  if (q >= slice) { return; }
  var g = vec4<f32>(0.0);
  for (var w = 0u; w < used; w++) {
    g += grads[w * slice + q];
  }
  let p = wk_out[q];
  let m = moments[q];
  let v = moments[slice + q];
  var next: array<AdamState, 4>;
  for (var c = 0u; c < 4u; c++) {
    next[c] = adam_rule(net.rule, t, AdamState(p[c], m[c], v[c]), g[c]);
  }
  let value = vec4<f32>(next[0].theta, next[1].theta, next[2].theta, next[3].theta);
  wk_out[q] = value;
  moments[q] = vec4<f32>(next[0].m, next[1].m, next[2].m, next[3].m);
  moments[slice + q] = vec4<f32>(next[0].v, next[1].v, next[2].v, next[3].v);
  var l = 0u;
  while (l + 1u < net.layers && q >= net.layer[l + 1u].p4) {
    l++;
  }
  let layer = net.layer[l];
  if (q < layer.b4) {
    let in4 = quads(layer.inputs);
    let n = (q - layer.p4) / in4;
    let k0 = 4u * ((q - layer.p4) % in4);
    for (var c = 0u; c < 4u; c++) {
      if (n < layer.outputs && k0 + c < layer.inputs) {
        wt_out[4u * (layer.t4 + (k0 + c) * quads(layer.outputs)) + n] = value[c];
      }
    }
  }
}

// θ in PyTorch's layout from the padded W and b in `wk`, one invocation per parameter.
@compute @workgroup_size(AWG)
fn unpack_theta(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lane: u32) {
  let i = (wid.x + wid.y * nwg.x) * AWG + lane;
  if (i >= net.params) { return; }
  var l = 0u;
  while (l + 1u < net.layers && i >= net.layer[l + 1u].w_off) {
    l++;
  }
  let layer = net.layer[l];
  let e = i - layer.w_off;
  let count = layer.inputs * layer.outputs;
  var p = 4u * layer.b4 + e - count;
  if (e < count) {
    p = 4u * (layer.p4 + (e / layer.inputs) * quads(layer.inputs)) + e % layer.inputs;
  }
  theta[i] = wk[p / 4u][p % 4u];
}

// Forward of block b of the `net.rows` rows of `rows`; returns the rows it holds.
fn score_block(b: u32, lid: vec3<u32>) -> u32 {
  let live = min(ROWS, net.rows - b * ROWS);
  for (var m = lid.y; m < ROWS; m += TY) {
    stage_row(m, b * ROWS + min(m, live - 1u), m < live, lid.x);
  }
  workgroupBarrier();
  for (var l = 0u; l < net.layers; l++) {
    forward(l, lid);
    workgroupBarrier();
  }
  return live;
}

//   scored[r] = (1/F) Σ_n feature_score(Y_L[r, n] − X[r, n], τ)      X read again from `rows`, one invocation a row
//   (τ = 0: the mean squared error)
fn score(b: u32, lid: vec3<u32>, flat: u32) {
  let live = score_block(b, lid);
  let last = net.layer[net.layers - 1u];
  let f = net.features;
  for (var m = flat; m < live; m += TX * TY) {
    let src = net.rows_off + (b * ROWS + m) * f;
    var sq = 0.0;
    for (var j = 0u; j < quads(f); j++) {
      let y = acts[last.y_at + m * quads(f) + j];
      for (var c = 0u; c < 4u; c++) {
        if (4u * j + c < f) {
          sq += feature_score(y[c] - rows[src + 4u * j + c], net.tail);
        }
      }
    }
    scored[net.out_off + b * ROWS + m] = sq / f32(f);
  }
}

//   scored[r, n] = Y_L[r, n]
fn reconstruct(b: u32, lid: vec3<u32>) {
  let live = score_block(b, lid);
  let last = net.layer[net.layers - 1u];
  let f = net.features;
  for (var m = lid.y; m < live; m += TY) {
    for (var j = lid.x; j < quads(f); j += TX) {
      let y = acts[last.y_at + m * quads(f) + j];
      for (var c = 0u; c < 4u; c++) {
        if (4u * j + c < f) {
          scored[net.out_off + (b * ROWS + m) * f + 4u * j + c] = y[c];
        }
      }
    }
  }
}
