import { seededRandom } from '../src/model/random';
import { defaultSpec, seedSpec, type LayerSpec } from '../src/model/spec';
import type { Matrix32 } from '../src/model/matrix';

/** The canonical workload: NSL-KDD's normal training rows, one-hot encoded to 122 features. */
export const CANONICAL = { rows: 67_343, cols: 122, batch: 256, lr: 1e-3 } as const;

/** Seeded uniform values standing in for the canonical rows; fewer rows are a prefix of more. */
export function canonicalData(rows: number = CANONICAL.rows, cols: number = CANONICAL.cols): Matrix32 {
  const random = seededRandom(2024);
  return { values: Float32Array.from({ length: rows * cols }, () => random()), rows, cols };
}

export function canonicalSpecs(cols: number = CANONICAL.cols): { name: string; spec: LayerSpec }[] {
  return [
    { name: 'deep', spec: defaultSpec(cols) },
    { name: 'seed', spec: seedSpec(cols) },
  ];
}

export function prefix(data: Matrix32, rows: number): Matrix32 {
  const n = Math.min(rows, data.rows);
  return { values: data.values.subarray(0, n * data.cols), rows: n, cols: data.cols };
}
