// Row gather, used to shuffle the training set once per epoch:
//
//   out[at(r) .. at(r) + cols] = X[index[r], :]     at(r) = (r / batch) · slot + (r % batch) · cols
//
// Batch b starts at element b · slot, a multiple of the device's offset alignment, so that
// each batch can be bound on its own with a dynamic offset. One invocation copies one row.

override WG: u32 = 64u;

struct Gather {
  rows: u32, cols: u32, batch: u32, slot: u32,
}

@group(0) @binding(0) var<uniform> q: Gather;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> index: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn gather(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lane: u32) {
  let r = (wid.x + wid.y * nwg.x) * WG + lane;
  if (r >= q.rows) { return; }
  let src = index[r] * q.cols;
  let dst = (r / q.batch) * q.slot + (r % q.batch) * q.cols;
  for (var c = 0u; c < q.cols; c++) {
    out[dst + c] = X[src + c];
  }
}
