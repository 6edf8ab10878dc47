import { expect, it } from 'vitest';
import { initParams } from '../../src/model/init';
import { seededRandom } from '../../src/model/random';
import * as ref from '../../src/model/reference';
import { Scorer } from '../../src/model/scorer';
import { layersOf, parseSpec } from '../../src/model/spec';
import { expandRows, NO_SLOT, type PackedLayout } from '../../src/pipeline/packed-rows';
import { forwardBounds, rowErrorBounds, studentBounds } from '../gpu/bounds';
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

it('scores by Student\'s t as the reference does, fused and layer by layer', async () => {
  const score = { kind: 'student-t', nu: 4, unit: 0.01 } as const;
  const want = studentBounds(reconstruction, ref.matrix(130, 9, data), 0.04);
  expectTight(want.values, want.bound);
  expectWithin(ref.rowError(ref.matrix(130, 9, reconstruction.values), ref.matrix(130, 9, data), 0.04), want.values, want.bound);
  for (const fused of [undefined, false as const]) {
    const scorer = Scorer.create(gpu, spec, params, { chunkRows: 64, fused, score });
    expect(scorer.path).toBe(fused === false ? 'per-layer' : 'fused');
    expectWithin(await scorer.score(data), want.values, want.bound);
    scorer.release();
  }
  const squared = Scorer.create(gpu, spec, params, { score: { kind: 'squared' } });
  expectWithin(await squared.score(data), expected.values, expected.bound);
  squared.release();
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

/**
 * Packed rows of the model's 9 features: 3 numeric, then a categorical column of 2 places (gains
 * 1 and 1.5) and one of 4 (gains 0.5, 2, 1, 3); each row's categories drawn among their places and
 * none.
 */
const layout: PackedLayout = {
  width: 9, numeric: 3, words: 5,
  wordOf: Uint32Array.from([0, 1, 2, 3, 3, 4, 4, 4, 4]),
  hot: new Uint32Array(Float32Array.from([0, 0, 0, 1, 1.5, 0.5, 2, 1, 3]).buffer),
};
const packedData = new Uint32Array(130 * 5);
for (let r = 0; r < 130; r++) {
  const row = new Float32Array(packedData.buffer, r * 20, 3);
  for (let c = 0; c < 3; c++) row[c] = random() * 2 - 1;
  packedData[r * 5 + 3] = [3, 4, NO_SLOT][r % 3];
  packedData[r * 5 + 4] = [5, 6, 7, 8, NO_SLOT][r % 5];
}
const packedValues = new Float32Array(packedData.buffer);
const denseValues = expandRows(packedData, 130, layout);

it('scores packed chunks exactly as the dense chunks they expand to, on either path, chunks of both kinds mixed', async () => {
  for (const fused of [undefined, false] as const) {
    const scorer = Scorer.create(gpu, spec, params, { chunkRows: 64, packed: layout, ...(fused === false ? { fused } : {}) });
    expect(scorer.path).toBe(fused === false ? 'per-layer' : 'fused');
    const dense = await scorer.score(denseValues);
    const sizes = [64, 50, 1, 9, 6];
    const reads: { from: number; read: () => Promise<Float32Array> }[] = [];
    let from = 0;
    for (const [k, rows] of sizes.entries()) {
      const packed = k % 2 === 0;
      const values = packed ? packedValues.subarray(from * 5, (from + rows) * 5) : denseValues.subarray(from * 9, (from + rows) * 9);
      reads.push({ from, read: await scorer.start(values, packed) });
      from += rows;
    }
    const scores = new Float32Array(130);
    for (const { from: at, read } of reads) scores.set(await read(), at);
    expect(Array.from(scores)).toEqual(Array.from(dense));
    await expect(scorer.start(packedValues.subarray(0, 7), true)).rejects.toThrow(/7 values are not whole packed rows of 5 words/);
    scorer.release();
  }
  expect(() => Scorer.create(gpu, spec, params, { packed: { ...layout, width: 8 } })).toThrow(/packed rows of 8 features for a model of 9/);
  const plain = Scorer.create(gpu, spec, params);
  await expect(plain.start(packedValues.subarray(0, 5), true)).rejects.toThrow(/packed rows given to a scorer made without their layout/);
  plain.release();
});
