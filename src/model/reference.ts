/**
 * The CPU reference: every GPU op of netae in float64 plain loops, written to be read.
 * Tests compare the WGSL kernels with these; nothing here is tuned for speed.
 */

import type { Activation } from '../gpu/activation';
import type { AdamHyper } from '../gpu/adam';
import type { Layer } from './spec';
import { featureScore } from './row-score';

export type { Activation, AdamHyper };

export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  /** Row-major values. */
  readonly data: Float64Array;
}

export function matrix(rows: number, cols: number, values?: ArrayLike<number>): Matrix {
  const data = new Float64Array(rows * cols);
  if (values) data.set(Array.from(values));
  return { rows, cols, data };
}

export function at(a: Matrix, r: number, c: number): number {
  return a.data[r * a.cols + c];
}

export function activate(z: number, act: Activation): number {
  switch (act) {
    case 'relu': return Math.max(z, 0);
    case 'sigmoid': return 1 / (1 + Math.exp(-z));
    case 'tanh': return Math.tanh(z);
    default: return z;
  }
}

/** f'(z) written in terms of y = f(z). */
export function activateGrad(y: number, act: Activation): number {
  switch (act) {
    case 'relu': return y > 0 ? 1 : 0;
    case 'sigmoid': return y * (1 - y);
    case 'tanh': return 1 - y * y;
    default: return 1;
  }
}

/** Y = act(X · Wᵀ + b);  X [M × K], W [N × K], b [N]. */
export function linearForward(x: Matrix, w: Matrix, b: ArrayLike<number>, act: Activation): Matrix {
  const y = matrix(x.rows, w.rows);
  for (let m = 0; m < x.rows; m++) {
    for (let n = 0; n < w.rows; n++) {
      let z = b[n];
      for (let k = 0; k < x.cols; k++) z += at(x, m, k) * at(w, n, k);
      y.data[m * y.cols + n] = activate(z, act);
    }
  }
  return y;
}

/** dZ_prev = (dZ · W) ⊙ act'(Y_prev);  dZ [M × N], W [N × K], Y_prev [M × K]. */
export function linearBackwardInput(dz: Matrix, w: Matrix, prev: Matrix, act: Activation): Matrix {
  const dx = matrix(dz.rows, w.cols);
  for (let m = 0; m < dz.rows; m++) {
    for (let k = 0; k < w.cols; k++) {
      let s = 0;
      for (let n = 0; n < dz.cols; n++) s += at(dz, m, n) * at(w, n, k);
      dx.data[m * dx.cols + k] = s * activateGrad(at(prev, m, k), act);
    }
  }
  return dx;
}

/** dW = dZᵀ · X and db = Σ_rows dZ;  dZ [M × N], X [M × K]. */
export function linearBackwardWeight(dz: Matrix, x: Matrix): { dw: Matrix; db: Float64Array } {
  const dw = matrix(dz.cols, x.cols);
  const db = new Float64Array(dz.cols);
  for (let n = 0; n < dz.cols; n++) {
    for (let m = 0; m < dz.rows; m++) db[n] += at(dz, m, n);
    for (let k = 0; k < x.cols; k++) {
      let s = 0;
      for (let m = 0; m < dz.rows; m++) s += at(dz, m, n) * at(x, m, k);
      dw.data[n * dw.cols + k] = s;
    }
  }
  return { dw, db };
}

/** Each row's score (row-score.ts, τ = `tail`): by default its mean squared error. */
export function rowError(y: Matrix, x: Matrix, tail = 0): Float64Array {
  const out = new Float64Array(y.rows);
  for (let m = 0; m < y.rows; m++) {
    let s = 0;
    for (let n = 0; n < y.cols; n++) s += featureScore((at(y, m, n) - at(x, m, n)) ** 2, tail);
    out[m] = s / y.cols;
  }
  return out;
}

/** Row errors, the batch loss (their mean) and dL/dZ of the last layer, whose output Y is. */
export function mse(y: Matrix, target: Matrix, act: Activation): { rowErr: Float64Array; loss: number; dz: Matrix } {
  const rowErr = rowError(y, target);
  const loss = rowErr.reduce((s, e) => s + e, 0) / y.rows;
  const dz = matrix(y.rows, y.cols);
  const scale = 2 / (y.rows * y.cols);
  for (let i = 0; i < y.data.length; i++) {
    dz.data[i] = scale * (y.data[i] - target.data[i]) * activateGrad(y.data[i], act);
  }
  return { rowErr, loss, dz };
}

export interface AdamState {
  readonly m: Float64Array;
  readonly v: Float64Array;
  t: number;
}

export function adamState(n: number): AdamState {
  return { m: new Float64Array(n), v: new Float64Array(n), t: 0 };
}

/** One step of torch.optim.Adam (no amsgrad), updating params and state in place. */
export function adamStep(params: Float64Array, grads: ArrayLike<number>, state: AdamState, h: AdamHyper): void {
  state.t += 1;
  const bias1 = 1 - h.beta1 ** state.t;
  const bias2 = 1 - h.beta2 ** state.t;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i] + h.weightDecay * params[i];
    state.m[i] = h.beta1 * state.m[i] + (1 - h.beta1) * g;
    state.v[i] = h.beta2 * state.v[i] + (1 - h.beta2) * g * g;
    const denom = Math.sqrt(state.v[i]) / Math.sqrt(bias2) + h.eps;
    params[i] -= (h.lr / bias1) * (state.m[i] / denom);
  }
}

export function sum(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}

function weightsOf(params: ArrayLike<number>, layer: Layer): { w: Matrix; b: Float64Array } {
  const w = matrix(layer.outputs, layer.inputs);
  for (let i = 0; i < w.data.length; i++) w.data[i] = params[layer.weightOffset + i];
  const b = new Float64Array(layer.outputs);
  for (let i = 0; i < b.length; i++) b[i] = params[layer.biasOffset + i];
  return { w, b };
}

/** Every layer's output, the input first: [X, Y1, …, YL]. */
export function autoencoderForward(layers: readonly Layer[], params: ArrayLike<number>, x: Matrix): Matrix[] {
  const outputs = [x];
  for (const layer of layers) {
    const { w, b } = weightsOf(params, layer);
    outputs.push(linearForward(outputs[outputs.length - 1], w, b, layer.activation));
  }
  return outputs;
}

/** The batch loss: mean over rows and features of (Y − X)². */
export function autoencoderLoss(layers: readonly Layer[], params: ArrayLike<number>, x: Matrix): number {
  const outputs = autoencoderForward(layers, params, x);
  return mse(outputs[outputs.length - 1], x, layers[layers.length - 1].activation).loss;
}

/** The loss and its gradient with respect to every parameter, laid out as the parameters are. */
export function autoencoderGradients(layers: readonly Layer[], params: ArrayLike<number>, x: Matrix): { loss: number; grads: Float64Array } {
  const outputs = autoencoderForward(layers, params, x);
  const last = layers[layers.length - 1];
  const { loss, dz: dzLast } = mse(outputs[outputs.length - 1], x, last.activation);
  const grads = new Float64Array(params.length);
  let dz = dzLast;
  for (let l = layers.length - 1; l >= 0; l--) {
    const layer = layers[l];
    const { dw, db } = linearBackwardWeight(dz, outputs[l]);
    grads.set(dw.data, layer.weightOffset);
    grads.set(db, layer.biasOffset);
    if (l > 0) dz = linearBackwardInput(dz, weightsOf(params, layer).w, outputs[l], layers[l - 1].activation);
  }
  return { loss, grads };
}
