import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, type Activation } from '../../src/gpu/activation';
import { ADAM_DEFAULTS, type AdamHyper } from '../../src/gpu/adam';
import { createKernelWeights, fitTiles, fusedLayout, fusedScore, fusedStep, paddedIndex, workgroupBytes, type FusedLayout } from '../../src/gpu/fused';
import { encodeLaunch, releaseLaunches, submitLaunches } from '../../src/gpu/launch';
import { BYTES, createBuffer, createTensor, readTensor, type Tensor } from '../../src/gpu/tensor';
import { CPU_FUSED, GPU_FUSED, type FusedTiles } from '../../src/gpu/tuning';
import { initParams } from '../../src/model/init';
import * as ref from '../../src/model/reference';
import { Scorer } from '../../src/model/scorer';
import { layersOf, withActivations, type LayerSpec } from '../../src/model/spec';
import type { Matrix32 } from '../../src/model/matrix';
import { train } from '../../src/model/trainer';
import { AdamBound, forwardBounds, gradientBounds, rowErrorBounds, studentBounds } from './bounds';
import { U32, expectTight, expectWithin, randomMatrix, testGpu } from './helpers';

const gpu = await testGpu();

/**
 * Both tunings, the CPU one without subgroups, one with odd shapes (blocks of 6 rows over
 * 2 × 4 invocations, 12 outputs at a time, 3 workgroups carrying several blocks each), and
 * the smallest GPU blocks: one row a workgroup, a partial gradient per row.
 */
const TILINGS: [string, FusedTiles][] = [
  ['CPU', CPU_FUSED],
  ['CPU without subgroups', { train: { ...CPU_FUSED.train, SUBGROUPS: 0 }, score: { ...CPU_FUSED.score, SUBGROUPS: 0 } }],
  ['GPU', GPU_FUSED],
  ['odd', { train: { ROWS: 6, TX: 4, TY: 2, SUBGROUPS: 0, TN: 12, GROUPS: 3 }, score: { ROWS: 6, TX: 4, TY: 2, SUBGROUPS: 0 } }],
  ['one row', { train: { ...GPU_FUSED.train, ROWS: 1, TY: 1 }, score: { ...GPU_FUSED.score, ROWS: 1, TY: 1 } }],
];

interface StepRun {
  /** The batch gradient, recovered from Adam's first moment after one step: m = (1 − β1) g. */
  grads: Float32Array;
  theta: Float32Array;
  loss: number;
}

/**
 * One fused step (train_block, apply_adam) on `rows` of `data`, taken in the order `order`,
 * from parameters `params` and zero Adam state.
 */
async function fusedOneStep(layout: FusedLayout, params: Float32Array, data: Float32Array, order: Uint32Array, tiles: FusedTiles, hyper: AdamHyper = ADAM_DEFAULTS): Promise<StepRun> {
  const n = data.length / layout.features;
  const rows = createTensor(gpu, n, layout.features, 'rows', data);
  const orderBuffer = createBuffer(gpu, order.length * BYTES, 'order');
  gpu.device.queue.writeBuffer(orderBuffer, 0, order);
  const step = createTensor(gpu, 1, 4, 'step', new Float32Array(new Uint32Array([0, order.length, 0, 0]).buffer));
  const weights = createKernelWeights(gpu, layout, params);
  const theta = createTensor(gpu, 1, layout.params, 'θ');
  const moments = createTensor(gpu, 1, 2 * layout.padded, 'moments');
  const loss = createTensor(gpu, 1, 1, 'loss');
  const stepWindow: Tensor = { ...step, window: 16 };
  const lossWindow: Tensor = { ...loss, window: 4 };
  const launches = await fusedStep(gpu, {
    layout, rows, order: orderBuffer, step: stepWindow, weights, moments, loss: lossWindow, theta, hyper, batch: order.length, tiles: tiles.train,
  });
  const encoder = gpu.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  encodeLaunch(pass, launches.block, [0]);
  encodeLaunch(pass, launches.apply, [0, 0]);
  encodeLaunch(pass, launches.unpack);
  pass.end();
  gpu.submit([encoder.finish()], ['fused step']);
  const m = await readTensor(gpu, moments);
  const result = {
    grads: Float32Array.from({ length: layout.params }, (_, i) => m[paddedIndex(layout, i)] / (1 - hyper.beta1)),
    theta: await readTensor(gpu, theta),
    loss: (await readTensor(gpu, loss))[0],
  };
  await gpu.check();
  releaseLaunches([launches.block, launches.apply, launches.unpack]);
  for (const t of [rows, step, weights.wk, weights.wt, theta, moments, loss]) t.buffer.destroy();
  orderBuffer.destroy();
  return result;
}

