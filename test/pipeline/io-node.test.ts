import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { fitFeaturizer } from '../../src/pipeline/featurizer';
import { readDatasetFile, readRecordsFile } from '../../src/pipeline/io-node';
import { MAX_ROW_BYTES } from '../../src/pipeline/text-blocks';
import { presetColumns } from '../../src/pipeline/schema';
import { NSL_KDD_DIR, nslKddMissing, nslKddPresent } from '../nsl-kdd-dir';
import { expectSameRead } from './helpers/same-read';

if (!nslKddPresent) console.warn(`the read of KDDTrain+ on worker threads skipped: ${nslKddMissing}`);
const sampleLog = (name: string) => fileURLToPath(new URL(`../../data/sample/${name}`, import.meta.url));
const repairs = fileURLToPath(new URL('fixtures/repairs.csv', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'netae-io-node-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Small blocks, and the threads started whatever the input's size, so that a small file is read on them. */
const onThreads = { threads: 2, blockBytes: 4096, decodingAbove: 0 };

describe('readDatasetFile on worker threads reads the dataset read on this thread', () => {
  it.runIf(nslKddPresent)('NSL-KDD KDDTrain+, as netae train --threads 2 reads it: more blocks than the 16 read here whatever the threads', async () => {
    const file = join(NSL_KDD_DIR, 'KDDTrain+.txt');
    const spec = { preset: 'nsl-kdd' };
    const here = await readDatasetFile(file, spec, { select: presetColumns(spec) });
    const there = await readDatasetFile(file, spec, { select: presetColumns(spec), threads: 2 });
    expectSameRead(there, here);
    expect(there.table.numRows()).toBe(125_973);
    expect(there.labels).toEqual(here.labels);
    expect(there.schema).toEqual(here.schema);
  });

  it('the synthetic Zeek log as a file, gzipped, and as a stream standing for standard input', async () => {
    const spec = { preset: 'zeek-conn' };
    const plain = sampleLog('train.conn.log');
    const here = await readDatasetFile(plain, spec);
    const gzipped = join(dir, 'train.conn.log.gz');
    writeFileSync(gzipped, gzipSync(readFileSync(plain)));
    const bytes = readFileSync(gzipped);
    const stream = Readable.from(Array.from({ length: Math.ceil(bytes.length / 5000) }, (_, k) => bytes.subarray(k * 5000, (k + 1) * 5000)));
    for (const there of [
      await readDatasetFile(plain, spec, onThreads),
      await readDatasetFile(gzipped, spec, onThreads),
      await readDatasetFile(stream, spec, { ...onThreads, fileName: 'stdin' }),
    ]) {
      expectSameRead(there, here);
      expect(there.labels).toEqual(here.labels);
      expect(there.schema).toEqual(here.schema);
    }
  });

  it('gzip cut short or damaged: an error naming the file, as for gzip read in memory', async () => {
    const whole = gzipSync(readFileSync(sampleLog('train.conn.log')));
    const damaged = Uint8Array.from(whole);
    damaged.fill(0xff, 2000, 2100);
    for (const [name, bytes] of [['cut.conn.log.gz', whole.subarray(0, whole.length - 100)], ['damaged.conn.log.gz', damaged]] as const) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      await expect(readDatasetFile(path, { preset: 'zeek-conn' }, onThreads)).rejects.toThrow(new RegExp(`${name}: not valid gzip data \\(`));
    }
  });

  it('a uniform sample of the synthetic Zeek log (--max-rows): the same rows, read in blocks or in chunks', async () => {
    const spec = { preset: 'zeek-conn' };
    const sample = { rows: 1000, seed: 7 };
    const here = await readDatasetFile(sampleLog('train.conn.log'), spec, { sample });
    expect(here.table.numRows()).toBe(1000);
    expect(here.sampledFrom).toBeGreaterThan(5000);
    const there = await readDatasetFile(sampleLog('train.conn.log'), spec, { ...onThreads, sample });
    expectSameRead(there, here);
    expect(there.sampledFrom).toBe(here.sampledFrom);
  });

  it('a file with every repair case, columns typed from its data, and a bad line after them: the same line named', async () => {
    const spec = { label: 'label', normal: 'normal', drop: ['note'] };
    const here = await readDatasetFile(repairs, spec);
    const there = await readDatasetFile(repairs, spec, { ...onThreads, blockBytes: 64 });
    expectSameRead(there, here);
    expect(there.blankRows).toBe(3);
    // More rows than the first chunk (16,384), which types the columns here, before the bad line.
    const text = readFileSync(repairs, 'utf8');
    const body = `${text.slice(text.indexOf('\n') + 1)}\n`;
    const copies = 800;
    const badLine = 2 + copies * (body.split('\n').length - 1);
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, `${text.slice(0, text.indexOf('\n') + 1)}${body.repeat(copies)}x9,tcp,8,0.5,a bad duration,normal\n${body}`);
    const error = (options = {}) => readDatasetFile(bad, spec, options).then(() => null, (e: unknown) => (e as Error).message);
    const message = await error();
    expect(message).toBe(`${bad}, line ${badLine}, column "dur": expected a number, found "x9" (the column held only numbers in its first 16384 rows; name it as categorical to read it as text)`);
    expect(await error(onThreads)).toBe(message);
  });
});

describe('a row that runs on past 64 MiB', () => {
  it('is named at the line it starts on, read here, on threads, as a table or as records', async () => {
    const head = `a,b,label\n${'1,x,n\n2,y,n\n'.repeat(50)}`;
    const path = join(dir, 'runs-on.csv');
    writeFileSync(path, `${head}3,"open,n\n${`${'z'.repeat(1023)}\n`.repeat(MAX_ROW_BYTES >> 10)}`);
    const message = `${path}, line 102: the row that starts on this line runs on for more than 64 MiB (a quoted field not closed?)`;
    const spec = { label: 'label', normal: 'n' };
    await expect(readDatasetFile(path, spec)).rejects.toThrow(message);
    await expect(readDatasetFile(path, spec, onThreads)).rejects.toThrow(message);
    const small = join(dir, 'head.csv');
    writeFileSync(small, head);
    const train = await readDatasetFile(small, spec);
    const featurizer = fitFeaturizer(train.schema, train.table);
    for (const threads of [undefined, 2]) {
      const reading = (async () => {
        for await (const batch of readRecordsFile(path, featurizer, threads === undefined ? {} : { threads })) expect(batch.rows).toBeGreaterThanOrEqual(0);
      })();
      await expect(reading).rejects.toThrow(message);
    }
  });
});

describe('a header row repeated in the body', () => {
  it('is skipped on the decoding threads as on this thread, the records around it read alike', async () => {
    const header = 'Dst Port,Protocol,Label';
    const body = (from: number) => Array.from({ length: 400 }, (_, i) => `${from + i},${i % 2 ? 6 : 17},${i % 9 ? 'Benign' : 'DoS'}`).join('\n');
    const path = join(dir, 'joined.csv');
    writeFileSync(path, `${header}\n${body(0)}\n${header}\n${body(400)}\n`);
    const spec = { label: 'Label', normal: 'Benign' };
    const here = await readDatasetFile(path, spec);
    const there = await readDatasetFile(path, spec, onThreads);
    expect(here.table.numRows()).toBe(800);
    expectSameRead(there, here);
    const featurizer = fitFeaturizer(here.schema, here.table);
    const rows: number[] = [];
    for await (const batch of readRecordsFile(path, featurizer, { threads: 2, blockBytes: 4096 })) rows.push(batch.rows);
    expect(rows.reduce((a, b) => a + b, 0)).toBe(800);
  });
});
