/**
 * A running error analysis of the autoencoder and of Adam: the float64 reference's values,
 * each with a bound on how far a float32 computation of it can be (Higham, Accuracy and
 * Stability of Numerical Algorithms, §3.3: running error bounds).
 *
 * Each quantity carries its exact value v and a bound e on |v̂ − v|. An operation adds the
 * rounding of its own result (γ_n · Σ|terms| for a sum of n terms, u·|v| for a product or a
 * quotient, the WGSL error of exp for sigmoid and tanh) to the error its inputs carry in,
 * propagated to first order through the operation's slope. Products of two errors (u² and
 * smaller) are dropped, and a ReLU is taken to be on the same side of its kink in float32
 * as in float64 (seeded random inputs put no pre-activation within 10⁻⁶ of 0).
 */
import type { Activation } from '../../src/gpu/activation';
import type { AdamHyper } from '../../src/gpu/adam';
import * as ref from '../../src/model/reference';
import type { Layer } from '../../src/model/spec';
import { DIV_ERROR, SQRT_ERROR, U32, activationError, gamma, gradError, gradSlope } from './helpers';

export interface Bounded {
  readonly values: Float64Array;
  readonly bound: Float64Array;
}

/** max |f'| over [z − e, z + e], from |f'(z)| and |f''| ≤ 1 for every activation. */
function slope(z: number, e: number, act: Activation): number {
  if (act === 'identity') return 1;
  if (act === 'relu') return z > 0 ? 1 : 0;
  return ref.activateGrad(ref.activate(z, act), act) + e;
}

/** Every layer's output with its bound, the input (exact) first. */
export function forwardBounds(layers: readonly Layer[], params: ArrayLike<number>, x: ref.Matrix): Bounded[] {
  const M = x.rows;
  const out: Bounded[] = [{ values: Float64Array.from(x.data), bound: new Float64Array(x.data.length) }];
  for (const layer of layers) {
    const { inputs: K, outputs: N, activation: act } = layer;
    const prev = out[out.length - 1];
    const values = new Float64Array(M * N);
    const bound = new Float64Array(M * N);
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        const b = params[layer.biasOffset + n];
        let z = b;
        let terms = Math.abs(b);
        let carried = 0;
        for (let k = 0; k < K; k++) {
          const w = params[layer.weightOffset + n * K + k];
          z += prev.values[m * K + k] * w;
          terms += Math.abs(prev.values[m * K + k] * w);
          carried += Math.abs(w) * prev.bound[m * K + k];
        }
        const ez = gamma(K + 2) * terms + carried;
        values[m * N + n] = ref.activate(z, act);
        bound[m * N + n] = slope(z, ez, act) * ez + activationError(z, act);
      }
    }
    out.push({ values, bound });
  }
  return out;
}

/**
 * Row errors (1/N) Σ_n (y − x)² of the last output, with bounds. A row's N squares are
 * summed in one chain (γ_{N+1} with the squares), then divided.
 */
export function rowErrorBounds(y: Bounded, x: ref.Matrix): Bounded {
  const [M, N] = [x.rows, x.cols];
  const values = new Float64Array(M);
  const bound = new Float64Array(M);
  for (let m = 0; m < M; m++) {
    let sq = 0;
    let carried = 0;
    for (let n = 0; n < N; n++) {
      const i = m * N + n;
      const d = y.values[i] - x.data[i];
      sq += d * d;
      carried += 2 * Math.abs(d) * (y.bound[i] + U32 * Math.abs(d));
    }
    values[m] = sq / N;
    bound[m] = ((gamma(N + 1) + DIV_ERROR) * sq + carried) / N;
  }
  return { values, bound };
}

/**
 * Row scores by Student's t, (1/N) Σ_n log(1 + (y − x)²/τ) (src/shaders/row-score.wgsl), with
 * bounds. Each term carries the error of its square (as in rowErrorBounds) through the quotient
 * (2.5 ULP) and log1p's slope 1/(1 + q), plus log1p's own error: below 0.1 the series' Horner
 * steps (16u relative, generously) and its truncation q⁷/7; above, the rounding of 1 + q (u) and
 * WGSL's log (absolute 2⁻²¹ near 1, else 3 ULP). The N terms are summed in one chain.
 */
