// The fused kernels' entry points where each invocation reads for itself the values that
// every invocation of its row group uses (a row's inputs, a row of dZ): on GPUs these are
// broadcasts from workgroup memory. fused-subgroups.wgsl is the same with subgroup broadcasts.

//   acc[i] += B · A[m0 + i, 4q … 4q+3]      i < RPT; B's columns are four rows of the weights
fn add_rows(t: ptr<function, Tile>, a_at: u32, a4: u32, m0: u32, q: u32, b: mat4x4<f32>) {
  for (var i = 0u; i < RPT; i++) {
    (*t).acc[i] += b * acts[a_at + (m0 + i) * a4 + q];
  }
}

//   acc[t] += A[m, n0 + t] · y      t < TN
fn add_columns(s: ptr<function, Tile>, a_at: u32, a4: u32, n0: u32, m: u32, y: vec4<f32>) {
  for (var q = 0u; q < TN / 4u; q++) {
    let a = acts[a_at + m * a4 + n0 / 4u + q];
    (*s).acc[4u * q] += a.x * y;
    (*s).acc[4u * q + 1u] += a.y * y;
    (*s).acc[4u * q + 2u] += a.z * y;
    (*s).acc[4u * q + 3u] += a.w * y;
  }
}

@compute @workgroup_size(TX, TY)
fn train_block(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
               @builtin(local_invocation_index) flat: u32) {
  train(wid, lid, flat);
}

@compute @workgroup_size(TX, TY)
fn score_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) flat: u32) {
  let b = wid.x + wid.y * nwg.x;
  if (b * ROWS < net.rows) {
    score(b, lid, flat);
  }
}

@compute @workgroup_size(TX, TY)
fn reconstruct_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                    @builtin(local_invocation_id) lid: vec3<u32>) {
  let b = wid.x + wid.y * nwg.x;
  if (b * ROWS < net.rows) {
    reconstruct(b, lid);
  }
}
