import { expect, it } from 'vitest';
import { withGains } from '../../src/model/gains';
import { initParams } from '../../src/model/init';
import { seededRandom } from '../../src/model/random';
import * as ref from '../../src/model/reference';
import { layersOf, parseSpec } from '../../src/model/spec';

const random = seededRandom(11);
const rows = 40;

function reconstruct(spec: ReturnType<typeof parseSpec>, params: ArrayLike<number>, x: Float64Array, cols: number): Float64Array {
  const outputs = ref.autoencoderForward(layersOf(spec), params, ref.matrix(rows, cols, x));
  return outputs[outputs.length - 1].data;
}

it('a model with gains reconstructs g ⊙ x as g ⊙ (the reconstruction of x), so its error is the g²-weighted error', () => {
  for (const text of ['7-5-3-5-7', '7-3-7', '7-7']) {
    const spec = parseSpec(text, 7);
    const params = initParams(spec, 4);
    const gains = Float64Array.from({ length: 7 }, () => 0.2 + 3 * random());
    const x = Float64Array.from({ length: rows * 7 }, () => random() * 2 - 1);
    const gx = x.map((v, i) => v * gains[i % 7]);
    const plain = reconstruct(spec, params, x, 7);
    const weighted = reconstruct(spec, withGains(spec, params, gains), gx, 7);
    for (let i = 0; i < x.length; i++) expect(weighted[i]).toBeCloseTo(plain[i] * gains[i % 7], 5);
    const weightedError = ref.rowError(ref.matrix(rows, 7, weighted), ref.matrix(rows, 7, gx));
    for (let r = 0; r < rows; r++) {
      let expected = 0;
      for (let f = 0; f < 7; f++) expected += gains[f] ** 2 * (plain[r * 7 + f] - x[r * 7 + f]) ** 2;
      expect(weightedError[r]).toBeCloseTo(expected / 7, 5);
    }
  }
});

it('leaves the given parameters alone and refuses what it cannot fold', () => {
  const spec = parseSpec('4-2-4', 4);
  const params = initParams(spec, 1);
  const before = params.slice();
  withGains(spec, params, [1, 2, 3, 4]);
  expect(params).toEqual(before);
  expect(() => withGains(spec, params, [1, 2])).toThrow('2 gains for a model of 4 features');
  expect(() => withGains(parseSpec('4-2-4:sigmoid', 4), params, [1, 2, 3, 4])).toThrow('identity output, not sigmoid');
});