export function studentBounds(y: Bounded, x: ref.Matrix, tail: number): Bounded {
  const [M, N] = [x.rows, x.cols];
  const values = new Float64Array(M);
  const bound = new Float64Array(M);
  for (let m = 0; m < M; m++) {
    let sum = 0;
    let carried = 0;
    for (let n = 0; n < N; n++) {
      const i = m * N + n;
      const d = y.values[i] - x.data[i];
      const e = d * d;
      const de = 2 * Math.abs(d) * (y.bound[i] + U32 * Math.abs(d)) + U32 * e;
      const q = e / tail;
      const dq = de / tail + DIV_ERROR * q;
      const v = Math.log1p(q);
      const own = q < 0.1 ? 16 * U32 * v + q ** 7 / 7 : U32 + Math.max(2 ** -21, 6 * U32 * v);
      sum += v;
      carried += dq / (1 + q) + own;
    }
    values[m] = sum / N;
    bound[m] = ((gamma(N) + DIV_ERROR) * sum + carried) / N;
  }
  return { values, bound };
}

/**
 * The mean of `rows` row errors, with its bound: the rows' bounds plus the rounding of a sum
 * whose terms pass through at most `depth` additions (the kernels sum a loop per invocation,
 * then a tree; M + 2 covers any order).
 */
export function meanBound(rows: Bounded, depth = rows.values.length + 2): { value: number; bound: number } {
  const n = rows.values.length;
  const total = rows.values.reduce((s, v) => s + v, 0);
  const carried = rows.bound.reduce((s, v) => s + v, 0);
  return { value: total / n, bound: ((gamma(depth) + DIV_ERROR) * total + carried) / n };
}

/**
 * The mse kernel's three outputs with bounds: row errors, the batch loss, and
 * dZ = scale · (y − x) · f'(y) of the last layer, scale = 2 / (M·N) a float32 quotient.
 */
export function mseBounds(y: Bounded, x: ref.Matrix, act: Activation): { rowErr: Bounded; loss: { value: number; bound: number }; dz: Bounded } {
  const [M, N] = [x.rows, x.cols];
  const rowErr = rowErrorBounds(y, x);
  const loss = meanBound(rowErr, M + N + 2);
  const scale = 2 / (M * N);
  const dz: Bounded = { values: new Float64Array(M * N), bound: new Float64Array(M * N) };
  for (let i = 0; i < M * N; i++) {
    const d = y.values[i] - x.data[i];
    const ed = y.bound[i] + U32 * Math.abs(d);
    const g = ref.activateGrad(y.values[i], act);
    const eg = gradSlope(y.values[i], act) * y.bound[i] + gradError(act);
    dz.values[i] = scale * d * g;
    dz.bound[i] = scale * (ed * Math.abs(g) + Math.abs(d) * eg) + (2 * U32 + DIV_ERROR) * Math.abs(dz.values[i]);
  }
  return { rowErr, loss, dz };
}

/** The batch loss and every parameter's gradient, as the reference computes them, with bounds. */
export function gradientBounds(layers: readonly Layer[], params: ArrayLike<number>, x: ref.Matrix): { loss: { value: number; bound: number }; grads: Bounded } {
  const M = x.rows;
  const outputs = forwardBounds(layers, params, x);
  const mse = mseBounds(outputs[outputs.length - 1], x, layers[layers.length - 1].activation);
  const loss = mse.loss;
  let dz = mse.dz;

  const grads = new Float64Array(params.length);
  const gradBound = new Float64Array(params.length);
  for (let l = layers.length - 1; l >= 0; l--) {
    const { inputs: K, outputs: N } = layers[l];
    const prev = outputs[l];
    for (let n = 0; n < N; n++) {
      let db = 0;
      let dbTerms = 0;
      let dbCarried = 0;
      for (let m = 0; m < M; m++) {
        db += dz.values[m * N + n];
        dbTerms += Math.abs(dz.values[m * N + n]);
        dbCarried += dz.bound[m * N + n];
      }
      grads[layers[l].biasOffset + n] = db;
      gradBound[layers[l].biasOffset + n] = gamma(M) * dbTerms + dbCarried;
      for (let k = 0; k < K; k++) {
        let dw = 0;
        let terms = 0;
        let carried = 0;
        for (let m = 0; m < M; m++) {
          const a = dz.values[m * N + n];
          const b = prev.values[m * K + k];
          dw += a * b;
          terms += Math.abs(a * b);
          carried += dz.bound[m * N + n] * Math.abs(b) + Math.abs(a) * prev.bound[m * K + k];
        }
        grads[layers[l].weightOffset + n * K + k] = dw;
        gradBound[layers[l].weightOffset + n * K + k] = gamma(M + 1) * terms + carried;
      }
    }
    if (l === 0) break;
    // dZ_prev = (dZ · W) ⊙ f'(Y_prev)
    const act = layers[l - 1].activation;
    const next: Bounded = { values: new Float64Array(M * K), bound: new Float64Array(M * K) };
    for (let m = 0; m < M; m++) {
      for (let k = 0; k < K; k++) {
        let s = 0;
        let terms = 0;
        let carried = 0;
        for (let n = 0; n < N; n++) {
          const w = params[layers[l].weightOffset + n * K + k];
          s += dz.values[m * N + n] * w;
          terms += Math.abs(dz.values[m * N + n] * w);
          carried += dz.bound[m * N + n] * Math.abs(w);
        }
        const yp = prev.values[m * K + k];
        const g = ref.activateGrad(yp, act);
        const eg = gradSlope(yp, act) * prev.bound[m * K + k] + gradError(act);
        const es = gamma(N + 1) * terms + carried;
        next.values[m * K + k] = s * g;
        next.bound[m * K + k] = es * Math.abs(g) + Math.abs(s) * eg + U32 * Math.abs(s * g);
      }
    }
    dz = next;
  }
  return { loss, grads: { values: grads, bound: gradBound } };
}