/** The loss and gradients of the batch in float64, with their float32 error bounds. */
function referenceStep(spec: LayerSpec, params: Float32Array, data: Float32Array, order: Uint32Array) {
  const F = spec.widths[0];
  const batch = ref.matrix(order.length, F);
  order.forEach((r, i) => batch.data.set(data.subarray(r * F, (r + 1) * F), i * F));
  return gradientBounds(layersOf(spec), params, batch);
}

function shuffled(n: number, rows: number, seed: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = (i * 7919 + seed) % rows;
  return order;
}

async function checkStep(spec: LayerSpec, batch: number, tiles: FusedTiles, seed = 1): Promise<void> {
  const layout = fusedLayout(layersOf(spec));
  const F = spec.widths[0];
  const rows = batch + 5;
  const data = randomMatrix(rows, F, seed, 1).f32;
  const params = initParams(spec, seed + 1);
  const order = shuffled(batch, rows, seed);
  const got = await fusedOneStep(layout, params, data, order, tiles);
  const want = referenceStep(spec, params, data, order);
  // The gradient is read back as m / (1 − β1): m's rounding, and 1 − β1 as the kernel holds it.
  const readBack = Math.abs(Math.fround(ADAM_DEFAULTS.beta1) - ADAM_DEFAULTS.beta1) / (1 - ADAM_DEFAULTS.beta1) + 3 * U32;
  expectWithin(got.grads, want.grads.values, want.grads.bound.map((b, i) => b + readBack * Math.abs(want.grads.values[i])));
  expectWithin([got.loss], [want.loss.value], [want.loss.bound]);
  const adam = new AdamBound(params, ADAM_DEFAULTS);
  adam.step(want.grads.values, want.grads.bound);
  expectWithin(got.theta, adam.theta, adam.thetaBound);
}

const WIDTHS: [number, LayerSpec][] = [
  [1, withActivations([1, 2, 1])],
  [3, withActivations([3, 2, 3], 'tanh', 'sigmoid')],
  [61, withActivations([61, 30, 61])],
  [122, withActivations([122, 64, 32, 16, 32, 64, 122])],
  [200, withActivations([200, 100, 50, 100, 200])],
];

describe.each(TILINGS)('fused training step, %s tiles', (_name, tiles) => {
  it.each(WIDTHS)('width %i: gradients, loss and Adam step equal the float64 reference (batch 33)', async (_w, spec) => {
    await checkStep(spec, 33, tiles);
  });

  it.each(ACTIVATIONS)('every layer %s: equals the reference', async (act: Activation) => {
    await checkStep({ widths: [9, 6, 3, 6, 9], activations: [act, act, act, act] }, 20, tiles, 3);
  });

  it.each([1, 7, 256, 1024])('batch of %i rows equals the reference', async (batch) => {
    await checkStep(withActivations([24, 12, 5, 12, 24], 'relu', 'sigmoid'), batch, tiles, batch);
  });
});

describe.each(TILINGS)('fused scoring, %s tiles', (_name, tiles) => {
  it.each(WIDTHS)('width %i: scores (the mean squared error, and Student\'s t on both sides of log1p\'s series) and reconstructions equal the float64 reference', async (_w, spec) => {
    const layout = fusedLayout(layersOf(spec));
    const F = spec.widths[0];
    const rows = 45;
    const data = randomMatrix(rows, F, 8, 1);
    const params = initParams(spec, 4);
    const outputs = forwardBounds(layersOf(spec), params, data.ref);
    const y = outputs[outputs.length - 1];
    const squares = y.values.map((v, i) => (v - data.ref.data[i]) ** 2).sort();
    const tail = squares[squares.length >> 1];
    expect(squares[0] / tail).toBeLessThan(0.1);
    expect(squares[squares.length - 1] / tail).toBeGreaterThan(1);
    const x = createTensor(gpu, rows, F, 'X', data.f32);
    const weights = createKernelWeights(gpu, layout, params);
    const scores = createTensor(gpu, rows, 1, 'scores');
    const student = createTensor(gpu, rows, 1, 'Student-t scores');
    const recon = createTensor(gpu, rows, F, 'reconstruction');
    const launches = [
      await fusedScore(gpu, { layout, x, weights, out: scores, tiles: tiles.score }),
      await fusedScore(gpu, { layout, x, weights, out: student, tiles: tiles.score, tail }),
      await fusedScore(gpu, { layout, x, weights, out: recon, reconstruct: true, tiles: tiles.score }),
    ];
    submitLaunches(gpu, launches);
    releaseLaunches(launches);
    const wantScores = rowErrorBounds(y, data.ref);
    const wantStudent = studentBounds(y, data.ref, tail);
    expectWithin(await readTensor(gpu, scores), wantScores.values, wantScores.bound);
    expectWithin(await readTensor(gpu, student), wantStudent.values, wantStudent.bound);
    expectWithin(await readTensor(gpu, recon), y.values, y.bound);
    expectTight(wantScores.values, wantScores.bound);
    expectTight(wantStudent.values, wantStudent.bound);
    await gpu.check();
  });
});

