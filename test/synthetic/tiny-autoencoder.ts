import { ADAM_DEFAULTS } from '../../src/gpu/adam';
import { initParams } from '../../src/model/init';
import { pickRows } from '../../src/model/matrix';
import { permutation, seededRandom } from '../../src/model/random';
import { adamState, adamStep, autoencoderForward, autoencoderGradients, matrix, rowError } from '../../src/model/reference';
import { layersOf, parseSpec } from '../../src/model/spec';

/**
 * A one-hidden-layer autoencoder (tanh code, linear output) trained with Adam on the mean squared
 * error by the float64 CPU reference: a stand-in "simple model" for checking that data is
 * separable by reconstruction error. Returns a scorer giving each row's mean squared
 * reconstruction error.
 */
export function trainTinyAutoencoder(
  x: Float32Array,
  rows: number,
  width: number,
  options: { hidden: number; epochs: number; seed: number; learningRate?: number; batch?: number },
): (m: Float32Array, n: number) => Float32Array {
  const { hidden, epochs, seed, learningRate = 3e-3, batch = 32 } = options;
  const spec = parseSpec(`${width}-${hidden}:tanh-${width}`, width);
  const layers = layersOf(spec);
  const params = Float64Array.from(initParams(spec, seed));
  const adam = adamState(params.length);
  const hyper = { ...ADAM_DEFAULTS, lr: learningRate };
  const random = seededRandom(seed);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = permutation(rows, random);
    for (let start = 0; start < rows; start += batch) {
      const picked = order.subarray(start, Math.min(rows, start + batch));
      const { grads } = autoencoderGradients(layers, params, matrix(picked.length, width, pickRows(x, width, picked)));
      adamStep(params, grads, adam, hyper);
    }
  }
  return (m, n) => {
    const input = matrix(n, width, m.subarray(0, n * width));
    return Float32Array.from(rowError(autoencoderForward(layers, params, input).at(-1)!, input));
  };
}
