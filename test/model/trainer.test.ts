import { describe, expect, it } from 'vitest';
import { ADAM_DEFAULTS } from '../../src/gpu/adam';
import { initParams } from '../../src/model/init';
import { seededRandom } from '../../src/model/random';
import * as ref from '../../src/model/reference';
import { layersOf, parseSpec, withActivations } from '../../src/model/spec';
import type { Matrix32 } from '../../src/model/matrix';
import { train, type TrainEvent } from '../../src/model/trainer';
import { testGpu } from '../gpu/helpers';

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

describe('trainer', () => {
  it('one training step equals the CPU reference: gradients of the whole batch, then torch.optim.Adam', async () => {
    const spec = withActivations([10, 6, 3, 6, 10], 'tanh', 'identity');
    const data = randomData(64, 10, 3);
    const result = await train(gpu, data, { spec, epochs: 1, batchSize: 64, validation: 0, seed: 9, lr: 0.01 });
    const expected = Float64Array.from(initParams(spec, 9));
    const { grads } = ref.autoencoderGradients(layersOf(spec), expected, ref.matrix(64, 10, data.values));
    ref.adamStep(expected, grads, ref.adamState(expected.length), { ...ADAM_DEFAULTS, lr: 0.01 });
    expect(result.steps).toBe(1);
    for (let i = 0; i < expected.length; i++) expect(Math.abs(result.params[i] - expected[i])).toBeLessThan(1e-6);
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

  it('stops early when validation loss stops improving, keeping the best epoch', async () => {
    const spec = parseSpec('16-64-16', 16);
    const result = await train(gpu, randomData(200, 16, 6), { spec, epochs: 200, batchSize: 8, lr: 0.05, patience: 2 });
    expect(result.stopped).toBe('early-stopping');
    expect(result.history.length).toBe(result.bestEpoch + 2);
    const best = Math.min(...result.history.map((h) => h.valLoss!));
    expect(result.history[result.bestEpoch - 1].valLoss).toBe(best);
  });

  it('an aborted run stops and returns the parameters so far', async () => {
    const controller = new AbortController();
    const spec = parseSpec('8-4-8', 8);
    const result = await train(gpu, randomData(4000, 8, 3), {
      spec, epochs: 50, batchSize: 16, signal: controller.signal,
      onProgress: (e) => { if (e.type === 'epoch' && e.epoch === 2) controller.abort(); },
    });
    expect(result.stopped).toBe('aborted');
    expect(result.history.length).toBe(2);
    expect(result.params.every(Number.isFinite)).toBe(true);
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
