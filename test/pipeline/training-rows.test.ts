import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readDataset } from '../../src/pipeline/dataset';
import { fitFeaturizer, type Featurizer } from '../../src/pipeline/featurizer';
import { readRecords } from '../../src/pipeline/records';
import { parallelDecoding } from '../../src/pipeline/decode-pool-node';
import { sampleKey, type SampleEdge } from '../../src/pipeline/row-sample';
import { normalRows, type SchemaSpec } from '../../src/pipeline/schema';
import { readTrainingRows, TrainingSample, type RowStore } from '../../src/pipeline/training-rows';

const ZEEK = readFileSync(new URL('../../data/sample/train.conn.log', import.meta.url));

/**
 * A CSV with a numeric and a categorical feature, a label whose normal value is padded on some
 * rows, blank lines, a quoted field with a comma, and a missing value.
 */
function flowsCsv(n: number): Uint8Array {
  const lines = ['bytes,proto,note,verdict'];
  for (let i = 0; i < n; i++) {
    if (i % 97 === 5) lines.push('');
    const bytes = i % 211 === 3 ? '' : String((i * 7919) % 5000);
    const note = i % 13 === 0 ? '"a, quoted note"' : 'plain';
    const verdict = i % 5 === 0 ? 'attack' : i % 7 === 0 ? ' ok ' : 'ok';
    lines.push(`${bytes},${['tcp', 'udp', 'icmp'][i % 3]},${note},${verdict}`);
  }
  return new TextEncoder().encode(`${lines.join('\n')}\n`);
}

const CSV_SPEC: SchemaSpec = { label: 'verdict', normal: ['ok'], drop: ['note'] };

/** The features fitted on every normal row of the file. */
async function fitted(bytes: Uint8Array, spec: SchemaSpec, file: string): Promise<Featurizer> {
  const all = await readDataset(bytes, spec, file);
  return fitFeaturizer(all.schema, normalRows(all.table, all.schema, all).table);
}

/** A store that keeps each slot's last row, and counts the rows put. */
class HostStore implements RowStore {
  readonly rows: Float32Array[] = [];
  puts = 0;
  constructor(private readonly width: number, readonly capacity: number) {}
  put(slot: number, source: Float32Array, offset: number): void {
    this.rows[slot] = source.slice(offset, offset + this.width);
    this.puts++;
  }
}

/** The edge of the sample of `rows` of a file, as a first read that draws a sample of a tenth as many finds it. */
async function edgeOf(bytes: Uint8Array, spec: SchemaSpec, file: string, rows: number, seed: number): Promise<SampleEdge | null> {
  const first = await readDataset(bytes, spec, file, { sample: { rows: Math.max(1, Math.floor(rows / 10)), seed, larger: rows } });
  return first.largerSample!;
}

/**
 * The training rows of a sample of `rows`, at most `most`, read again from the file's feature
 * rows into a store (the rows outside the sample passed over), and the matrix they make in file order.
 */
async function reread(bytes: Uint8Array, spec: SchemaSpec, featurizer: Featurizer, file: string, rows: number, most: number, seed: number) {
  const label = featurizer.schema.label!;
  const sample = new TrainingSample(seed, await edgeOf(bytes, spec, file, rows, seed));
  const batches = readRecords(bytes, featurizer, { ...featurizer.readOptions(file), texts: () => [label], blockBytes: 4096, skipOutside: sample });
  const store = new HostStore(featurizer.width, most);
  const read = await readTrainingRows(batches, featurizer.schema, { sample, store });
  const matrix = new Float32Array(read.slots.length * read.width);
  read.slots.forEach((slot, i) => matrix.set(store.rows[slot], i * read.width));
  return { ...read, matrix, rows: read.slots.length, store };
}

