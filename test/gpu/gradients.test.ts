import { describe, expect, it } from 'vitest';
import { lossAndGradients } from '../../src/model/gradients';
import { initParams } from '../../src/model/init';
import * as ref from '../../src/model/reference';
import { layersOf, withActivations, type LayerSpec } from '../../src/model/spec';
import { randomMatrix, testGpu } from './helpers';

const gpu = await testGpu();

/** Central differences of the float64 reference loss. */
function numericGradients(spec: LayerSpec, params: Float32Array, x: ref.Matrix, h = 1e-5): Float64Array {
  const layers = layersOf(spec);
  const p = Float64Array.from(params);
  const grads = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const keep = p[i];
    p[i] = keep + h;
    const up = ref.autoencoderLoss(layers, p, x);
    p[i] = keep - h;
    const down = ref.autoencoderLoss(layers, p, x);
    p[i] = keep;
    grads[i] = (up - down) / (2 * h);
  }
  return grads;
}

/** max |a − b| / max(|b|, 1e-2 · max |b|): relative, with a floor for gradients near zero. */
function worstRelative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1e-2 * scale));
  return worst;
}

describe('gradient check of a 3-layer autoencoder: forward, MSE and backward on the GPU', () => {
  it.each([
    ['tanh, sigmoid, identity', { widths: [6, 5, 3, 6], activations: ['tanh', 'sigmoid', 'identity'] } as LayerSpec],
    ['relu, relu, sigmoid', withActivations([7, 5, 3, 7], 'relu', 'sigmoid')],
    ['identity, tanh, tanh', { widths: [5, 4, 2, 5], activations: ['identity', 'tanh', 'tanh'] } as LayerSpec],
  ])('%s: GPU gradients agree with finite differences to 1e-3', async (_name, spec) => {
    const rows = 24;
    const x = randomMatrix(rows, spec.widths[0], 42, 1);
    const params = initParams(spec, 7);
    const gpuResult = await lossAndGradients(gpu, spec, params, { values: x.f32, rows, cols: spec.widths[0] });
    const numeric = numericGradients(spec, params, x.ref);
    expect(worstRelative(gpuResult.grads, numeric)).toBeLessThan(1e-3);
    expect(Math.abs(gpuResult.loss - ref.autoencoderLoss(layersOf(spec), params, x.ref))).toBeLessThan(1e-5);
    expect(worstRelative(ref.autoencoderGradients(layersOf(spec), params, x.ref).grads, numeric)).toBeLessThan(1e-6);
  });
});