/** A float32 copy of c differs from it by |f32(c) − c|; 1 − c computed from that copy by that plus a rounding. */
function constantError(c: number): number {
  return Math.abs(Math.fround(c) - c);
}

/**
 * Adam's state in float64 with a bound on each float32 value, stepped as torch.optim.Adam
 * (src/shaders/adam-rule.wgsl). Besides the rounding of each operation it counts that the
 * kernels hold β1, β2, lr and ε as float32 (1 − f32(0.999) is 1.3·10⁻⁵ away from 0.001 in
 * relative terms) and compute 1 − βᵗ from ln β by a series or exp (taken as 16 u relative).
 */
export class AdamBound {
  readonly theta: Float64Array;
  readonly thetaBound: Float64Array;
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private readonly mBound: Float64Array;
  private readonly vBound: Float64Array;
  private t = 0;

  constructor(initial: ArrayLike<number>, private readonly h: AdamHyper) {
    this.theta = Float64Array.from(initial);
    this.thetaBound = new Float64Array(initial.length);
    this.m = new Float64Array(initial.length);
    this.v = new Float64Array(initial.length);
    this.mBound = new Float64Array(initial.length);
    this.vBound = new Float64Array(initial.length);
  }

  /** One step with the exact gradient `grads` of the float64 parameters, which float32 has within `gradBound`. */
  step(grads: ArrayLike<number>, gradBound: ArrayLike<number>): void {
    const { h } = this;
    this.t += 1;
    const [b1, b2] = [1 - h.beta1 ** this.t, 1 - h.beta2 ** this.t];
    const c1 = constantError(h.beta1);
    const c2 = constantError(h.beta2);
    const sizeRel = DIV_ERROR + 16 * U32 + constantError(h.lr) / h.lr;
    const sqrtB2Rel = 8 * U32 + SQRT_ERROR;
    for (let i = 0; i < this.theta.length; i++) {
      const theta = this.theta[i];
      const g = grads[i] + h.weightDecay * theta;
      const eg = gradBound[i] + h.weightDecay * this.thetaBound[i] + constantError(h.weightDecay) * Math.abs(theta)
        + 2 * U32 * (Math.abs(grads[i]) + Math.abs(h.weightDecay * theta));
      const m = h.beta1 * this.m[i] + (1 - h.beta1) * g;
      const em = h.beta1 * this.mBound[i] + (1 - h.beta1) * eg
        + c1 * (Math.abs(this.m[i]) + Math.abs(g)) + 3 * U32 * (h.beta1 * Math.abs(this.m[i]) + (1 - h.beta1) * Math.abs(g));
      const v = h.beta2 * this.v[i] + (1 - h.beta2) * g * g;
      const ev = h.beta2 * this.vBound[i] + (1 - h.beta2) * 2 * Math.abs(g) * eg
        + c2 * (this.v[i] + g * g) + 4 * U32 * v;
      // √v̂ − √v ≤ ev / (√(v + ev) + √v), finite where v is 0.
      const root = Math.sqrt(v);
      const eRoot = ev / (Math.sqrt(v + ev) + root || 1) + SQRT_ERROR * root;
      const denom = root / Math.sqrt(b2) + h.eps;
      const eDenom = eRoot / Math.sqrt(b2) + (root / Math.sqrt(b2)) * (sqrtB2Rel + DIV_ERROR) + constantError(h.eps) + U32 * denom;
      const size = h.lr / b1;
      const update = (size * m) / denom;
      const eUpdate = (size * (em + Math.abs(m) * (sizeRel + U32 + DIV_ERROR))) / denom + Math.abs(update) * (eDenom / denom);
      this.theta[i] = theta - update;
      this.thetaBound[i] = this.thetaBound[i] + eUpdate + U32 * Math.abs(this.theta[i]);
      this.m[i] = m;
      this.v[i] = v;
      this.mBound[i] = em;
      this.vBound[i] = ev;
    }
  }
}
