// A feature's share of a row's anomaly score (src/model/row-score.ts), from its reconstruction
// error d = ŷ − x:
//   τ = 0   feature_score(d, τ) = d²                 the mean squared error
//   τ > 0   feature_score(d, τ) = log(1 + d² / τ)    Student's t, τ = ν·u
// Below 0.1, log(1 + x) is summed as its series to x⁶ (truncation under x⁷/7), where the
// rounding of 1 + x and a GPU's log (absolute error up to 2⁻²¹ near 1) would lose x's digits.

fn log1p_small(x: f32) -> f32 {
  if (x < 0.1) {
    return x * (1.0 - x * (0.5 - x * (1.0 / 3.0 - x * (0.25 - x * (0.2 - x / 6.0)))));
  }
  return log(1.0 + x);
}

fn feature_score(d: f32, tail: f32) -> f32 {
  let e = d * d;
  if (tail > 0.0) {
    return log1p_small(e / tail);
  }
  return e;
}
