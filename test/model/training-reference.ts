/**
 * What `train` should compute, in float64, with a bound on how far its float32 result can be:
 * the rows split and shuffled as the trainer's seed dictates (one Fisher–Yates shuffle of
 * all rows, the held-out ones first, then one of the training rows each epoch), each batch's
 * gradient by the reference backward pass, and torch.optim.Adam's update, step by step.
 *
 * The bounds are the running bounds of test/gpu/bounds.ts. The GPU's gradient at step t is
 * taken at its own float32 parameters θ̂, which differ from the reference's θ by at most e;
 * to first order that moves the gradient by at most |H| e, with H the batch loss's Hessian,
 * estimated by central differences of the reference gradient (doubled for the estimate's
 * own error). The loss moves by at most |∇L| · e.
 */
import { ADAM_DEFAULTS } from '../../src/gpu/adam';
import { initParams } from '../../src/model/init';
import { permutation, seededRandom } from '../../src/model/random';
import * as ref from '../../src/model/reference';
import { layersOf, type Layer, type LayerSpec } from '../../src/model/spec';
import type { Matrix32 } from '../../src/model/matrix';
import { AdamBound, gradientBounds } from '../gpu/bounds';

export interface ReferenceOptions {
  readonly spec: LayerSpec;
  readonly seed: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly weightDecay: number;
  readonly initial?: ArrayLike<number>;
  /**
   * Which rows of the epoch's order step s trains on (default: s·batch … s·batch + batch − 1).
   * Tests replace it to show that a trainer which took other rows would fail them.
   */
  readonly stepRows?: (epochOrder: Uint32Array, step: number, batch: number) => Uint32Array;
  /** A factor on every gradient (default 1), for the same purpose. */
  readonly gradScale?: number;
}

export interface ReferenceRun {
  readonly theta: Float64Array;
  readonly thetaBound: Float64Array;
  /** Each epoch's training loss (the step losses weighted by their rows) with its bound. */
  readonly epochLosses: { value: number; bound: number }[];
  /** The rows each step trained on, as indices into the data. */
  readonly batches: Uint32Array[][];
}

/** Σ_j |∂g_i/∂θ_j| e_j for every i: how far the gradient can move when θ moves within e. */
function hessianTimes(layers: readonly Layer[], theta: Float64Array, x: ref.Matrix, e: Float64Array): Float64Array {
  const out = new Float64Array(theta.length);
  const p = Float64Array.from(theta);
  for (let j = 0; j < p.length; j++) {
    if (e[j] === 0) continue;
    const h = 1e-4 * Math.max(1, Math.abs(p[j]));
    p[j] = theta[j] + h;
    const up = ref.autoencoderGradients(layers, p, x).grads;
    p[j] = theta[j] - h;
    const down = ref.autoencoderGradients(layers, p, x).grads;
    p[j] = theta[j];
    for (let i = 0; i < out.length; i++) out[i] += 2 * (Math.abs(up[i] - down[i]) / (2 * h)) * e[j];
  }
  return out;
}

const firstRows = (order: Uint32Array, s: number, batch: number) => order.subarray(s * batch, Math.min(order.length, (s + 1) * batch));

/** Training without held-out rows (validation 0), as `train` does it with the same options. */
export function referenceTraining(data: Matrix32, o: ReferenceOptions): ReferenceRun {
  const layers = layersOf(o.spec);
  const random = seededRandom(o.seed);
  const rows = permutation(data.rows, random);
  const batch = Math.min(o.batchSize, data.rows);
  const steps = Math.ceil(data.rows / batch);
  const adam = new AdamBound(o.initial ?? initParams(o.spec, o.seed), { ...ADAM_DEFAULTS, lr: o.lr, weightDecay: o.weightDecay });
  const stepRows = o.stepRows ?? firstRows;
  const scale = o.gradScale ?? 1;
  const epochLosses: { value: number; bound: number }[] = [];
  const batches: Uint32Array[][] = [];
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const order = permutation(data.rows, random);
    let value = 0;
    let bound = 0;
    const epochBatches: Uint32Array[] = [];
    for (let s = 0; s < steps; s++) {
      const picked = Uint32Array.from(stepRows(order, s, batch), (i) => rows[i]);
      epochBatches.push(picked);
      const x = ref.matrix(picked.length, data.cols);
      picked.forEach((r, i) => x.data.set(data.values.subarray(r * data.cols, (r + 1) * data.cols), i * data.cols));
      const { loss, grads } = gradientBounds(layers, adam.theta, x);
      const drift = hessianTimes(layers, adam.theta, x, adam.thetaBound);
      const lossDrift = grads.values.reduce((acc, g, i) => acc + Math.abs(g) * adam.thetaBound[i], 0);
      value += loss.value * picked.length;
      bound += (loss.bound + lossDrift) * picked.length;
      adam.step(grads.values.map((g) => g * scale), grads.bound.map((b, i) => scale * (b + drift[i])));
    }
    // The host weighs the float32 step losses in float64: no rounding worth a term.
    epochLosses.push({ value: value / data.rows, bound: bound / data.rows });
    batches.push(epochBatches);
  }
  return { theta: adam.theta, thetaBound: adam.thetaBound, epochLosses, batches };
}
