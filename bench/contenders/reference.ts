import { ADAM_DEFAULTS } from '../../src/gpu/adam';
import { permutation, seededRandom } from '../../src/model/random';
import { adamState, adamStep, autoencoderForward, autoencoderGradients, matrix, rowError } from '../../src/model/reference';
import { layersOf, type LayerSpec } from '../../src/model/spec';
import type { Matrix32 } from '../../src/model/matrix';
import { CANONICAL } from '../workload';
import { SLOW_ROWS } from './rows';
import { timeScoring } from './scoring';
import type { Contender, ScoreFigure, TrainFigure } from './types';

const SCORE_CHUNK = 4096;

function batchRows(data: Matrix32, order: Uint32Array, from: number, to: number) {
  const x = matrix(to - from, data.cols);
  for (let i = from; i < to; i++) {
    const src = order[i] * data.cols;
    for (let c = 0; c < data.cols; c++) x.data[(i - from) * data.cols + c] = data.values[src + c];
  }
  return x;
}

function trainEpoch(spec: LayerSpec, data: Matrix32, init: Float32Array): TrainFigure {
  const layers = layersOf(spec);
  const params = Float64Array.from(init);
  const state = adamState(params.length);
  const hyper = { ...ADAM_DEFAULTS, lr: CANONICAL.lr, weightDecay: 0 };
  const order = permutation(data.rows, seededRandom(1));
  const steps = Math.ceil(data.rows / CANONICAL.batch);
  let total = 0;
  const start = performance.now();
  for (let s = 0; s < steps; s++) {
    const from = s * CANONICAL.batch;
    const to = Math.min(data.rows, from + CANONICAL.batch);
    const { loss, grads } = autoencoderGradients(layers, params, batchRows(data, order, from, to));
    adamStep(params, grads, state, hyper);
    total += loss * (to - from);
  }
  const seconds = (performance.now() - start) / 1000;
  return { rows: data.rows, samplesPerSecond: data.rows / seconds, msPerStep: (seconds * 1000) / steps, loss: total / data.rows };
}

function scoreRows(spec: LayerSpec, params: Float32Array, values: Float32Array, cols: number): Float32Array {
  const layers = layersOf(spec);
  const rows = values.length / cols;
  const out = new Float32Array(rows);
  for (let r0 = 0; r0 < rows; r0 += SCORE_CHUNK) {
    const n = Math.min(SCORE_CHUNK, rows - r0);
    const x = matrix(n, cols, values.subarray(r0 * cols, (r0 + n) * cols));
    const outputs = autoencoderForward(layers, params, x);
    out.set(rowError(outputs[outputs.length - 1], x), r0);
  }
  return out;
}

/** netae's float64 CPU reference (src/model/reference.ts): plain loops, one thread, few rows. */
export function referenceContender(): Contender {
  return {
    id: 'reference-f64',
    label: 'netae CPU reference (float64, plain loops)',
    note: 'fewer rows: float64 loops written to be read, on one thread',
    rows: SLOW_ROWS,
    async train(spec, data, init) {
      return trainEpoch(spec, data, init);
    },
    async score(spec, params, data): Promise<ScoreFigure> {
      return timeScoring(data, SCORE_CHUNK, async (values) => scoreRows(spec, params, values, data.cols));
    },
    describe: () => 'the CPU, float64, one thread',
    release() {},
  };
}
