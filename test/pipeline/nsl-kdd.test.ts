import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readDatasetFile } from '../../src/pipeline/io-node';
import { Featurizer, fitFeaturizer } from '../../src/pipeline/featurizer';
import { normalRows } from '../../src/pipeline/schema';
import { NSL_KDD_DIR, nslKddMissing, nslKddPresent } from '../nsl-kdd-dir';
import { sameBytes } from './helpers/same-bytes';

const dir = pathToFileURL(join(NSL_KDD_DIR, '/'));
const present = nslKddPresent;
if (!present) console.warn(`NSL-KDD end-to-end test skipped: ${nslKddMissing}`);

/** The fields of every line of a data file, split without the library under test. */
function rawRows(name: string): string[][] {
  return readFileSync(new URL(name, dir), 'utf8').trim().split('\n').map((line) => line.split(','));
}

describe('NSL-KDD preset', () => {
  const folder = mkdtempSync(join(tmpdir(), 'netae-nsl-kdd-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('reads a headerless KDD file and maps labels to attack families, others to themselves', async () => {
    const file = join(folder, 'three.txt');
    writeFileSync(
      file,
      [
        '0,tcp,http,SF,181,5450,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,8,8,0.00,0.00,0.00,0.00,1.00,0.00,0.00,9,9,1.00,0.00,0.11,0.00,0.00,0.00,0.00,0.00,normal,21',
        '0,tcp,private,S0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,123,6,1.00,1.00,0.00,0.00,0.05,0.07,0.00,255,26,0.10,0.05,0.00,0.00,1.00,1.00,0.00,0.00,neptune,19',
        '2,udp,domain_u,SF,45,44,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,1,0.00,0.00,0.00,0.00,1.00,0.00,0.00,3,3,1.00,0.00,0.33,0.00,0.00,0.00,0.00,0.00,not_a_known_attack,15',
        '',
      ].join('\n'),
    );
    const data = await readDatasetFile(file, { preset: 'nsl-kdd' });
    expect(data.table.numRows()).toBe(3);
    expect(data.table.columnNames()).toHaveLength(43);
    expect(data.table.get('service', 1)).toBe('private');
    expect(data.table.get('src_bytes', 0)).toBe(181);
    expect(Array.from(data.labels!.isAnomaly)).toEqual([0, 1, 1]);
    expect(data.labels!.category).toEqual(['normal', 'dos', 'not_a_known_attack']);
  });
});

describe.skipIf(!present)('NSL-KDD end to end', () => {
  it('fits on the normal training rows and transforms KDDTest+ with its unseen services', async () => {
    const train = await readDatasetFile(fileURLToPath(new URL('KDDTrain+.txt', dir)), { preset: 'nsl-kdd' });
    expect(train.table.numRows()).toBe(125_973);
    const features = train.schema.features;
    expect(features.numeric.length + features.categorical.length).toBe(41);

    const normal = normalRows(train.table, train.schema, train);
    expect(normal.table.numRows()).toBe(67_343);
    const featurizer = fitFeaturizer(train.schema, normal.table);

    const raw = rawRows('KDDTrain+.txt').filter((f) => f[41] === 'normal');
    const vocabulary = (field: number) => new Set(raw.map((f) => f[field]));
    const constant = features.numeric.filter((name) => {
      const field = train.schema.read.names!.indexOf(name);
      return new Set(raw.map((f) => Number(f[field]))).size === 1;
    });
    const categoricalWidth = [1, 2, 3].reduce((n, field) => n + vocabulary(field).size + 1, 0);
    expect(featurizer.features.dropped.map((d) => d.column).sort()).toEqual(constant.sort());
    expect(featurizer.width).toBe(features.numeric.length - constant.length + categoricalWidth);
    expect(new Set(featurizer.featureNames).size).toBe(featurizer.width);
    expect(featurizer.featureNames).toContain('service=http');

    const fitted = featurizer.transform(normal.table, normal.origin);
    const numericWidth = features.numeric.length - constant.length;
    let outOfRange = 0;
    for (let i = 0; i < fitted.matrix.length; i++) {
      const v = fitted.matrix[i];
      if (!(i % featurizer.width < numericWidth ? Math.abs(v) <= featurizer.features.bound : v === 0 || v === 1)) outOfRange++;
    }
    expect(outOfRange).toBe(0);

    const test = await readDatasetFile(fileURLToPath(new URL('KDDTest+.txt', dir)), { preset: 'nsl-kdd' });
    const out = featurizer.transform(test.table, test);
    expect(out.rows).toBe(22_544);
    expect(out.width).toBe(featurizer.width);
    expect(out.matrix.some(Number.isNaN)).toBe(false);
    const trainServices = vocabulary(2);
    const unseenServices = rawRows('KDDTest+.txt').filter((f) => !trainServices.has(f[2])).length;
    expect(unseenServices).toBeGreaterThan(0);
    expect(out.report.columns.service.unseen).toBe(unseenServices);

    const labels = test.labels!;
    expect(labels.normalCount).toBe(9_711);
    expect(labels.isAnomaly.length - labels.normalCount).toBe(12_833);
    expect(new Set(labels.category)).toEqual(new Set(['normal', 'dos', 'probe', 'r2l', 'u2r']));

    const loaded = Featurizer.fromJSON(JSON.parse(JSON.stringify(featurizer.toJSON())));
    expect(sameBytes(loaded.transform(test.table, test).matrix, out.matrix)).toBe(true);
  });
});
