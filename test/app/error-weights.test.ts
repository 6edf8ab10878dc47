import { table } from 'arquero';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_FLOOR, errorWeights, standardiseErrors } from '../../src/app/detector';
import { acquireGpu, type Gpu } from '../../src/gpu/device';
import { hostBlocks } from '../../src/model/device-rows';
import { initParams } from '../../src/model/init';
import { seededRandom } from '../../src/model/random';
import * as ref from '../../src/model/reference';
import { Scorer } from '../../src/model/scorer';
import { layersOf, parseSpec } from '../../src/model/spec';
import { fitFeaturizer } from '../../src/pipeline/featurizer';
import type { Schema } from '../../src/pipeline/schema';

it('weighs each feature by the inverse of its held-out error, floored, with mean 1', () => {
  const w = errorWeights([0.1, 0.4, 0.2, 0.0, 0.3]);
  const mean = 0.2;
  const inverse = [1 / 0.1, 1 / 0.4, 1 / 0.2, 1 / (ERROR_FLOOR * mean), 1 / 0.3];
  const average = inverse.reduce((a, b) => a + b, 0) / 5;
  w.forEach((v, i) => expect(v).toBeCloseTo(inverse[i] / average, 12));
  expect(w.reduce((a, b) => a + b, 0) / 5).toBeCloseTo(1, 12);
  expect(w[3] / w[0]).toBeCloseTo(0.1 / (ERROR_FLOOR * mean), 12);
});

it('leaves every weight at 1 when the model made no error at all', () => {
  expect(Array.from(errorWeights([0, 0, 0]))).toEqual([1, 1, 1]);
});

describe('standardised errors through the GPU scorer', () => {
  let gpu: Gpu;
  beforeAll(async () => {
    gpu = await acquireGpu();
  });
  afterAll(() => gpu.release());

  it('scores raw rows by Σ w_f (x_f − x̂_f)² / n of the trained model, w from its held-out errors', async () => {
    const random = seededRandom(5);
    const n = 200;
    const rows = table({
      bytes: Float64Array.from({ length: n }, () => Math.floor(random() * 5000)),
      rate: Float64Array.from({ length: n }, () => random()),
      proto: Array.from({ length: n }, () => ['tcp', 'udp', 'icmp'][Math.floor(random() * 3)]),
    });
    const schema: Schema = {
      preset: null, read: {}, label: null, normal: [], categoryColumn: null, families: null,
      features: { numeric: ['bytes', 'rate'], categorical: ['proto'] },
    };
    const featurizer = fitFeaturizer(schema, rows);
    const x = featurizer.transform(rows).matrix;
    const spec = parseSpec('6-4-2-4-6', 6);
    const params = initParams(spec, 3);
    const held = x.subarray(0, 60 * 6);
    const { params: weighted, featurizer: scored, weights, heldOut, unit } = await standardiseErrors(gpu, spec, params, featurizer, hostBlocks({ values: held, rows: 60, cols: 6 }));
    const encoded = scored.transform(rows).matrix;
    const weightedHeld = await heldOut.read(0, heldOut.rows);
    weightedHeld.forEach((v, i) => expect(v).toBeCloseTo(encoded[i], 6));

    const recon = ref.autoencoderForward(layersOf(spec), params, ref.matrix(n, 6, x)).at(-1)!.data;
    const heldErrors = Array.from({ length: 6 }, (_, f) => {
      let e = 0;
      for (let r = 0; r < 60; r++) e += (recon[r * 6 + f] - x[r * 6 + f]) ** 2;
      return e / 60;
    });
    Array.from(errorWeights(heldErrors)).forEach((w, f) => expect(weights[f]).toBeCloseTo(w, 4));
    expect(unit).toBeCloseTo(heldErrors.reduce((s, e, f) => s + weights[f] * e, 0) / 6, 6);

    const scorer = Scorer.create(gpu, spec, weighted);
    const scores = await scorer.score(scored.transform(rows).matrix);
    scorer.release();
    for (let r = 0; r < n; r++) {
      let expected = 0;
      for (let f = 0; f < 6; f++) expected += weights[f] * (recon[r * 6 + f] - x[r * 6 + f]) ** 2;
      expect(scores[r]).toBeCloseTo(expected / 6, 5);
    }
  });
});
