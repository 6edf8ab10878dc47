import { describe, expect, it } from 'vitest';
import { encodeLaunch, releaseLaunches } from '../../src/gpu/launch';
import { BYTES, createTensor, readBytes } from '../../src/gpu/tensor';
import { initParams } from '../../src/model/init';
import { createLayerTensors, createOutputs, destroyTensors } from '../../src/model/network';
import * as ref from '../../src/model/reference';
import { layersOf, withActivations, type LayerSpec } from '../../src/model/spec';
import { forceGemmTiling } from '../../src/gpu/gemm';
import { BLOCK_TILINGS, DIRECT_TILES, ROWS_TILINGS } from '../../src/gpu/tuning';
import { planStep } from '../../src/model/step';
import { gradientBounds } from './bounds';
import { expectTight, expectWithin, randomMatrix, testGpu } from './helpers';

const gpu = await testGpu();

/**
 * The batch loss and its gradient with respect to every parameter, computed on the GPU by the
 * launches of a per-layer training step (`planStep`) up to, not including, Adam's update.
 */
async function lossAndGradients(spec: LayerSpec, params: Float32Array, values: Float32Array, rows: number): Promise<{ loss: number; grads: Float32Array }> {
  const layers = layersOf(spec);
  const x = createTensor(gpu, rows, spec.widths[0], 'X', values);
  const p = createLayerTensors(gpu, spec, 'params', '', params);
  const g = createLayerTensors(gpu, spec, 'grads', 'd');
  const outputs = createOutputs(gpu, layers, rows, 'Y');
  const dz = createOutputs(gpu, layers, rows, 'dZ');
  const rowErr = createTensor(gpu, rows, 1, 'row errors');
  const loss = createTensor(gpu, 1, 1, 'loss');
  const steps = await planStep(gpu, layers, p, g, { x, outputs, dz, rowErr, loss });
  try {
    const encoder = gpu.device.createCommandEncoder({ label: 'gradients' });
    const pass = encoder.beginComputePass({ label: 'gradients' });
    for (const s of steps) encodeLaunch(pass, s.launch, s.offsets(0, 0));
    pass.end();
    gpu.submit([encoder.finish()], steps.map((s) => s.launch.label));
    const grads = new Float32Array(await readBytes(gpu, g.all.buffer, 0, params.length * BYTES));
    const [value] = new Float32Array(await readBytes(gpu, loss.buffer, 0, BYTES));
    await gpu.check();
    return { loss: value, grads };
  } finally {
    releaseLaunches(steps.map((s) => s.launch));
    destroyTensors([x, p.all, g.all, ...outputs, ...dz, rowErr, loss]);
  }
}

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
    const gpuResult = await lossAndGradients(spec, params, x.f32, rows);
    const numeric = numericGradients(spec, params, x.ref);
    expect(worstRelative(gpuResult.grads, numeric)).toBeLessThan(1e-3);
    expect(Math.abs(gpuResult.loss - ref.autoencoderLoss(layersOf(spec), params, x.ref))).toBeLessThan(1e-5);
    expect(worstRelative(ref.autoencoderGradients(layersOf(spec), params, x.ref).grads, numeric)).toBeLessThan(1e-6);
  });
});

const SPECS: [string, LayerSpec][] = [
  ['tanh, relu, sigmoid, identity', { widths: [13, 9, 4, 9, 13], activations: ['tanh', 'relu', 'sigmoid', 'identity'] }],
  ['relu…, sigmoid', withActivations([10, 7, 3, 7, 10], 'relu', 'sigmoid')],
];

/** The default tiling, and each kind forced: direct, a staged block tiling, a rows tiling for dW. */
const FORCED: (string | null)[] = [null, DIRECT_TILES.name, BLOCK_TILINGS[BLOCK_TILINGS.length - 1].name, ROWS_TILINGS.find((t) => !t.subgroups)!.name];

describe('per-layer gradients equal the float64 reference within their float32 error bound', () => {
  it.each(SPECS.flatMap(([name, spec]) => FORCED.map((tiling) => [name, tiling ?? 'default', tiling, spec] as const)))(
    '%s, %s tiling: loss and every parameter\'s gradient', async (_name, _label, tiling, spec) => {
      const rows = 70;
      const x = randomMatrix(rows, spec.widths[0], 5, 1);
      const params = initParams(spec, 11);
      const want = gradientBounds(layersOf(spec), params, x.ref);
      forceGemmTiling(gpu, tiling);
      try {
        const got = await lossAndGradients(spec, params, x.f32, rows);
        expectWithin(got.grads, want.grads.values, want.grads.bound);
        expectWithin([got.loss], [want.loss.value], [want.loss.bound]);
      } finally {
        forceGemmTiling(gpu, null);
      }
      expectTight(want.grads.values, want.grads.bound);
      const exact = ref.autoencoderGradients(layersOf(spec), params, x.ref);
      want.grads.values.forEach((g, i) => expect(g).toBeCloseTo(exact.grads[i], 14));
    });
});
