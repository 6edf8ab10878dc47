/** What the GEMM benchmark, its peers and the report share. */

import type { GemmProduct } from '../src/gpu/gemm';

/** M × K × N: rows of X, input width, output width. */
export type GemmShape = readonly [M: number, K: number, N: number];

export function formatShape([M, K, N]: GemmShape): string {
  return M === K && K === N ? `${M.toLocaleString('en-US')}³` : `${M.toLocaleString('en-US')}×${K}×${N}`;
}

/** Deterministic inputs in [-0.5, 0.5), the same for every implementation measured. */
export function gemmFill(n: number, prime: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => ((i * prime) % 1000) / 1000 - 0.5);
}

/** Runs per measurement: about 10 GFLOP of work (2 with `quick`), 2 to 50 runs. */
export function gemmReps(flop: number, quick: boolean): number {
  return Math.max(2, Math.min(50, Math.round((quick ? 2e9 : 1e10) / flop)));
}

export interface GemmResult {
  readonly shape: GemmShape;
  /** Which of the layer's products: Y = X·Wᵀ + b, dX = dZ·W ⊙ act', dW = dZᵀ·X (runs saved without it: forward). */
  readonly product?: GemmProduct;
  readonly kernel: string;
  /** The tiling the device chooses by itself for this product and shape. */
  readonly isDefault: boolean;
  readonly ms: number;
  readonly gflops: number;
  /** GFLOP/s over the adapter's FP32 peak, where the peak table knows the adapter. */
  readonly peakFraction: number | null;
  readonly timer: 'timestamp' | 'wall';
}

/** The forward products of a run: the suite measures only these. */
export function forwardResults(results: readonly GemmResult[]): GemmResult[] {
  return results.filter((r) => (r.product ?? 'forward') === 'forward');
}
