/**
 * How a row's anomaly score is made from its features' squared reconstruction errors
 * e_f = (x̂_f − x_f)² (each weighted by its gain², see `FittedFeatures.weighted`), F features:
 *
 *   squared     score = (1/F) Σ_f e_f
 *   student-t   score = (1/F) Σ_f log(1 + e_f / (ν·u))
 *
 * `squared` is the negative log-likelihood of Gaussian residuals, up to constants. `student-t` is
 * that of residuals following Student's t with ν degrees of freedom, scaled so that u, the mean
 * e_f over the held-out normal rows, is one squared unit: a feature's error counts in proportion
 * while it is small and by its logarithm once it is many times what normal rows show, so one
 * feature far off weighs less against several moderately off. As ν grows it tends to `squared`.
 */
export type RowScore =
  | { readonly kind: 'squared' }
  | { readonly kind: 'student-t'; readonly nu: number; readonly unit: number };

export const SQUARED: RowScore = { kind: 'squared' };

/** The degrees of freedom of the default row score (chosen by cross-validation, docs/detection-cv.md). */
export const STUDENT_NU = 20;

/** τ = ν·u, the scale of the `student-t` score that the kernels take; 0 for `squared`. */
export function tailScale(score: RowScore): number {
  return score.kind === 'squared' ? 0 : score.nu * score.unit;
}

/** A feature's share of a row's score before the mean over features: e, or log(1 + e/τ). */
export function featureScore(e: number, tau: number): number {
  return tau > 0 ? Math.log1p(e / tau) : e;
}

const FLOAT32_MAX = 3.4028234663852886e38;
const FLOAT32_MIN_NORMAL = 2 ** -126;

/**
 * The row score recorded in a model file's header, or null when it is not one netae writes: for
 * Student's t, ν and u positive and τ = ν·u a normal float32, so that e/τ stays finite in the kernels.
 */
export function parseRowScore(value: unknown): RowScore | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (v.kind === 'squared') return SQUARED;
  const positive = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x > 0;
  if (v.kind === 'student-t' && positive(v.nu) && positive(v.unit) && v.nu * v.unit >= FLOAT32_MIN_NORMAL && v.nu * v.unit <= FLOAT32_MAX) {
    return { kind: 'student-t', nu: v.nu, unit: v.unit };
  }
  return null;
}
