// Activation functions shared by the kernels that fuse them.
//   ACT 0 identity   f(z) = z                  f'(z) = 1
//   ACT 1 relu       f(z) = max(z, 0)          f'(z) = [y > 0]
//   ACT 2 sigmoid    f(z) = 1 / (1 + e^-z)     f'(z) = y (1 - y)
//   ACT 3 tanh       f(z) = tanh z             f'(z) = 1 - y^2
// The derivative is written in terms of the output y = f(z), so backward never needs z.

fn activate(z: f32, act: u32) -> f32 {
  switch act {
    case 1u: { return max(z, 0.0); }
    case 2u: { return 1.0 / (1.0 + exp(-z)); }
    case 3u: { return tanh(clamp(z, -15.0, 15.0)); }
    default: { return z; }
  }
}

fn activate_grad(y: f32, act: u32) -> f32 {
  switch act {
    case 1u: { return select(0.0, 1.0, y > 0.0); }
    case 2u: { return y * (1.0 - y); }
    case 3u: { return 1.0 - y * y; }
    default: { return 1.0; }
  }
}
