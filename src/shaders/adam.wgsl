// One step of torch.optim.Adam for every parameter of the model, held in one flat buffer:
//
//   t ← t + 1
//   g ← ∇θ + λ θ                                       (weight decay, when λ > 0)
//   m ← β1 m + (1 − β1) g
//   v ← β2 v + (1 − β2) g²
//   θ ← θ − lr / (1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
//
// The step count t lives on the GPU: each workgroup keeps its own copy in `steps`, so no
// workgroup reads a count that another is writing. All copies move together.
// 1 − βᵗ is computed from ln β (given in float64 precision by the host) without the
// cancellation of 1 − pow(β, t), so early steps match PyTorch's float64 bias correction.

override WG: u32 = 256u;

struct Adam {
  n: u32, groups: u32, _pad0: u32, _pad1: u32,
  lr: f32, beta1: f32, beta2: f32, eps: f32,
  weight_decay: f32, log_beta1: f32, log_beta2: f32, _pad2: f32,
}

@group(0) @binding(0) var<uniform> h: Adam;
@group(0) @binding(1) var<storage, read_write> theta: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m1: array<f32>;
@group(0) @binding(4) var<storage, read_write> m2: array<f32>;
@group(0) @binding(5) var<storage, read_write> steps: array<u32>;

var<workgroup> step_now: u32;

// 1 − βᵗ = −expm1(t ln β). Near zero, expm1 by its series x(1 + x/2(1 + x/3(1 + …))).
fn one_minus_pow(log_beta: f32, t: f32) -> f32 {
  let x = log_beta * t;
  if (x < -0.5) {
    return 1.0 - exp(x);
  }
  var p = 1.0;
  for (var k = 12.0; k >= 2.0; k -= 1.0) {
    p = 1.0 + x * p / k;
  }
  return -x * p;
}

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
  let p = theta[i];
  let g = grad[i] + h.weight_decay * p;
  let m = h.beta1 * m1[i] + (1.0 - h.beta1) * g;
  let v = h.beta2 * m2[i] + (1.0 - h.beta2) * g * g;
  m1[i] = m;
  m2[i] = v;
  let step_size = h.lr / one_minus_pow(h.log_beta1, t);
  let denom = sqrt(v) / sqrt(one_minus_pow(h.log_beta2, t)) + h.eps;
  theta[i] = p - step_size * m / denom;
}
