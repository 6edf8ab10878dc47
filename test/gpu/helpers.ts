/**
 * Inputs for the kernel tests and the bounds their outputs are held to.
 *
 * Every bound is a float32 error bound, not a tolerance picked to pass: an output computed
 * from n terms in float32 differs from the exact float64 value by at most γ_n times the sum
 * of the terms' magnitudes (Higham, Accuracy and Stability of Numerical Algorithms, §3.1),
 * plus the error its inputs carry in, propagated to first order. With u = 2⁻²⁴ these bounds
 * are ~10⁻⁶ of the values for the shapes tested, so an output zeroed, halved or off by 0.1 %
 * is outside them (the tests check that too).
 */
import { afterAll, expect } from 'vitest';
import { acquireGpu, type AcquireOptions, type Gpu } from '../../src/gpu/device';
import { releaseLaunches, submitLaunches, type Launch } from '../../src/gpu/launch';
import type { Activation } from '../../src/gpu/activation';
import { seededRandom } from '../../src/model/random';
import { matrix, type Matrix } from '../../src/model/reference';

/** A matrix of values uniform in [-scale, scale), as f32 so GPU and reference see the same numbers. */
export function randomMatrix(rows: number, cols: number, seed: number, scale = 1): { f32: Float32Array; ref: Matrix } {
  const next = seededRandom(seed);
  const f32 = new Float32Array(rows * cols);
  for (let i = 0; i < f32.length; i++) f32[i] = (next() * 2 - 1) * scale;
  return { f32, ref: matrix(rows, cols, f32) };
}

/** The unit roundoff of float32. */
export const U32 = 2 ** -24;

/**
 * WGSL's accuracy of a float32 quotient (2.5 ULP) and square root (inherited from
 * 1 / inverseSqrt: 2 ULP, then a quotient), as relative errors: one ULP is at most 2u.
 */
export const DIV_ERROR = 5 * U32;
export const SQRT_ERROR = 9 * U32;

/**
 * γ_n = n·u / (1 − n·u): a float32 sum of n terms, in any order, with or without fused
 * multiply-adds, differs from the exact sum by at most γ_n · Σ|term| (Higham §3.1). For a
 * sum done in stages (a loop per invocation, then a tree), n can be the longest chain of
 * additions any one term goes through.
 */
export function gamma(n: number): number {
  return (n * U32) / (1 - n * U32);
}

/**
 * Bound on |f̂(ẑ) − f(z)| beyond |ẑ − z| for f computed in float32 as the kernels' WGSL
 * does: sigmoid and tanh are built from exp, whose error the WGSL spec bounds by 3 + 2|x| ULP.
 */
export function activationError(z: number, act: Activation): number {
  const a = Math.min(Math.abs(z), 15);
  if (act === 'sigmoid') return (7 + 2 * a) * U32;
  if (act === 'tanh') return (21 + 10 * a) * U32;
  return 0;
}

/** Bound on the float32 error of f'(y) as activate_grad computes it from an exact y. */
export function gradError(act: Activation): number {
  return act === 'sigmoid' || act === 'tanh' ? 3 * U32 : 0;
}

/** |∂f'(y)/∂y|: how an error in y moves f'(y) as activate_grad writes it (y(1−y), 1 − y²). */
export function gradSlope(y: number, act: Activation): number {
  if (act === 'sigmoid') return Math.abs(1 - 2 * y);
  if (act === 'tanh') return 2 * Math.abs(y);
  return 0;
}

/** The first element where |gpu − ref| exceeds its bound, or null. */
export function outOfBounds(gpu: ArrayLike<number>, ref: ArrayLike<number>, bound: ArrayLike<number>): string | null {
  if (gpu.length !== ref.length) return `${gpu.length} values, expected ${ref.length}`;
  for (let i = 0; i < ref.length; i++) {
    const err = Math.abs(gpu[i] - ref[i]);
    if (!(err <= bound[i])) return `element ${i}: got ${gpu[i]}, expected ${ref[i]} ± ${bound[i].toExponential(2)}`;
  }
  return null;
}

/** Asserts |gpu − ref| ≤ bound element by element. */
export function expectWithin(gpu: ArrayLike<number>, ref: ArrayLike<number>, bound: ArrayLike<number>): void {
  expect(outOfBounds(gpu, ref, bound)).toBeNull();
}

/**
 * Asserts that the bound discriminates: `ref` halved, and `ref` with its largest element
 * zeroed, both fall outside it.
 */
export function expectTight(ref: ArrayLike<number>, bound: ArrayLike<number>): void {
  const values = Array.from(ref);
  expect(outOfBounds(values.map((v) => v / 2), values, bound)).not.toBeNull();
  const largest = values.reduce((best, v, i) => (Math.abs(v) > Math.abs(values[best]) ? i : best), 0);
  expect(outOfBounds(values.map((v, i) => (i === largest ? 0 : v)), values, bound)).not.toBeNull();
}

/** A GPU for the calling test file: acquired now, checked for errors and released after its tests. */
export async function testGpu(options?: AcquireOptions): Promise<Gpu> {
  const gpu = await acquireGpu(options);
  afterAll(async () => {
    await gpu.check();
    gpu.release();
  });
  return gpu;
}

/** Submits launches, releases them and throws any error the GPU reports. */
export async function runLaunches(gpu: Gpu, ...launches: Launch[]): Promise<void> {
  submitLaunches(gpu, launches, 'test');
  releaseLaunches(launches);
  await gpu.check();
}
