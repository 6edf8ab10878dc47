import { describe, expect, it } from 'vitest';
import { initParams } from '../../src/model/init';
import { seededRandom } from '../../src/model/random';
import * as ref from '../../src/model/reference';
import { layersOf, parseSpec, type LayerSpec } from '../../src/model/spec';
import type { Matrix32 } from '../../src/model/matrix';
import { train, type TrainEvent, type TrainResult } from '../../src/model/trainer';
import { forwardBounds, meanBound, rowErrorBounds } from '../gpu/bounds';
import { expectWithin, outOfBounds, testGpu } from '../gpu/helpers';
import { referenceTraining } from './training-reference';

const gpu = await testGpu();

function randomData(rows: number, cols: number, seed: number): Matrix32 {
  const random = seededRandom(seed);
  return { values: Float32Array.from({ length: rows * cols }, () => random() * 2 - 1), rows, cols };
}

/** Rows on a rank-`rank` subspace: X = U · V with U [rows × rank], V [rank × cols]. */
function lowRankData(rows: number, cols: number, rank: number, seed: number): Matrix32 {
  const random = seededRandom(seed);
  const v = Float64Array.from({ length: rank * cols }, () => random() * 2 - 1);
  const values = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const u = Array.from({ length: rank }, () => random() * 2 - 1);
    for (let c = 0; c < cols; c++) values[r * cols + c] = u.reduce((s, ui, k) => s + ui * v[k * cols + c], 0) / rank;
  }
  return { values, rows, cols };
}

/** The fused path with the adapter's tiles, and the per-layer path. */
const PATHS = [['fused', undefined], ['per-layer', false]] as const;

/**
 * The kept parameters are the best epoch's: the held-out rows scored with them, in float64,
 * give that epoch's validation loss within the float32 bound of scoring and summing them,
 * and the last epoch's loss lies outside that bound, so parameters left at the last epoch
 * would fail.
 */
function expectKeptEpoch(spec: LayerSpec, data: Matrix32, result: TrainResult): void {
  const rows = result.heldOut;
  const x = ref.matrix(rows.length, data.cols);
  rows.forEach((r, i) => x.data.set(data.values.subarray(r * data.cols, (r + 1) * data.cols), i * data.cols));
  const outputs = forwardBounds(layersOf(spec), result.params, x);
  const loss = meanBound(rowErrorBounds(outputs[outputs.length - 1], x));
  expect(result.bestEpoch).toBeLessThan(result.history.length);
  expectWithin([result.history[result.bestEpoch - 1].valLoss!], [loss.value], [loss.bound]);
  expect(outOfBounds([result.history.at(-1)!.valLoss!], [loss.value], [loss.bound])).not.toBeNull();
}

