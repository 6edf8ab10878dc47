// The fused kernels' entry points for CPU adapters whose subgroups are 8 invocations, the
// workgroup's row of TX = 8: values that every invocation uses (a row's inputs, a row of dZ)
// are loaded once, each invocation reading a different one, and passed to all by
// subgroupBroadcast, instead of every invocation reading all of them (on a CPU adapter each
// such read is a loop over the SIMD lanes). fused-plain.wgsl is the same without subgroups.
// The host takes this variant only where a subgroup is exactly one row of TX invocations,
// which share local_invocation_id.y: the broadcasts run in control flow uniform within the
// subgroup, which WGSL's analysis, reasoning about the whole workgroup, cannot see.
enable subgroups;
diagnostic(off, subgroup_uniformity);

var<private> lane: u32;

fn add_row(t: ptr<function, Tile>, i: u32, b: mat4x4<f32>, a: vec4<f32>) {
  if (i < RPT) {
    (*t).acc[i] += b * a;
  }
}

// Rows base … base + 7: lane l holds A's row base + l (v), broadcast to every invocation.
fn add_eight_rows(t: ptr<function, Tile>, base: u32, b: mat4x4<f32>, v: vec4<f32>) {
  add_row(t, base, b, subgroupBroadcast(v, 0u));
  add_row(t, base + 1u, b, subgroupBroadcast(v, 1u));
  add_row(t, base + 2u, b, subgroupBroadcast(v, 2u));
  add_row(t, base + 3u, b, subgroupBroadcast(v, 3u));
  add_row(t, base + 4u, b, subgroupBroadcast(v, 4u));
  add_row(t, base + 5u, b, subgroupBroadcast(v, 5u));
  add_row(t, base + 6u, b, subgroupBroadcast(v, 6u));
  add_row(t, base + 7u, b, subgroupBroadcast(v, 7u));
}

//   acc[i] += B · A[m0 + i, 4q … 4q+3]      i < RPT ≤ 32: lane l reads rows m0 + l, m0 + 8 + l, …
fn add_rows(t: ptr<function, Tile>, a_at: u32, a4: u32, m0: u32, q: u32, b: mat4x4<f32>) {
  add_eight_rows(t, 0u, b, acts[a_at + (m0 + min(lane, RPT - 1u)) * a4 + q]);
  if (RPT > 8u) {
    add_eight_rows(t, 8u, b, acts[a_at + (m0 + min(8u + lane, RPT - 1u)) * a4 + q]);
  }
  if (RPT > 16u) {
    add_eight_rows(t, 16u, b, acts[a_at + (m0 + min(16u + lane, RPT - 1u)) * a4 + q]);
  }
  if (RPT > 24u) {
    add_eight_rows(t, 24u, b, acts[a_at + (m0 + min(24u + lane, RPT - 1u)) * a4 + q]);
  }
}

fn add_column_quad(s: ptr<function, Tile>, q: u32, y: vec4<f32>, a: vec4<f32>) {
  if (q < TN / 4u) {
    (*s).acc[4u * q] += a.x * y;
    (*s).acc[4u * q + 1u] += a.y * y;
    (*s).acc[4u * q + 2u] += a.z * y;
    (*s).acc[4u * q + 3u] += a.w * y;
  }
}

//   acc[t] += A[m, n0 + t] · y      t < TN ≤ 32: lane l reads A[m, n0 + 4l … n0 + 4l + 3]
fn add_columns(s: ptr<function, Tile>, a_at: u32, a4: u32, n0: u32, m: u32, y: vec4<f32>) {
  let mine = acts[a_at + m * a4 + n0 / 4u + min(lane, TN / 4u - 1u)];
  add_column_quad(s, 0u, y, subgroupBroadcast(mine, 0u));
  add_column_quad(s, 1u, y, subgroupBroadcast(mine, 1u));
  add_column_quad(s, 2u, y, subgroupBroadcast(mine, 2u));
  add_column_quad(s, 3u, y, subgroupBroadcast(mine, 3u));
  add_column_quad(s, 4u, y, subgroupBroadcast(mine, 4u));
  add_column_quad(s, 5u, y, subgroupBroadcast(mine, 5u));
  add_column_quad(s, 6u, y, subgroupBroadcast(mine, 6u));
  add_column_quad(s, 7u, y, subgroupBroadcast(mine, 7u));
}

@compute @workgroup_size(TX, TY)
fn train_block(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
               @builtin(local_invocation_index) flat: u32, @builtin(subgroup_invocation_id) sg: u32) {
  lane = sg;
  train(wid, lid, flat);
}

@compute @workgroup_size(TX, TY)
fn score_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) flat: u32,
              @builtin(subgroup_invocation_id) sg: u32) {
  lane = sg;
  let b = wid.x + wid.y * nwg.x;
  if (b * ROWS < net.rows) {
    score(b, lid, flat);
  }
}

@compute @workgroup_size(TX, TY)
fn reconstruct_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                    @builtin(local_invocation_id) lid: vec3<u32>, @builtin(subgroup_invocation_id) sg: u32) {
  lane = sg;
  let b = wid.x + wid.y * nwg.x;
  if (b * ROWS < net.rows) {
    reconstruct(b, lid);
  }
}
