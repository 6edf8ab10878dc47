import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitNormal } from '../../src/app/detector/fit';
import { pickThreshold, scoreTable } from '../../src/app/detector/threshold';
import { acquireGpu, type Gpu } from '../../src/gpu/device';
import { hostBlocks } from '../../src/model/device-rows';
import { initParams } from '../../src/model/init';
import { Scorer } from '../../src/model/scorer';
import { parseSpec } from '../../src/model/spec';
import { readDataset } from '../../src/pipeline/dataset';
import { bestF1Threshold } from '../../src/pipeline/metrics';

/** 1,000 flows, every fourth an attack with larger byte counts. */
function flows(): Uint8Array {
  const lines = ['bytes,packets,proto,verdict'];
  for (let i = 0; i < 1000; i++) {
    const attack = i % 4 === 0;
    lines.push(`${((i * 7919) % 5000) * (attack ? 3 : 1)},${(i * 31) % 97},${['tcp', 'udp', 'icmp'][i % 3]},${attack ? 'attack' : 'ok'}`);
  }
  return new TextEncoder().encode(`${lines.join('\n')}\n`);
}

describe('pickThreshold', () => {
  let gpu: Gpu;
  beforeAll(async () => {
    gpu = await acquireGpu();
  });
  afterAll(() => gpu.release());

  it('scores every labelled row a chunk at a time, as at once, and picks best F1 over them', async () => {
    const dataset = await readDataset(flows(), { label: 'verdict', normal: ['ok'] }, 'flows.csv');
    const { featurizer } = fitNormal(dataset, {});
    const width = featurizer.width;
    const spec = parseSpec(`${width}-3-${width}`, width);
    const params = initParams(spec, 4);
    const whole = Scorer.create(gpu, spec, params);
    const chunked = Scorer.create(gpu, spec, params, { chunkRows: 64 });
    try {
      const scores = await whole.score(featurizer.transform(dataset.table).matrix);
      expect(sameBits(await scoreTable(chunked, featurizer, dataset.table), scores)).toBe(true);
      const expected = bestF1Threshold(scores, dataset.labels!.isAnomaly).threshold;
      const heldOut = featurizer.transform(dataset.table.slice(0, 100)).matrix;
      const picked = await pickThreshold({ kind: 'best-f1' }, chunked, featurizer, dataset, hostBlocks({ values: heldOut, rows: 100, cols: width }));
      expect(chunked.chunk).toBe(64);
      expect(picked.threshold.mode).toBe('best-f1');
      expect(picked.threshold.value).toBe(expected);
      expect(picked.heldOut.rows).toBe(100);
    } finally {
      whole.release();
      chunked.release();
    }
  });
});

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}
