import { table } from 'arquero';
import { describe, expect, it } from 'vitest';
import { repairLines, repairTotals } from '../../src/app/repairs';
import { fitFeaturizer } from '../../src/pipeline/featurizer';
import type { Schema } from '../../src/pipeline/schema';

const schema: Schema = {
  preset: null, read: {}, label: null, normal: [], categoryColumn: null, families: null,
  features: { numeric: ['bytes'], categorical: ['port', 'proto'], maxCategories: 2 },
};

describe('repairs per column', () => {
  it('names each column, with thousands separators, and says "outside the kept N" where categories were capped', () => {
    const fit = table({
      bytes: Float64Array.from({ length: 3000 }, (_, i) => i % 50),
      port: Array.from({ length: 3000 }, (_, i) => ['80', '443', '22', '25'][i % 4]),
      proto: Array.from({ length: 3000 }, (_, i) => ['tcp', 'udp'][i % 2]),
    });
    const featurizer = fitFeaturizer(schema, fit);
    const rows = table({
      bytes: Float64Array.from({ length: 2500 }, (_, i) => (i < 1200 ? NaN : i < 1201 ? Infinity : 1e9)),
      port: Array.from({ length: 2500 }, () => '8080'),
      proto: Array.from({ length: 2500 }, (_, i) => (i < 1500 ? 'icmp' : 'tcp')),
    });
    const report = featurizer.transform(rows).report;
    expect(repairLines(report.columns, featurizer)).toEqual([
      'bytes: 1,200 missing (set to the median), 1 infinite (set to the max or min), 1,299 clipped to ±3',
      'port: 2,500 values outside the kept 2 (of 4 seen in training)',
      'proto: 1,500 unseen categories',
    ]);
    expect(repairTotals(report)).toBe('1,201 values repaired, 1,299 clipped, 4,000 outside the categories');
  });
});
