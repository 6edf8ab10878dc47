/**
 * netae's training against PyTorch itself: test/model/fixtures/torch-adam.json holds rows,
 * initial weights and the parameters torch.optim.Adam reached on them, in float64 and in
 * float32, written by scripts/torch-adam-fixture.py (PyTorch 1.13).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAM_DEFAULTS } from '../../src/gpu/adam';
import { acquireGpu, type Gpu } from '../../src/gpu/device';
import { permutation, seededRandom } from '../../src/model/random';
import * as ref from '../../src/model/reference';
import { layersOf, type LayerSpec } from '../../src/model/spec';
import type { Matrix32 } from '../../src/model/matrix';
import { train } from '../../src/model/trainer';
import { expectWithin } from '../gpu/helpers';
import { referenceTraining } from './training-reference';

interface Fixture {
  torch: string;
  seed: number;
  epochs: number;
  batchSize: number;
  spec: LayerSpec;
  hyper: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number };
  rows: number[];
  initial: number[];
  trainOrder: number[];
  epochOrders: number[][];
  float64: { params: number[]; epochLosses: number[] };
  float32: { params: number[]; epochLosses: number[] };
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/torch-adam.json', import.meta.url), 'utf8')) as Fixture;
const F = fixture.spec.widths[0];
const data: Matrix32 = { values: Float32Array.from(fixture.rows), rows: fixture.rows.length / F, cols: F };
const options = {
  spec: fixture.spec, seed: fixture.seed, epochs: fixture.epochs, batchSize: fixture.batchSize,
  lr: fixture.hyper.lr, weightDecay: fixture.hyper.weightDecay, initial: Float32Array.from(fixture.initial),
};
const expected = referenceTraining(data, options);

let gpu: Gpu;

beforeAll(async () => {
  gpu = await acquireGpu();
});

afterAll(() => gpu.release());

describe('training against a PyTorch fixture', () => {
  it('was made by PyTorch from float32 inputs, with the trainer\'s hyperparameters and its shuffles', () => {
    expect(fixture.torch).toMatch(/^1\.13/);
    expect(Array.from(data.values)).toEqual(fixture.rows);
    expect(Array.from(options.initial)).toEqual(fixture.initial);
    const { beta1, beta2, eps } = fixture.hyper;
    expect({ beta1, beta2, eps }).toEqual({ beta1: ADAM_DEFAULTS.beta1, beta2: ADAM_DEFAULTS.beta2, eps: ADAM_DEFAULTS.eps });
    const random = seededRandom(fixture.seed);
    expect(Array.from(permutation(data.rows, random))).toEqual(fixture.trainOrder);
    for (const order of fixture.epochOrders) expect(Array.from(permutation(data.rows, random))).toEqual(order);
    expect(expected.batches.flat().map((b) => b.length)).toEqual([8, 8, 4, 8, 8, 4]);
  });

  it('the float64 reference (backward pass and Adam rule) equals torch in float64 to 1e-12', () => {
    const theta = Float64Array.from(fixture.initial);
    const state = ref.adamState(theta.length);
    for (const batch of expected.batches.flat()) {
      const x = ref.matrix(batch.length, F);
      batch.forEach((r, i) => x.data.set(data.values.subarray(r * F, (r + 1) * F), i * F));
      const { grads } = ref.autoencoderGradients(layersOf(fixture.spec), theta, x);
      ref.adamStep(theta, grads, state, { ...ADAM_DEFAULTS, lr: fixture.hyper.lr, weightDecay: fixture.hyper.weightDecay });
    }
    theta.forEach((v, i) => expect(Math.abs(v - fixture.float64.params[i])).toBeLessThan(1e-12));
    expected.theta.forEach((v, i) => expect(Math.abs(v - fixture.float64.params[i])).toBeLessThan(1e-12));
    expected.epochLosses.forEach((l, i) => expect(Math.abs(l.value - fixture.float64.epochLosses[i])).toBeLessThan(1e-12));
  });

  it.each([['fused', undefined], ['per-layer', false]] as const)(
    '%s: train gives torch\'s float64 parameters and losses within the float32 bound, and float32 torch\'s within twice it', async (path, fused) => {
      const result = await train(gpu, data, { ...options, validation: 0, fused });
      expect(result.path).toBe(path);
      expect(result.steps).toBe(6);
      expectWithin(result.params, fixture.float64.params, expected.thetaBound);
      result.history.forEach((h, i) => expectWithin([h.trainLoss], [fixture.float64.epochLosses[i]], [expected.epochLosses[i].bound]));
      // torch's float32 run obeys the same kind of bound: the two float32 results lie within two bounds.
      expectWithin(result.params, fixture.float32.params, expected.thetaBound.map((b) => 2 * b));
      // Each step moves a parameter by about lr; the bound is far smaller, so a wrong step cannot hide in it.
      expect(Math.max(...expected.thetaBound)).toBeLessThan(fixture.hyper.lr / 10);
    });
});
