import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parallelDecoding } from '../../src/pipeline/decode-pool-node';
import { readTable, type ReadOptions, type ReadResult } from '../../src/pipeline/io';
import { readOptionsFor } from '../../src/pipeline/schema';
import type { BlockDecoding } from '../../src/pipeline/text-blocks';
import { expectSameRead } from './helpers/same-read';

const sample = (name: string) => fileURLToPath(new URL(`../../data/sample/${name}`, import.meta.url));
const repairs = fileURLToPath(new URL('fixtures/repairs.csv', import.meta.url));

/** Decoding on two worker threads that counts the blocks it is given. */
function countedPool(): { decoding: BlockDecoding; blocks: () => number } {
  let blocks = 0;
  const pool = parallelDecoding(2);
  const decoding: BlockDecoding = (source, layout, request, recycle) => pool((async function* () {
    for await (const block of source) {
      blocks++;
      yield block;
    }
  })(), layout, request, recycle);
  return { decoding, blocks: () => blocks };
}

/** The file read here and read on worker threads, with the same options otherwise; returns the first and the blocks the threads were given. */
async function bothWays(bytes: Uint8Array, options: ReadOptions): Promise<{ here: ReadResult; blocks: number }> {
  const here = await readTable(bytes, options);
  const pool = countedPool();
  const there = await readTable(bytes, { ...options, decoding: pool.decoding });
  expectSameRead(there, here);
  return { here, blocks: pool.blocks() };
}

/** The error reading `text` gives, or null. */
async function readError(text: string, options: ReadOptions): Promise<string | null> {
  return readTable(new TextEncoder().encode(text), options).then(() => null, (e: unknown) => (e as Error).message);
}

describe('a table read on worker threads is the table read here', () => {
  it('on the synthetic Zeek logs, every column given its kind by #types, in blocks of 4 KiB', async () => {
    for (const name of ['train.conn.log', 'test.conn.log']) {
      const options = { ...readOptionsFor({ preset: 'zeek-conn' }, name), blockBytes: 4096 };
      const { here, blocks } = await bothWays(readFileSync(sample(name)), options);
      expect(here.table.numRows()).toBeGreaterThan(5000);
      expect(blocks, 'blocks decoded on the threads').toBeGreaterThan(100);
    }
  });

  it('on a file with every repair case, its columns typed from a first chunk read here, blank rows and a quoted line feed after it', async () => {
    const bytes = readFileSync(repairs);
    for (const chunkRows of [5, 17]) {
      const { here, blocks } = await bothWays(bytes, { fileName: 'repairs.csv', chunkRows, blockBytes: 64 });
      expect(here.table.numRows()).toBe(23);
      expect(here.blankRows).toBe(3);
      expect(here.table.column('dur')).toBeInstanceOf(Float64Array);
      expect(blocks).toBeGreaterThan(2);
    }
    const types = { dur: 'number', proto: 'string', bytes: 'number', rate: 'number', note: 'string', label: 'string' } as const;
    const { here, blocks } = await bothWays(bytes, { fileName: 'repairs.csv', types, blockBytes: 64 });
    expect(here.blankRows).toBe(3);
    expect(blocks, 'every block, none read here to type a column').toBeGreaterThan(10);
  });

  it('reads text of no more than `decodingAbove` blocks here', async () => {
    const lines = ['a,b', ...Array.from({ length: 1000 }, (_, i) => `${i},${i % 3}`)];
    const bytes = new TextEncoder().encode(`${lines.join('\n')}\n`);
    const options = { fileName: 'small.csv', types: { a: 'number', b: 'string' } as const, blockBytes: 512 };
    const here = await readTable(bytes, options);
    const blocksWith = async (decodingAbove: number) => {
      const pool = countedPool();
      expectSameRead(await readTable(bytes, { ...options, decoding: pool.decoding, decodingAbove }), here);
      return pool.blocks();
    };
    const blocks = await blocksWith(0);
    expect(blocks).toBeGreaterThan(4);
    expect(await blocksWith(blocks - 1)).toBe(blocks);
    expect(await blocksWith(blocks)).toBe(0);
  });
});

