// patch_sums for gemm-rows.wgsl with subgroup operations (the `subgroups` feature):
//
//   partial[j·WG] = Σ_lane values(lane)[j]      for j = lane, lane + WG, …  (j < VALUES)
//
// subgroupAdd sums each value over a subgroup in registers; one invocation per subgroup
// writes the subgroup's sums to a slot of workgroup memory, so after the barrier each total
// adds WG / subgroup size slots instead of WG. Slots are handed out by an atomic counter:
// WGSL does not say which invocations form a subgroup, so nothing here assumes it.

var<workgroup> slots_taken: atomic<u32>;

fn patch_sums(lane: u32, values: array<f32, 72>) {
  let first = subgroupElect();
  var slot = 0u;
  if (first) {
    slot = atomicAdd(&slots_taken, 1u);
  }
  slot = subgroupBroadcastFirst(slot);
  for (var j = 0u; j < VALUES; j++) {
    let sum = subgroupAdd(values[j]);
    if (first) {
      partial[j * WG + slot] = sum;
    }
  }
  workgroupBarrier();
  let slots = atomicLoad(&slots_taken);
  for (var j = lane; j < VALUES; j += WG) {
    var total = 0.0;
    for (var s = 0u; s < slots; s++) {
      total += partial[j * WG + s];
    }
    partial[j * WG] = total;
  }
}
