import type { Gpu } from '../src/gpu/device';
import { seededRandom } from '../src/model/random';
import { Scorer } from '../src/model/scorer';
import { defaultSpec, formatSpec, parameterCount, seedSpec, type LayerSpec } from '../src/model/spec';
import { train, type Matrix32 } from '../src/model/trainer';
import type { Row } from './report';

/** The canonical workload: NSL-KDD's normal training rows, one-hot encoded to 122 features. */
export const CANONICAL = { rows: 67_343, cols: 122, batch: 256, lr: 1e-3 } as const;

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

/** Training: one epoch over the canonical rows (after a warm-up epoch), Adam 1e-3. */
export async function benchTrain(gpu: Gpu, quick = false): Promise<Row[]> {
  const data = canonicalData(quick ? 16_384 : CANONICAL.rows);
  const rows: Row[] = [];
  for (const { name, spec } of canonicalSpecs()) {
    const options = { spec, epochs: 1, batchSize: CANONICAL.batch, lr: CANONICAL.lr, validation: 0, seed: 1 };
    await train(gpu, canonicalData(4096), options);
    const result = await train(gpu, data, options);
    rows.push({
      model: `${name} ${formatSpec(spec)}`,
      params: parameterCount(spec),
      rows: data.rows,
      'samples/s': result.samplesPerSecond,
      'ms/step': result.msPerStep,
    });
  }
  return rows;
}

/** Scoring: forward and per-row error of the canonical rows, chunks of 65,536. */
export async function benchScore(gpu: Gpu, quick = false): Promise<Row[]> {
  const data = canonicalData(quick ? 65_536 : 4 * 65_536);
  const rows: Row[] = [];
  for (const { name, spec } of canonicalSpecs()) {
    const scorer = Scorer.create(gpu, spec, new Float32Array(parameterCount(spec)).fill(0.01));
    await scorer.score(data.values.subarray(0, 4096 * CANONICAL.cols));
    const start = performance.now();
    await scorer.score(data.values);
    const seconds = (performance.now() - start) / 1000;
    scorer.release();
    rows.push({ model: `${name} ${formatSpec(spec)}`, rows: data.rows, 'rows/s': data.rows / seconds, 'ms/65,536 rows': (seconds * 1000 * 65_536) / data.rows });
  }
  return rows;
}
