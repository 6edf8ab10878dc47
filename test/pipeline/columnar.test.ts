import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toArrowIPC, type ColumnTable } from 'arquero';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/pipeline/dataset';
import { readTable } from '../../src/pipeline/io';
import { readDatasetFile, readRecordsFile } from '../../src/pipeline/io-node';
import { fitFeaturizer } from '../../src/pipeline/featurizer';
import { readRecords, type RecordBatch } from '../../src/pipeline/records';
import { sampleKey } from '../../src/pipeline/row-sample';
import { normalRows } from '../../src/pipeline/schema';
import { rowTexts } from '../../src/pipeline/text-column';
import { readTrainingRows, TrainingSample } from '../../src/pipeline/training-rows';
import { sameBytes } from './helpers/same-bytes';

const sample = (name: string) => fileURLToPath(new URL(`../../data/sample/${name}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'netae-columnar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A table as Parquet: the `int64` columns as INT64, other numbers as DOUBLE, text as STRING, in row groups of `rowGroupSize`. */
function toParquet(t: ColumnTable, rowGroupSize: number, int64: readonly string[] = []): Uint8Array {
  const columnData = t.columnNames().map((name) => {
    const data = Array.from(t.array(name) as ArrayLike<unknown>);
    const type = int64.includes(name) ? 'INT64' as const : typeof data[0] === 'number' ? 'DOUBLE' as const : 'STRING' as const;
    return { name, data, type };
  });
  return new Uint8Array(parquetWriteBuffer({ columnData, rowGroupSize }));
}

async function collect(batches: AsyncIterable<RecordBatch>): Promise<{ matrix: Float32Array; labels: string[]; repaired: number }> {
  const parts: Float32Array[] = [];
  const labels: string[] = [];
  let repaired = 0;
  for await (const batch of batches) {
    parts.push(batch.matrix);
    repaired += batch.report.repaired;
    const text = batch.texts.label;
    if (text) labels.push(...rowTexts(text));
  }
  const matrix = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (matrix.set(p, at), at + p.length), 0);
  return { matrix, labels, repaired };
}

describe('columnar input goes column by column into the matrix', async () => {
  const train = await readDatasetFile(sample('train.conn.log'), { preset: 'zeek-conn' });
  const featurizer = fitFeaturizer(train.schema, normalRows(train.table, train.schema, train).table, { scaling: 'standard' });
  const test = (await readTable(readFileSync(sample('test.conn.log')), featurizer.readOptions('test.conn.log'))).table;
  const expected = featurizer.transform(test);
  const texts = (names: readonly string[]) => (names.includes('label') ? ['label'] : []);

  it('Parquet, several row groups, from bytes and from a file path: the same matrix and labels as the text', async () => {
    const bytes = toParquet(test, 1000);
    const fromBytes = await collect(readRecords(bytes, featurizer, { fileName: 'test.parquet', texts }));
    expect(sameBytes(fromBytes.matrix, expected.matrix)).toBe(true);
    expect(fromBytes.labels).toEqual(Array.from(test.array('label') as string[]));
    expect(fromBytes.repaired).toBe(expected.report.repaired);
    const path = join(dir, 'test.parquet');
    writeFileSync(path, bytes);
    const fromFile = await collect(readRecordsFile(path, featurizer, { texts, threads: 1 }));
    expect(sameBytes(fromFile.matrix, expected.matrix)).toBe(true);
    const table = await readDatasetFile(path, { preset: 'zeek-conn' });
    expect(table.format).toBe('parquet');
    expect(table.table.numRows()).toBe(test.numRows());
    expect(Array.from(table.table.array('duration') as Float64Array)).toEqual(Array.from(test.array('duration') as Float64Array));
  });

  it('Arrow IPC: the same matrix as the text', async () => {
    const fromArrow = await collect(readRecords(toArrowIPC(test, { format: 'file' }), featurizer, { fileName: 'test.arrow', texts }));
    expect(sameBytes(fromArrow.matrix, expected.matrix)).toBe(true);
    expect(fromArrow.labels.length).toBe(test.numRows());
  });

  it('Parquet sampled as train samples it: rows keyed by their record numbers, the larger sample read again alone', async () => {
    const bytes = toParquet(test, 700);
    const spec = { preset: 'zeek-conn' };
    const byKey = Array.from({ length: test.numRows() }, (_, i) => i + 1).sort((a, b) => sampleKey(a, 3) - sampleKey(b, 3));
    const first = await readDataset(bytes, spec, 'test.parquet', { sample: { rows: 300, seed: 3, larger: 1200 } });
    expect(Array.from(first.lines)).toEqual(byKey.slice(0, 300).sort((a, b) => a - b));
    expect(first.largerSample).toEqual({ key: sampleKey(byKey[1199], 3), line: byKey[1199] });
    const sample = new TrainingSample(3, first.largerSample!);
    const store = { capacity: Infinity, put: () => undefined };
    const read = await readTrainingRows(readRecords(bytes, featurizer, { fileName: 'test.parquet', texts, skipOutside: sample }), featurizer.schema, { sample, store });
    const labels = test.array('label') as string[];
    expect(read.rowsRead).toBe(test.numRows());
    const normal = byKey.slice(0, 1200).filter((record) => labels[record - 1] === 'normal').length;
    expect(normal).toBeGreaterThan(600);
    expect(read.normalRows).toBe(normal);
    expect(read.slots.length).toBe(normal);
  });

  it('Arrow and Parquet with Zeek\'s unset text as null and a 64-bit id beyond 2^53: the same matrix as the text, the id kept exactly', async () => {
    const ids = Array.from({ length: test.numRows() }, (_, i) => 2n ** 53n + 1n + BigInt(i));
    const service = (test.array('service') as string[]).map((v) => (v === '-' ? null : v));
    expect(service.filter((v) => v === null).length).toBeGreaterThan(100);
    const withNulls = test.assign({ service, id: ids });
    const parquet = toParquet(withNulls, 1000, ['id']);
    const arrow = toArrowIPC(withNulls, { format: 'file' });
    const keepId = (names: readonly string[]) => [...texts(names), 'id'];
    for (const [name, bytes] of [['test.parquet', parquet], ['test.arrow', arrow]] as const) {
      const batches = readRecords(bytes, featurizer, { ...featurizer.readOptions(name), texts: keepId });
      const kept: string[] = [];
      const parts: Float32Array[] = [];
      for await (const batch of batches) {
        kept.push(...rowTexts(batch.texts.id));
        parts.push(batch.matrix);
      }
      expect(kept, name).toEqual(ids.map(String));
      const matrix = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      parts.reduce((at, p) => (matrix.set(p, at), at + p.length), 0);
      expect(sameBytes(matrix, expected.matrix), name).toBe(true);
    }
  });

  it('a kept column that is also a numeric feature: its exact digits and Zeek\'s unset text, the feature read as numbers', async () => {
    const bytes = Array.from(test.array('orig_bytes') as Float64Array, (v, i) => (Number.isNaN(v) ? null : i === 0 ? 2n ** 53n + 1n : BigInt(v)));
    expect(bytes.filter((v) => v === null).length).toBeGreaterThan(100);
    const rounded = Float64Array.from(bytes, (v) => (v === null ? NaN : Number(v)));
    const want = featurizer.transform(test.assign({ orig_bytes: rounded })).matrix;
    const withBig = test.assign({ orig_bytes: bytes });
    const parquet = toParquet(withBig, 1000, ['orig_bytes']);
    for (const [name, file] of [['test.parquet', parquet], ['test.arrow', toArrowIPC(withBig, { format: 'file' })]] as const) {
      const kept: string[] = [];
      const parts: Float32Array[] = [];
      for await (const batch of readRecords(file, featurizer, { ...featurizer.readOptions(name), texts: () => ['orig_bytes'] })) {
        kept.push(...rowTexts(batch.texts.orig_bytes));
        parts.push(batch.matrix);
      }
      expect(kept, name).toEqual(bytes.map((v) => (v === null ? '-' : String(v))));
      expect(kept[0]).toBe('9007199254740993');
      const matrix = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      parts.reduce((at, p) => (matrix.set(p, at), at + p.length), 0);
      expect(sameBytes(matrix, want), name).toBe(true);
    }
  });

  it('a Parquet file that is cut short is an error naming the file', async () => {
    const bytes = toParquet(test, 1000);
    const error = await collect(readRecords(bytes.subarray(0, bytes.length - 100), featurizer, { fileName: 'cut.parquet' })).then(() => null, (e: unknown) => e);
    expect((error as Error).message).toMatch(/^cut\.parquet: not a readable Parquet file/);
  });
});
