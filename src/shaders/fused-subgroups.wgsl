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

//   acc[i] += B · A[m0 + i, 4q … 4q+3]      i < RPT ≤ 32: lane l reads rows m0 + l, m0 + 8 + l, …
fn add_rows(t: ptr<function, Tile>, a_at: u32, a4: u32, m0: u32, q: u32, b: mat4x4<f32>) {
  let v0 = acts[a_at + (m0 + min(lane, RPT - 1u)) * a4 + q];
  add_row(t, 0u, b, subgroupBroadcast(v0, 0u));
  add_row(t, 1u, b, subgroupBroadcast(v0, 1u));
  add_row(t, 2u, b, subgroupBroadcast(v0, 2u));
  add_row(t, 3u, b, subgroupBroadcast(v0, 3u));
  add_row(t, 4u, b, subgroupBroadcast(v0, 4u));
  add_row(t, 5u, b, subgroupBroadcast(v0, 5u));
  add_row(t, 6u, b, subgroupBroadcast(v0, 6u));
  add_row(t, 7u, b, subgroupBroadcast(v0, 7u));
  if (RPT > 8u) {
    let v1 = acts[a_at + (m0 + min(8u + lane, RPT - 1u)) * a4 + q];
    add_row(t, 8u, b, subgroupBroadcast(v1, 0u));
    add_row(t, 9u, b, subgroupBroadcast(v1, 1u));
    add_row(t, 10u, b, subgroupBroadcast(v1, 2u));
    add_row(t, 11u, b, subgroupBroadcast(v1, 3u));
    add_row(t, 12u, b, subgroupBroadcast(v1, 4u));
    add_row(t, 13u, b, subgroupBroadcast(v1, 5u));
    add_row(t, 14u, b, subgroupBroadcast(v1, 6u));
    add_row(t, 15u, b, subgroupBroadcast(v1, 7u));
  }
  if (RPT > 16u) {
    let v2 = acts[a_at + (m0 + min(16u + lane, RPT - 1u)) * a4 + q];
    add_row(t, 16u, b, subgroupBroadcast(v2, 0u));
    add_row(t, 17u, b, subgroupBroadcast(v2, 1u));
    add_row(t, 18u, b, subgroupBroadcast(v2, 2u));
    add_row(t, 19u, b, subgroupBroadcast(v2, 3u));
    add_row(t, 20u, b, subgroupBroadcast(v2, 4u));
    add_row(t, 21u, b, subgroupBroadcast(v2, 5u));
    add_row(t, 22u, b, subgroupBroadcast(v2, 6u));
    add_row(t, 23u, b, subgroupBroadcast(v2, 7u));
  }
  if (RPT > 24u) {
    let v3 = acts[a_at + (m0 + min(24u + lane, RPT - 1u)) * a4 + q];
    add_row(t, 24u, b, subgroupBroadcast(v3, 0u));
    add_row(t, 25u, b, subgroupBroadcast(v3, 1u));
    add_row(t, 26u, b, subgroupBroadcast(v3, 2u));
    add_row(t, 27u, b, subgroupBroadcast(v3, 3u));
    add_row(t, 28u, b, subgroupBroadcast(v3, 4u));
    add_row(t, 29u, b, subgroupBroadcast(v3, 5u));
    add_row(t, 30u, b, subgroupBroadcast(v3, 6u));
    add_row(t, 31u, b, subgroupBroadcast(v3, 7u));
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
