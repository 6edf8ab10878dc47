// Sum of one value per invocation of a workgroup, halving in workgroup memory:
//
//   workgroup_sum(lane, v) = Σ_lane v(lane)        log2(WG) rounds, the same in every invocation
//
// WG, the workgroup size (a power of two), is an override of the kernel that uses it.

var<workgroup> partial: array<f32, WG>;

fn workgroup_sum(lane: u32, value: f32) -> f32 {
  partial[lane] = value;
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (lane < stride) {
      partial[lane] += partial[lane + stride];
    }
  }
  return workgroupUniformLoad(&partial[0]);
}
