// patch_sums for gemm-rows.wgsl through workgroup memory, for any adapter:
//
//   partial[j·WG] = Σ_lane values(lane)[j]      for j = lane, lane + WG, …  (j < VALUES)
//
// Every invocation writes its VALUES partial sums; after one barrier, invocation `lane` adds
// the WG partial sums of the values j ≡ lane (mod WG).

fn patch_sums(lane: u32, values: array<f32, 72>) {
  for (var j = 0u; j < VALUES; j++) {
    partial[j * WG + lane] = values[j];
  }
  workgroupBarrier();
  for (var j = lane; j < VALUES; j += WG) {
    var total = 0.0;
    for (var s = 0u; s < WG; s++) {
      total += partial[j * WG + s];
    }
    partial[j * WG] = total;
  }
}
