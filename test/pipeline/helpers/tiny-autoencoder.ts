import { Rng } from '../../../src/synthetic/rng';

/**
 * A one-hidden-layer autoencoder (tanh code, linear output) trained with Adam on MSE, in float64
 * on the CPU: a stand-in "simple model" for checking that data is separable by reconstruction error.
 * Returns a scorer giving each row's mean squared reconstruction error.
 */
export function trainTinyAutoencoder(
  x: Float32Array,
  rows: number,
  width: number,
  options: { hidden: number; epochs: number; seed: number; learningRate?: number; batch?: number },
): (m: Float32Array, n: number) => Float32Array {
  const { hidden, epochs, seed, learningRate = 3e-3, batch = 32 } = options;
  const rng = new Rng(seed);
  const w1 = Float64Array.from({ length: hidden * width }, () => rng.normal(0, 1 / Math.sqrt(width)));
  const b1 = new Float64Array(hidden);
  const w2 = Float64Array.from({ length: width * hidden }, () => rng.normal(0, 1 / Math.sqrt(hidden)));
  const b2 = new Float64Array(width);
  const params = [w1, b1, w2, b2];
  const grads = params.map((p) => new Float64Array(p.length));
  const m1 = params.map((p) => new Float64Array(p.length));
  const m2 = params.map((p) => new Float64Array(p.length));
  const h = new Float64Array(hidden);
  const dOut = new Float64Array(width);
  const dH = new Float64Array(hidden);
  const order = Array.from({ length: rows }, (_, i) => i);

  const encode = (row: Float32Array) => {
    for (let k = 0; k < hidden; k++) {
      let z = b1[k];
      for (let j = 0; j < width; j++) z += w1[k * width + j] * row[j];
      h[k] = Math.tanh(z);
    }
  };
  const output = (j: number) => {
    let z = b2[j];
    for (let k = 0; k < hidden; k++) z += w2[j * hidden + k] * h[k];
    return z;
  };

  let step = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = rows - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let start = 0; start < rows; start += batch) {
      const end = Math.min(rows, start + batch);
      for (const g of grads) g.fill(0);
      for (let q = start; q < end; q++) {
        const row = x.subarray(order[q] * width, (order[q] + 1) * width);
        encode(row);
        for (let j = 0; j < width; j++) dOut[j] = (2 * (output(j) - row[j])) / width / (end - start);
        dH.fill(0);
        for (let j = 0; j < width; j++) {
          grads[3][j] += dOut[j];
          for (let k = 0; k < hidden; k++) {
            grads[2][j * hidden + k] += dOut[j] * h[k];
            dH[k] += dOut[j] * w2[j * hidden + k];
          }
        }
        for (let k = 0; k < hidden; k++) {
          const dz = dH[k] * (1 - h[k] * h[k]);
          grads[1][k] += dz;
          for (let j = 0; j < width; j++) grads[0][k * width + j] += dz * row[j];
        }
      }
      step++;
      params.forEach((p, t) => {
        const g = grads[t];
        for (let i = 0; i < p.length; i++) {
          m1[t][i] = 0.9 * m1[t][i] + 0.1 * g[i];
          m2[t][i] = 0.999 * m2[t][i] + 0.001 * g[i] * g[i];
          const mHat = m1[t][i] / (1 - 0.9 ** step);
          const vHat = m2[t][i] / (1 - 0.999 ** step);
          p[i] -= (learningRate * mHat) / (Math.sqrt(vHat) + 1e-8);
        }
      });
    }
  }

  return (m, n) => {
    const scores = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      const row = m.subarray(r * width, (r + 1) * width);
      encode(row);
      let error = 0;
      for (let j = 0; j < width; j++) error += (output(j) - row[j]) ** 2;
      scores[r] = error / width;
    }
    return scores;
  };
}