describe('readTrainingRows', () => {
  it.each([
    ['a CSV with blank lines, a quoted field, a missing value and padded labels', () => flowsCsv(6000), CSV_SPEC, 'flows.csv'],
    ['the sample Zeek log', () => ZEEK, { preset: 'zeek-conn' } as SchemaSpec, 'train.conn.log'],
  ])('reads the normal rows of a sample of %s as the table of that sample transforms them', async (_, bytes, spec, file) => {
    const data = bytes();
    const featurizer = await fitted(data, spec, file);
    const whole = await readDataset(data, spec, file);
    const total = whole.table.numRows();
    for (const [rows, seed] of [[1500, 3], [total, 1], [10 * total, 2]]) {
      const sample = await readDataset(data, spec, file, { sample: { rows, seed } });
      const normal = normalRows(sample.table, sample.schema, sample);
      const expected = featurizer.transform(normal.table, normal.origin);
      const read = await reread(data, spec, featurizer, file, rows, Infinity, seed);
      expect(read.normalRows).toBe(expected.rows);
      expect(read.rows).toBe(expected.rows);
      expect(read.width).toBe(expected.width);
      expect(read.matrix).toEqual(expected.matrix);
      expect(read.rowsRead).toBe(total);
      expect(read.store.puts).toBe(expected.rows);
      expect(read.report.rows).toBe(Math.min(rows, total));
    }
  });

  it('keeps at most `most` of the normal rows, those with the smallest keys, in file order, the store\'s slots reused', async () => {
    const data = flowsCsv(6000);
    const featurizer = await fitted(data, CSV_SPEC, 'flows.csv');
    const seed = 4;
    const sampled = await reread(data, CSV_SPEC, featurizer, 'flows.csv', 3000, Infinity, seed);
    const sample = await readDataset(data, CSV_SPEC, 'flows.csv', { sample: { rows: 3000, seed } });
    const normalLines = Array.from(sample.lines).filter((_, r) => sample.labels!.isAnomaly[r] === 0);
    expect(normalLines.length).toBe(sampled.normalRows);
    for (const most of [1, 700, normalLines.length - 1]) {
      const smallest = [...normalLines].sort((a, b) => sampleKey(a, seed) - sampleKey(b, seed)).slice(0, most).sort((a, b) => a - b);
      const read = await reread(data, CSV_SPEC, featurizer, 'flows.csv', 3000, most, seed);
      expect(read.normalRows).toBe(normalLines.length);
      expect(read.rows).toBe(most);
      expect(read.store.rows.length).toBe(most);
      expect(read.store.puts).toBeGreaterThan(most);
      const width = read.width;
      const expected = new Float32Array(most * width);
      smallest.forEach((line, k) => {
        const r = normalLines.indexOf(line);
        expected.set(sampled.matrix.subarray(r * width, (r + 1) * width), k * width);
      });
      expect(read.matrix).toEqual(expected);
    }
  });

  it('holds, read on worker threads, the rows read on this thread; the features\' smaller sample lies within it', async () => {
    const featurizer = await fitted(ZEEK, { preset: 'zeek-conn' }, 'train.conn.log');
    const here = await reread(ZEEK, { preset: 'zeek-conn' }, featurizer, 'train.conn.log', 2000, Infinity, 8);
    const sample = new TrainingSample(8, await edgeOf(ZEEK, { preset: 'zeek-conn' }, 'train.conn.log', 2000, 8));
    const decoding = parallelDecoding(2);
    const batches = readRecords(ZEEK, featurizer, { ...featurizer.readOptions('train.conn.log'), texts: () => ['label'], blockBytes: 4096, decoding, skipOutside: sample });
    const store = new HostStore(featurizer.width, Infinity);
    const counts: number[] = [];
    const there = await readTrainingRows(batches, featurizer.schema, { sample, store, onRows: (rows) => counts.push(rows) });
    expect(there.rowsRead).toBe(here.rowsRead);
    expect(counts.at(-1)).toBe(there.rowsRead);
    expect(there.normalRows).toBe(here.normalRows);
    const matrix = new Float32Array(there.slots.length * there.width);
    there.slots.forEach((slot, i) => matrix.set(store.rows[slot], i * there.width));
    expect(matrix).toEqual(here.matrix);
    expect(there.report.rows).toBe(2000);
    expect(there.rowsRead).toBeGreaterThan(5000);
    const training = await readDataset(ZEEK, { preset: 'zeek-conn' }, 'train.conn.log', { sample: { rows: 2000, seed: 8 } });
    const fitting = await readDataset(ZEEK, { preset: 'zeek-conn' }, 'train.conn.log', { sample: { rows: 500, seed: 8 } });
    const lines = new Set(training.lines);
    expect(Array.from(fitting.lines).every((line) => lines.has(line))).toBe(true);
  });
});