describe('trainer', () => {
  const MIXED: LayerSpec = { widths: [6, 4, 3, 4, 6], activations: ['tanh', 'relu', 'sigmoid', 'identity'] };
  const SEVERAL = { spec: MIXED, seed: 4, epochs: 3, batchSize: 16, lr: 0.01, weightDecay: 0.05 };
  const severalData = randomData(70, 6, 12);
  const expected = referenceTraining(severalData, SEVERAL);

  it.each(PATHS)('%s: 3 epochs of 5 steps (the last of 6 rows) in the seeded shuffle order equal the float64 reference batch by batch', async (path, fused) => {
    const result = await train(gpu, severalData, { ...SEVERAL, validation: 0, fused });
    expect(result.path).toBe(path);
    expect(result.steps).toBe(15);
    expectWithin(result.params, expected.theta, expected.thetaBound);
    result.history.forEach((h, i) => expectWithin([h.trainLoss], [expected.epochLosses[i].value], [expected.epochLosses[i].bound]));
  });

  it('those bounds tell the seeded batches from others, and the gradients from scaled ones', () => {
    const outside = (run: { theta: Float64Array }) => outOfBounds(run.theta, expected.theta, expected.thetaBound);
    const batch0 = referenceTraining(severalData, { ...SEVERAL, stepRows: (order, _s, batch) => order.subarray(0, batch) });
    const twoBatches = referenceTraining(severalData, { ...SEVERAL, stepRows: (order, s, batch) => order.subarray((s % 2) * batch, (s % 2 + 1) * batch) });
    const unshuffled = referenceTraining(severalData, { ...SEVERAL, stepRows: (_order, s, batch) => Uint32Array.from({ length: Math.min(batch, 70 - s * batch) }, (_, i) => s * batch + i) });
    for (const run of [batch0, twoBatches, unshuffled, referenceTraining(severalData, { ...SEVERAL, gradScale: 0.75 })]) expect(outside(run)).not.toBeNull();
    expect(outside(referenceTraining(severalData, { ...SEVERAL, gradScale: 0.999 }))).not.toBeNull();
  });

  it('learns a rank-2 problem: the loss falls from above 0.05 to below 1e-4', async () => {
    const data = lowRankData(2048, 16, 2, 5);
    const spec = parseSpec('16-8-2-8-16', 16);
    const epochs: number[] = [];
    const result = await train(gpu, data, {
      spec, epochs: 30, batchSize: 64, lr: 3e-3, validation: 0.1, patience: 0, seed: 2,
      onProgress: (e: TrainEvent) => { if (e.type === 'epoch') epochs.push(e.trainLoss); },
    });
    expect(epochs[0]).toBeGreaterThan(0.05);
    expect(result.history.at(-1)!.valLoss!).toBeLessThan(1e-4);
    expect(result.stopped).toBe('completed');
  });

  it('a learning rate of 0 leaves the weights unchanged', async () => {
    const spec = parseSpec('8-4-8', 8);
    const result = await train(gpu, randomData(100, 8, 1), { spec, epochs: 2, batchSize: 16, lr: 0, seed: 4 });
    expect(Array.from(result.params)).toEqual(Array.from(initParams(spec, 4)));
  });

  it('the same seed gives the same weights; another seed does not', async () => {
    const spec = parseSpec('12-6-3-6-12', 12);
    const data = randomData(500, 12, 8);
    const run = (seed: number) => train(gpu, data, { spec, epochs: 3, batchSize: 32, seed });
    const [a, b, c] = [await run(1), await run(1), await run(2)];
    expect(Array.from(a.params)).toEqual(Array.from(b.params));
    expect(Array.from(a.params)).not.toEqual(Array.from(c.params));
  });

  it('handles a last batch smaller than the others', async () => {
    const spec = parseSpec('6-3-6', 6);
    const result = await train(gpu, randomData(103, 6, 2), { spec, epochs: 2, batchSize: 10, validation: 0 });
    expect(result.steps).toBe(2 * 11);
    expect(result.history.every((h) => Number.isFinite(h.trainLoss))).toBe(true);
  });

  it.each(PATHS)('%s: stops early when validation loss stops improving, keeping the best epoch\'s parameters', async (_name, fused) => {
    const spec = parseSpec('16-64-16', 16);
    const data = randomData(200, 16, 6);
    const result = await train(gpu, data, { spec, epochs: 200, batchSize: 8, lr: 0.05, patience: 2, fused });
    expect(result.stopped).toBe('early-stopping');
    expect(result.history.length).toBe(result.bestEpoch + 2);
    const best = Math.min(...result.history.map((h) => h.valLoss!));
    expect(result.history[result.bestEpoch - 1].valLoss).toBe(best);
    expectKeptEpoch(spec, data, result);
  });

  it.each(PATHS)('%s: an aborted run stops and keeps the best epoch so far, by value', async (_name, fused) => {
    const controller = new AbortController();
    const spec = parseSpec('16-64-16', 16);
    const data = randomData(300, 16, 7);
    const result = await train(gpu, data, {
      spec, epochs: 50, batchSize: 8, lr: 0.05, signal: controller.signal, fused,
      onProgress: (e) => { if (e.type === 'epoch' && e.epoch === 6) controller.abort(); },
    });
    expect(result.stopped).toBe('aborted');
    expect(result.history.length).toBe(6);
    expectKeptEpoch(spec, data, result);
  });

  it('data with NaN or Infinity is refused before the first step, naming the row and column', async () => {
    const data = randomData(50, 4, 1);
    data.values[2 * 4 + 3] = Number.NaN;
    const events: TrainEvent[] = [];
    await expect(train(gpu, data, { spec: parseSpec('4-2-4', 4), onProgress: (e) => events.push(e) }))
      .rejects.toThrow(/training data: row 3, column 4 is NaN/);
    data.values[2 * 4 + 3] = Infinity;
    await expect(train(gpu, data, { spec: parseSpec('4-2-4', 4) })).rejects.toThrow(/row 3, column 4 is Infinity/);
    expect(events).toEqual([]);
  });

  it('a spec that does not fit the data is refused', async () => {
    await expect(train(gpu, randomData(10, 5, 1), { spec: parseSpec('4-2-4', 4) })).rejects.toThrow(/takes 4 features but the data has 5/);
  });
});
