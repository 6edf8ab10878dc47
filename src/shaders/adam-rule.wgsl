// One step of torch.optim.Adam for one parameter, shared by the kernels that apply it:
//
//   t ← t + 1                                          (kept by the caller)
//   g ← ∇θ + λ θ                                       (weight decay, when λ > 0)
//   m ← β1 m + (1 − β1) g
//   v ← β2 v + (1 − β2) g²
//   θ ← θ − lr / (1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
//
// 1 − βᵗ is computed from ln β (given in float64 precision by the host) without the
// cancellation of 1 − pow(β, t), so early steps match PyTorch's float64 bias correction.

struct AdamRule {
  lr: f32, beta1: f32, beta2: f32, eps: f32,
  weight_decay: f32, log_beta1: f32, log_beta2: f32, _pad: f32,
}

struct AdamState {
  theta: f32,
  m: f32,
  v: f32,
}

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

// The parameter, first and second moments after step t, given the gradient of the loss.
fn adam_rule(r: AdamRule, t: f32, s: AdamState, grad: f32) -> AdamState {
  let g = grad + r.weight_decay * s.theta;
  let m = r.beta1 * s.m + (1.0 - r.beta1) * g;
  let v = r.beta2 * s.v + (1.0 - r.beta2) * g * g;
  let step_size = r.lr / one_minus_pow(r.log_beta1, t);
  let denom = sqrt(v) / sqrt(one_minus_pow(r.log_beta2, t)) + r.eps;
  return AdamState(s.theta - step_size * m / denom, m, v);
}
