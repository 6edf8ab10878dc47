import { afterAll, expect } from 'vitest';
import { acquireGpu, type AcquireOptions, type Gpu } from '../../src/gpu/device';
import { releaseLaunches, submitLaunches, type Launch } from '../../src/gpu/launch';
import { seededRandom } from '../../src/model/random';
import { matrix, type Matrix } from '../../src/model/reference';

/** A matrix of values uniform in [-scale, scale), as f32 so GPU and reference see the same numbers. */
export function randomMatrix(rows: number, cols: number, seed: number, scale = 1): { f32: Float32Array; ref: Matrix } {
  const next = seededRandom(seed);
  const f32 = new Float32Array(rows * cols);
  for (let i = 0; i < f32.length; i++) f32[i] = (next() * 2 - 1) * scale;
  return { f32, ref: matrix(rows, cols, f32) };
}

/** max |gpu − ref| / max(1, |ref|) */
export function relativeError(gpu: ArrayLike<number>, ref: ArrayLike<number>): number {
  expect(gpu.length).toBe(ref.length);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const err = Math.abs(gpu[i] - ref[i]) / Math.max(1, Math.abs(ref[i]));
    if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : err;
  }
  return worst;
}

export function expectClose(gpu: ArrayLike<number>, ref: ArrayLike<number>, tolerance = 1e-4): void {
  expect(relativeError(gpu, ref)).toBeLessThanOrEqual(tolerance);
}

/** The unit roundoff of float32. */
export const U32 = 2 ** -24;

/**
 * γ_n = n·u / (1 − n·u): a float32 sum of n terms, in any order, with or without fused
 * multiply-adds, differs from the exact sum by at most γ_n · Σ|term| (Higham, Accuracy and
 * Stability of Numerical Algorithms, §3.1).
 */
export function gamma(n: number): number {
  return (n * U32) / (1 - n * U32);
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
