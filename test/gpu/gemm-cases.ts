/**
 * The dense layer's three products on seeded inputs, with the float64 reference
 * (src/model/reference.ts) and, for every output, a bound on its float32 error: γ_n times
 * the sum of the magnitudes of the n terms (products and bias) that make it, plus the error
 * that WGSL allows the activation functions themselves (sigmoid and tanh are built from exp,
 * whose error the WGSL spec bounds by 3 + 2|x| ULP).
 */
import type { Activation } from '../../src/gpu/activation';
import * as ref from '../../src/model/reference';
import { activationError, gamma, gradError, randomMatrix } from './helpers';

type Inputs = { f32: Float32Array; ref: ref.Matrix };

const abs = (m: ref.Matrix): ref.Matrix => ref.matrix(m.rows, m.cols, m.data.map(Math.abs));

export interface Expected {
  readonly values: Float64Array;
  readonly bound: Float64Array;
}

/** Y = act(X · Wᵀ + b):  X [M×K], W [N×K], b [N]. */
export function forwardCase(M: number, K: number, N: number, seed: number) {
  const x = randomMatrix(M, K, seed);
  const w = randomMatrix(N, K, seed + 1, 1 / Math.sqrt(K));
  const b = randomMatrix(1, N, seed + 2, 0.5);
  const z = ref.linearForward(x.ref, w.ref, b.f32, 'identity');
  const sums = ref.linearForward(abs(x.ref), abs(w.ref), b.f32.map(Math.abs), 'identity');
  const g = gamma(K + 2);
  return {
    x, w, b,
    expected(act: Activation): Expected {
      const values = z.data.map((v) => ref.activate(v, act));
      const bound = sums.data.map((s, i) => g * s + activationError(z.data[i], act));
      return { values, bound };
    },
  };
}

/** Y_prev for an activation: values its output can take. */
function prevValues(prev: Inputs, act: Activation): Float32Array {
  if (act === 'relu') return prev.f32.map(Math.abs);
  if (act === 'sigmoid') return prev.f32.map((v) => (v + 1) / 2);
  return prev.f32;
}

/** dZ_prev = (dZ · W) ⊙ act'(Y_prev):  dZ [M×N], W [N×K], Y_prev [M×K]. */
export function backwardInputCase(M: number, K: number, N: number, seed: number) {
  const dz = randomMatrix(M, N, seed);
  const w = randomMatrix(N, K, seed + 1, 1 / Math.sqrt(N));
  const prev = randomMatrix(M, K, seed + 2);
  const ones = ref.matrix(M, K, new Float64Array(M * K).fill(1));
  const sums = ref.linearBackwardInput(abs(dz.ref), abs(w.ref), ones, 'identity');
  const g = gamma(N + 2);
  return {
    dz, w,
    prev(act: Activation): Float32Array {
      return prevValues(prev, act);
    },
    expected(act: Activation): Expected {
      const y = prevValues(prev, act);
      const values = ref.linearBackwardInput(dz.ref, w.ref, ref.matrix(M, K, y), act).data;
      const bound = sums.data.map((s, i) => s * (g * Math.abs(ref.activateGrad(y[i], act)) + gradError(act)));
      return { values, bound };
    },
  };
}

/** dW = dZᵀ · X, db = Σ_rows dZ:  dZ [M×N], X [M×K]. */
export function backwardWeightCase(M: number, K: number, N: number, seed: number) {
  const dz = randomMatrix(M, N, seed, 1 / Math.sqrt(M));
  const x = randomMatrix(M, K, seed + 1);
  const exact = ref.linearBackwardWeight(dz.ref, x.ref);
  const sums = ref.linearBackwardWeight(abs(dz.ref), abs(x.ref));
  const g = gamma(M + 1);
  return {
    dz, x,
    dw: { values: exact.dw.data, bound: sums.dw.data.map((s) => g * s) } as Expected,
    db: { values: exact.db, bound: sums.db.map((s) => g * s) } as Expected,
  };
}
