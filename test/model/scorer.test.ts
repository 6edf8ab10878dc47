import { expect, it } from 'vitest';
import { initParams } from '../../src/model/init';
import { seededRandom } from '../../src/model/random';
import * as ref from '../../src/model/reference';
import { Scorer } from '../../src/model/scorer';
import { layersOf, parseSpec } from '../../src/model/spec';
import { forwardBounds, rowErrorBounds } from '../gpu/bounds';
import { expectTight, expectWithin, testGpu } from '../gpu/helpers';

const gpu = await testGpu();

const spec = parseSpec('9-6-3-6-9:sigmoid', 9);
const params = initParams(spec, 5);
const random = seededRandom(3);
const data = Float32Array.from({ length: 130 * 9 }, () => random());

/** The scores and reconstructions in float64, with their float32 error bounds. */
const outputs = forwardBounds(layersOf(spec), params, ref.matrix(130, 9, data));
const reconstruction = outputs[outputs.length - 1];
const expected = rowErrorBounds(reconstruction, ref.matrix(130, 9, data));

it('scores equal the reference, in one chunk and in many', async () => {
  expectTight(expected.values, expected.bound);
  for (const chunkRows of [undefined, 7, 64, 130]) {
    const scorer = Scorer.create(gpu, spec, params, { chunkRows });
    const scores = await scorer.score(data);
    scorer.release();
    expect(scores.length).toBe(130);
    expectWithin(scores, expected.values, expected.bound);
  }
});

it('scores chunks of every size up to the chunk as the reference does, a short one after longer ones', async () => {
  const scorer = Scorer.create(gpu, spec, params, { chunkRows: 64 });
  const sizes = [64, 50, 1, 9, 6];
  const reads: { from: number; rows: number; read: () => Promise<Float32Array> }[] = [];
  let from = 0;
  for (const rows of sizes) {
    reads.push({ from, rows, read: await scorer.start(data.subarray(from * 9, (from + rows) * 9)) });
    from += rows;
  }
  for (const { from: at, rows, read } of reads) {
    const scores = await read();
    expect(scores.length).toBe(rows);
    expectWithin(scores, expected.values.subarray(at, at + rows), expected.bound.subarray(at, at + rows));
  }
  scorer.release();
});

it('reconstructs rows as the reference does', async () => {
  const scorer = Scorer.create(gpu, spec, params, { chunkRows: 32 });
  const got = await scorer.reconstruct(data.subarray(0, 5 * 9));
  expectWithin(got, reconstruction.values.subarray(0, 45), reconstruction.bound.subarray(0, 45));
  await expect(scorer.reconstruct(data)).rejects.toThrow(/at most 32 rows/);
  scorer.release();
});

it('refuses values that are not whole rows', async () => {
  const scorer = Scorer.create(gpu, spec, params);
  await expect(scorer.score(new Float32Array(10))).rejects.toThrow(/10 values are not whole rows of 9 features/);
  scorer.release();
});

it('keeps GPU memory fixed: the chunk bounds every buffer, and scoring 40 times the rows makes none larger', async () => {
  const sizes: number[] = [];
  const device = gpu.device;
  const create = device.createBuffer.bind(device);
  device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    sizes.push(descriptor.size);
    return create(descriptor);
  };
  try {
    const scorer = Scorer.create(gpu, spec, params, { chunkRows: 64 });
    expect(scorer.chunk).toBe(64);
    expect(sizes.length).toBeGreaterThanOrEqual(4);
    const few = await scorer.score(data);
    const afterFew = sizes.length;
    const many = new Float32Array(40 * data.length);
    for (let k = 0; k < 40; k++) many.set(data, k * data.length);
    const scores = await scorer.score(many);
    scorer.release();
    // A chunk's rows through the widest layer (9 features) is the largest buffer a scorer needs.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(64 * 9 * 4);
    expect(sizes.slice(afterFew).every((size) => size <= 64 * 9 * 4)).toBe(true);
    expect(Array.from(scores.subarray(39 * 130))).toEqual(Array.from(few));
  } finally {
    device.createBuffer = create;
  }
  const limit = Scorer.create(gpu, spec, params);
  expect(limit.chunk).toBe(65_536);
  limit.release();
});