describe('errors read on worker threads are those read here', () => {
  const lines = ['a,b,label', ...Array.from({ length: 5000 }, (_, i) => `${i},${i % 7},${i % 2 ? 'x' : 'y'}`)];
  const bad = (line: number, text: string) => lines.map((l, i) => (i === line - 1 ? text : l)).join('\n') + '\n';
  const cases: [string, RegExp][] = [
    [bad(4500, 'oops,1,x'), /^bad\.csv, line 4500, column "a": expected a number, found "oops" \(the column held only numbers in its first 100 rows; name it as categorical to read it as text\)$/],
    [bad(4321, '7,1,"two\nlines"').replace('\n4400,', '\nzz,'), /^bad\.csv, line 4403, column "a": expected a number, found "zz"/],
    [bad(3000, '1,2'), /^bad\.csv, line 3000: expected 3 fields \(as in the header on line 1\), found 2$/],
    [bad(2500, '1,"2,x'), /^bad\.csv, line 2500: a quoted field opened on this line is not closed$/],
  ];
  it('a field that is not a number in a column typed from the data, after a quoted line feed; a ragged row; an unclosed quote', async () => {
    for (const [text, message] of cases) {
      const options = { fileName: 'bad.csv', chunkRows: 100, blockBytes: 1000 };
      const here = await readError(text, options);
      expect(here).toMatch(message);
      expect(await readError(text, { ...options, decoding: parallelDecoding(2) })).toBe(here);
    }
  });
});

describe('a column typed from its first chunk', () => {
  const lines = ['a,b', ...Array.from({ length: 300 }, (_, i) => `${i},${i % 5}`)];
  const withTexts = (at: number[]) => `${lines.map((l, i) => (at.includes(i + 1) ? l.replace(/^\d+/, 'oops') : l)).join('\n')}\n`;
  const options = { fileName: 'typed.csv', chunkRows: 100 };

  it('is numbers when every field reads as one, text when many do not', async () => {
    const numbers = await readTable(new TextEncoder().encode(withTexts([])), options);
    expect(numbers.table.column('a')).toBeInstanceOf(Float64Array);
    const text = await readTable(new TextEncoder().encode(withTexts([10, 20])), options);
    expect(text.table.get('a', 8)).toBe('oops');
    expect(text.table.get('a', 0)).toBe('0');
  });

  it('with one field in a hundred that is not a number, is refused at that field, not read as categories', async () => {
    const message = /^typed\.csv, line 50, column "a": expected a number, found "oops" \(the column holds numbers in 99 of its first 100 rows; name it as categorical to read it as text\)$/;
    expect(await readError(withTexts([50]), options)).toMatch(message);
    expect(await readError(withTexts([50]), { ...options, types: { a: 'string' } })).toBeNull();
  });
});

describe('Zeek logs joined end to end', () => {
  const log = readFileSync(sample('test.conn.log'), 'utf8');
  const fields = log.split('\n').findIndex((l) => l.startsWith('#fields')) + 1;
  const lineCount = log.split('\n').length - 1;
  const options = { ...readOptionsFor({ preset: 'zeek-conn' }, 'joined.conn.log'), blockBytes: 4096 };

  it('read as one log when each header names the same columns', async () => {
    const one = await readTable(new TextEncoder().encode(log), options);
    const { here } = await bothWays(new TextEncoder().encode(log + log), options);
    expect(here.table.numRows()).toBe(2 * one.table.numRows());
  });

  it('refused at the #fields line that names other columns, here and on threads', async () => {
    const swapped = log.replace(/\tduration\t(\w+)\t/, '\t$1\tduration\t');
    const message = `joined.conn.log, line ${lineCount + fields}: a #fields line names other columns than the log's header, or parts them otherwise: logs joined end to end must name the same columns alike; read each on its own`;
    expect(await readError(log + swapped, options)).toBe(message);
    expect(await readError(log + swapped, { ...options, decoding: parallelDecoding(2) })).toBe(message);
  });

  it('read as one log when each header joins its last names with spaces, as IoT-23 writes them, here and on threads', async () => {
    const spaced = log.replace(/^(?!#(?!fields|types))(.*)\t([^\t\n]*)$/gm, '$1   $2');
    const lines = log.split('\n');
    expect(spaced.split('\n').filter((line) => line.includes('   ')).length).toBe(lines.filter((line) => line !== '' && !line.startsWith('#')).length + 2);
    const one = await readTable(new TextEncoder().encode(log), options);
    const { here } = await bothWays(new TextEncoder().encode(spaced + spaced), options);
    expect(here.table.numRows()).toBe(2 * one.table.numRows());
    expect(here.table.array('label')).toEqual([...one.table.array('label') as string[], ...one.table.array('label') as string[]]);
    const message = `joined.conn.log, line ${lineCount + fields}: a #fields line names other columns than the log's header, or parts them otherwise: logs joined end to end must name the same columns alike; read each on its own`;
    expect(await readError(log + spaced, options), 'a spaced log after a tabbed one').toBe(message);
  });
});

