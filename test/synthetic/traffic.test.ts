import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDataset, tableDataset, type Dataset } from '../../src/pipeline/dataset';
import { rocAuc } from '../../src/pipeline/metrics';
import { DEFAULT_SCALING } from '../../src/pipeline/features';
import { Featurizer, fitFeaturizer } from '../../src/pipeline/featurizer';
import { sampleLogs, SAMPLE } from '../../src/synthetic/sample';
import { normalRows } from '../../src/pipeline/schema';
import { ATTACK_KINDS, generateTraffic, TRAFFIC_COLUMNS, type TrafficOptions } from '../../src/synthetic/traffic';
import { toZeekLog } from '../../src/pipeline/zeek';
import { sameBytes } from '../pipeline/helpers/same-bytes';
import { trainTinyAutoencoder } from './tiny-autoencoder';

function dataset(options: TrafficOptions): Dataset {
  return tableDataset(generateTraffic(options), { preset: 'zeek-conn' }, 'synthetic', 'zeek');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

describe('generateTraffic', () => {
  it('gives the same records for the same seed, other records for another', () => {
    const a = toZeekLog(generateTraffic({ rows: 2000, seed: 5 }));
    expect(toZeekLog(generateTraffic({ rows: 2000, seed: 5 }))).toBe(a);
    expect(toZeekLog(generateTraffic({ rows: 2000, seed: 6 }))).not.toBe(a);
  });

  it('has the conn.log columns plus label, and the asked share of attacks of every kind', () => {
    const t = generateTraffic({ rows: 3000, seed: 1, attackFraction: 0.2 });
    expect(t.columnNames()).toEqual([...TRAFFIC_COLUMNS]);
    const labels = t.column('label') as string[];
    expect(labels.filter((l) => l !== 'normal')).toHaveLength(600);
    expect(new Set(labels)).toEqual(new Set(['normal', ...ATTACK_KINDS]));
    const only = generateTraffic({ rows: 500, seed: 1, attackFraction: 0.5, attacks: ['dns_tunnel'] }).column('label') as string[];
    expect(new Set(only)).toEqual(new Set(['normal', 'dns_tunnel']));
  });

  it('makes consistent, heavy-tailed flows', () => {
    const t = generateTraffic({ rows: 5000, seed: 3, attackFraction: 0.1 }).objects() as Record<string, number | string>[];
    for (const r of t) {
      expect(['tcp', 'udp']).toContain(r.proto);
      expect(r.orig_pkts as number).toBeGreaterThanOrEqual(1);
      if (!Number.isNaN(r.orig_bytes)) expect(r.orig_ip_bytes as number).toBeGreaterThan(r.orig_bytes as number);
      if (!Number.isNaN(r.duration)) expect(r.duration as number).toBeGreaterThanOrEqual(0);
    }
    const web = t.filter((r) => r.label === 'normal' && (r.service === 'ssl' || r.service === 'http'));
    const sizes = web.map((r) => r.resp_bytes as number).sort((a, b) => a - b);
    expect(sizes[Math.floor(sizes.length * 0.99)] / median(sizes)).toBeGreaterThan(20);
    const services = new Set(t.filter((r) => r.label === 'normal').map((r) => r.service));
    for (const s of ['http', 'ssl', 'dns', 'smtp', 'ssh']) expect(services).toContain(s);
  });

  it('reads back from its Zeek log to the same feature matrix', () => {
    const data = dataset({ rows: 1500, seed: 9, attackFraction: 0.2 });
    const parsed = parseDataset(toZeekLog(data.table), { preset: 'zeek-conn' }, 'syn.conn.log');
    expect(parsed.format).toBe('zeek');
    expect(parsed.table.numRows()).toBe(1500);
    expect(parsed.labels!.category).toEqual(data.labels!.category);
    const featurizer = fitFeaturizer(data.schema, normalRows(data.table, data.schema, data).table);
    const fromMemory = featurizer.transform(data.table);
    const fromText = featurizer.transform(parsed.table, parsed);
    expect(sameBytes(fromText.matrix, fromMemory.matrix)).toBe(true);
    expect(fromText.report.columns.duration.missing).toBeGreaterThan(0);
  });

  it('separates attacks well, but not perfectly, for a small autoencoder trained on normal rows', () => {
    const train = dataset({ rows: 5000, seed: 21, attackFraction: 0 });
    const test = dataset({ rows: 3000, seed: 22, attackFraction: 0.3 });
    const featurizer = fitFeaturizer(train.schema, train.table);
    const x = featurizer.transform(train.table).matrix;
    const score = trainTinyAutoencoder(x, train.table.numRows(), featurizer.width, { hidden: 16, epochs: 15, seed: 1 });
    const scores = score(featurizer.transform(test.table).matrix, test.table.numRows());
    const { isAnomaly, category } = test.labels!;
    const auc = rocAuc(scores, isAnomaly);
    expect(auc).toBeGreaterThan(0.93);
    expect(auc).toBeLessThan(0.995);
    for (const kind of ATTACK_KINDS) {
      const rows = category.flatMap((c, i) => (c === 'normal' || c === kind ? [i] : []));
      expect(rocAuc(rows.map((i) => scores[i]), rows.map((i) => isAnomaly[i]))).toBeGreaterThan(0.8);
    }
  });
});

describe('Featurizer', () => {
  it('gives a byte-identical transform on synthetic traffic after a JSON round trip', () => {
    const train = dataset({ rows: 3000, seed: 31, attackFraction: 0.1 });
    const test = dataset({ rows: 2000, seed: 32, attackFraction: 0.3 });
    for (const scaling of ['minmax', DEFAULT_SCALING] as const) {
      const featurizer = fitFeaturizer(train.schema, normalRows(train.table, train.schema, train).table, { scaling });
      const loaded = Featurizer.fromJSON(JSON.parse(JSON.stringify(featurizer.toJSON())));
      expect(loaded.featureNames).toEqual(featurizer.featureNames);
      expect(loaded.readOptions('next.conn.log')).toEqual(featurizer.readOptions('next.conn.log'));
      const before = featurizer.transform(test.table, test);
      const after = loaded.transform(test.table, test);
      expect(sameBytes(after.matrix, before.matrix)).toBe(true);
      expect(after.report).toEqual(before.report);
      expect(JSON.stringify(loaded.toJSON())).toBe(JSON.stringify(featurizer.toJSON()));
    }
  });

  it('reads new files with the kinds the transform needs', () => {
    const train = dataset({ rows: 1000, seed: 33, attackFraction: 0 });
    const featurizer = fitFeaturizer(train.schema, train.table);
    const types = featurizer.readOptions('next.conn.log').types!;
    for (const column of featurizer.schema.features.numeric) expect(types[column]).toBe('number');
    for (const column of featurizer.schema.features.categorical) expect(types[column]).toBe('string');
  });
});

describe('bundled sample', () => {
  const file = (name: string) => new URL(`../../data/sample/${name}`, import.meta.url);

  it('is what `npm run sample` writes, under 3 MB, and reads with the zeek-conn preset', () => {
    const expected = sampleLogs();
    const train = readFileSync(file('train.conn.log'), 'utf8');
    const test = readFileSync(file('test.conn.log'), 'utf8');
    expect(train).toBe(expected.train);
    expect(test).toBe(expected.test);
    expect(statSync(file('train.conn.log')).size + statSync(file('test.conn.log')).size).toBeLessThan(3 * 1024 * 1024);
    const data = parseDataset(test, { preset: 'zeek-conn' }, 'test.conn.log');
    expect(data.table.numRows()).toBe(SAMPLE.test.rows);
    expect(data.labels!.isAnomaly.reduce((n, v) => n + v, 0)).toBe(Math.round(SAMPLE.test.rows * SAMPLE.test.attackFraction));
  });
});
