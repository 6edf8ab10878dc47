// One step of torch.optim.Adam (adam-rule.wgsl) for every parameter of the model, held in
// one flat buffer.
//
// The step count t lives on the GPU: each workgroup keeps its own copy in `steps`, so no
// workgroup reads a count that another is writing. All copies move together.

override WG: u32 = 256u;

struct Adam {
  n: u32, groups: u32, _pad0: u32, _pad1: u32,
  rule: AdamRule,
}

@group(0) @binding(0) var<uniform> h: Adam;
@group(0) @binding(1) var<storage, read_write> theta: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m1: array<f32>;
@group(0) @binding(4) var<storage, read_write> m2: array<f32>;
@group(0) @binding(5) var<storage, read_write> steps: array<u32>;

var<workgroup> step_now: u32;

@compute @workgroup_size(WG)
fn adam(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lane: u32) {
  let group = wid.x + wid.y * nwg.x;
  if (group >= h.groups) { return; }
  if (lane == 0u) {
    let t = steps[group] + 1u;
    steps[group] = t;
    step_now = t;
  }
  let t = f32(workgroupUniformLoad(&step_now));
  let i = group * WG + lane;
  if (i >= h.n) { return; }
  let s = adam_rule(h.rule, t, AdamState(theta[i], m1[i], m2[i]), grad[i]);
  theta[i] = s.theta;
  m1[i] = s.m;
  m2[i] = s.v;
}