function relativeTo(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  return worst;
}

function dataOf(rows: number, cols: number, seed: number): Matrix32 {
  return { values: randomMatrix(rows, cols, seed, 1).f32, rows, cols };
}

const MIXED: LayerSpec = { widths: [30, 16, 8, 16, 30], activations: ['tanh', 'relu', 'relu', 'sigmoid'] };

describe.each(TILINGS)('training and scoring through the fused path, %s tiles', (_name, tiles) => {
  it('several epochs of steps, a ragged last batch and validation, equal the per-layer path to 1e-5', async () => {
    const data = dataOf(330, 30, 21);
    const options = { spec: MIXED, epochs: 2, batchSize: 64, validation: 0.1, seed: 5, lr: 3e-3 };
    const fused = await train(gpu, data, { ...options, fused: tiles });
    const layered = await train(gpu, data, { ...options, fused: false });
    expect(fused.path).toBe('fused');
    expect(fused.dispatchesPerStep).toBe(2);
    expect(layered.path).toBe('per-layer');
    expect(fused.steps).toBe(2 * 5);
    expect(relativeTo(fused.params, layered.params)).toBeLessThanOrEqual(1e-5);
    fused.history.forEach((h, i) => {
      expect(Math.abs(h.trainLoss - layered.history[i].trainLoss) / layered.history[i].trainLoss).toBeLessThan(1e-5);
      expect(Math.abs(h.valLoss! - layered.history[i].valLoss!) / layered.history[i].valLoss!).toBeLessThan(1e-5);
    });
  });

  it('the same seed gives the same weights', async () => {
    const data = dataOf(200, 30, 22);
    const run = () => train(gpu, data, { spec: MIXED, epochs: 2, batchSize: 48, seed: 3, fused: tiles });
    const [a, b] = [await run(), await run()];
    expect(Array.from(a.params)).toEqual(Array.from(b.params));
  });

  it('scores equal the per-layer scorer to 1e-6, in one chunk and across chunk boundaries', async () => {
    const data = dataOf(300, 30, 23);
    const params = initParams(MIXED, 6);
    const layered = Scorer.create(gpu, MIXED, params, { fused: false });
    const want = await layered.score(data.values);
    layered.release();
    for (const chunkRows of [7, 64, 300]) {
      const scorer = Scorer.create(gpu, MIXED, params, { chunkRows, fused: tiles });
      expect(scorer.path).toBe('fused');
      const got = await scorer.score(data.values);
      expect(got.length).toBe(300);
      for (let i = 0; i < 300; i++) expect(Math.abs(got[i] - want[i]) / want[i]).toBeLessThanOrEqual(1e-6);
      scorer.release();
    }
  });
});

describe('which networks take the fused path', () => {
  it('ROWS shrinks to fit the workgroup memory, and a network that does not fit is refused', () => {
    const limit = gpu.limits.maxComputeWorkgroupStorageSize;
    const deep = fusedLayout(layersOf(withActivations([122, 64, 32, 16, 32, 64, 122])));
    const fitted = fitTiles(gpu, deep, 'train', CPU_FUSED.train);
    expect(fitted).not.toBeNull();
    expect(workgroupBytes(deep, 'train', fitted!)).toBeLessThanOrEqual(limit);
    const wide = fusedLayout(layersOf(withActivations([4096, 4096, 4096])));
    expect(fitTiles(gpu, wide, 'train', CPU_FUSED.train)).toBeNull();
    const deeper = fusedLayout(layersOf(withActivations(new Array(18).fill(4))));
    expect(fitTiles(gpu, deeper, 'score', CPU_FUSED.score)).toBeNull();
  });
});
