import { expect, it } from 'vitest';
import { initParams } from '../../src/model/init';
import { seededRandom } from '../../src/model/random';
import * as ref from '../../src/model/reference';
import { Scorer } from '../../src/model/scorer';
import { layersOf, parseSpec } from '../../src/model/spec';
import { testGpu } from '../gpu/helpers';

const gpu = await testGpu();

const spec = parseSpec('9-6-3-6-9:sigmoid', 9);
const params = initParams(spec, 5);
const random = seededRandom(3);
const data = Float32Array.from({ length: 130 * 9 }, () => random());

function referenceScores(): Float64Array {
  const outputs = ref.autoencoderForward(layersOf(spec), params, ref.matrix(130, 9, data));
  return ref.rowError(outputs[outputs.length - 1], outputs[0]);
}

it('scores equal the reference, in one chunk and in many', async () => {
  const expected = referenceScores();
  for (const chunkRows of [undefined, 7, 64, 130]) {
    const scorer = Scorer.create(gpu, spec, params, { chunkRows });
    const scores = await scorer.score(data);
    scorer.release();
    expect(scores.length).toBe(130);
    for (let i = 0; i < 130; i++) expect(Math.abs(scores[i] - expected[i])).toBeLessThan(1e-6);
  }
});

it('reconstructs rows as the reference does', async () => {
  const scorer = Scorer.create(gpu, spec, params, { chunkRows: 32 });
  const got = await scorer.reconstruct(data.subarray(0, 5 * 9));
  const outputs = ref.autoencoderForward(layersOf(spec), params, ref.matrix(5, 9, data.subarray(0, 45)));
  for (let i = 0; i < 45; i++) expect(Math.abs(got[i] - outputs[outputs.length - 1].data[i])).toBeLessThan(1e-6);
  await expect(scorer.reconstruct(data)).rejects.toThrow(/at most 32 rows/);
  scorer.release();
});

it('refuses values that are not whole rows', async () => {
  const scorer = Scorer.create(gpu, spec, params);
  await expect(scorer.score(new Float32Array(10))).rejects.toThrow(/10 values are not whole rows of 9 features/);
  scorer.release();
});

it('keeps GPU memory fixed: the chunk size bounds every buffer', () => {
  const scorer = Scorer.create(gpu, spec, params, { chunkRows: 1000 });
  expect(scorer.chunk).toBe(1000);
  const limit = Scorer.create(gpu, spec, params);
  expect(limit.chunk).toBe(65_536);
  scorer.release();
  limit.release();
});
