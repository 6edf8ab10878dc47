// Sum of a vector, level by level: each workgroup adds WG·ITEMS consecutive values and
// writes one partial sum; run it again on the partials until one value is left.
//
//   out[w] = Σ_{i in block w} x[i]

override WG: u32 = 256u;  // a power of two
override ITEMS: u32 = 16u;

struct Reduce {
  n: u32, groups: u32, x_off: u32, out_off: u32,
}

@group(0) @binding(0) var<uniform> r: Reduce;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn sum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
       @builtin(local_invocation_index) lane: u32) {
  let group = wid.x + wid.y * nwg.x;
  if (group >= r.groups) { return; }
  let start = group * WG * ITEMS;
  var total = 0.0;
  for (var j = 0u; j < ITEMS; j++) {
    let i = start + j * WG + lane;
    if (i < r.n) {
      total += X[r.x_off + i];
    }
  }
  let block_total = workgroup_sum(lane, total);
  if (lane == 0u) {
    out[r.out_off + group] = block_total;
  }
}
