import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { table, toArrowIPC } from 'arquero';
import { describe, expect, it } from 'vitest';
import { chunkBuffer, CHUNK_BYTES, giveChunk } from '../../src/pipeline/bytes';
import { InputError } from '../../src/pipeline/errors';
import { MAX_COLUMNS, MAX_HEADER_BYTES } from '../../src/pipeline/text-layout';
import { detectTextFormat, parseText, readChunks, readTable, type Chunk } from '../../src/pipeline/io';
import { readChunksFile } from '../../src/pipeline/io-node';
import { splitSpacedFields } from '../../src/pipeline/zeek';

const CSV = 'dur,proto,bytes,label\n0.5,tcp,100,normal\n1.25,udp,,attack\n2,tcp,3000,normal\n';
const bytes = (text: string) => new TextEncoder().encode(text);

/** Delivers bytes in pieces of varying size, cutting through multi-byte characters and CRLF pairs. */
async function* pieces(data: Uint8Array, sizes = [1, 7, 3, 64, 2, 500]): AsyncGenerator<Uint8Array> {
  for (let at = 0, k = 0; at < data.length; k++) {
    const size = sizes[k % sizes.length];
    yield data.subarray(at, at + size);
    at += size;
  }
}

async function collect(chunks: AsyncIterable<Chunk>): Promise<Chunk[]> {
  const out: Chunk[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

function expectInputError(run: () => unknown, ...parts: string[]): void {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InputError);
  for (const part of parts) expect((error as Error).message).toContain(part);
}

async function expectRejects(promise: Promise<unknown>, ...parts: string[]): Promise<InputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  for (const part of parts) expect((error as Error).message).toContain(part);
  return error as InputError;
}

describe('delimited text', () => {
  it('reads a CSV with a header: number columns as Float64Array, text as strings, empty as NaN', () => {
    const { table: t, format, lines } = parseText(CSV, { fileName: 'a.csv' });
    expect(format).toBe('csv');
    expect(t.columnNames()).toEqual(['dur', 'proto', 'bytes', 'label']);
    expect(t.column('dur')).toBeInstanceOf(Float64Array);
    expect(Array.from(t.column('dur') as Float64Array)).toEqual([0.5, 1.25, 2]);
    expect(t.column('proto')).toEqual(['tcp', 'udp', 'tcp']);
    expect(Number.isNaN((t.column('bytes') as Float64Array)[1])).toBe(true);
    expect(Array.from(lines)).toEqual([2, 3, 4]);
  });

  it("says which line held a text file's header, whatever blank lines the rows after it hold", async () => {
    const first = async (text: string, options = {}) => (await collect(readChunks(bytes(text), { fileName: 'h.csv', ...options })))[0].headerLine;
    expect(await first('a,b\n1,2\n\n3,4\n')).toBe(1);
    expect(await first('\n\na,b\n1,2\n')).toBe(3);
    expect(await first('1,2\n\n3,4\n', { names: ['a', 'b'] })).toBe(0);
    expect(await first('\nA,B\n1,2\n\n3,4\n', { names: ['a', 'b'] })).toBe(2);
  });

  it('reads a headerless file with names, and a TSV detected by content or by extension', () => {
    const headerless = parseText('0.5,tcp\n1,udp\n', { names: ['dur', 'proto'] });
    expect(headerless.table.columnNames()).toEqual(['dur', 'proto']);
    expect(Array.from(headerless.lines)).toEqual([1, 2]);
    const named = parseText('dur, proto\n0.5,tcp\n1,udp\n', { names: ['dur', 'proto'] });
    expect(named.table.column('proto')).toEqual(['tcp', 'udp']);
    expect(Array.from(named.lines)).toEqual([2, 3]);
    expect(parseText('proto,dur\ntcp,udp\n', { names: ['dur', 'proto'], header: false }).table.column('dur')).toEqual(['proto', 'tcp']);
    expectInputError(() => parseText('proto,dur\n1,udp\n', { names: ['dur', 'proto'], fileName: 'f.csv' }), 'f.csv, line 1: the header row names columns of the given names in other places');
    expectInputError(() => parseText('Proto, DUR\n1,udp\n', { names: ['dur', 'proto'], fileName: 'f.csv' }), 'in other places');
    expectInputError(() => parseText('dur,dbytes,sbytes,class\n1,2,3,n\n', { names: ['dur', 'sbytes', 'dbytes', 'label'] }), 'in other places');
    const renamed = parseText('Dur,Proto\n0.5,tcp\n', { names: ['dur', 'proto'] });
    expect([Array.from(renamed.table.array('dur') as ArrayLike<number>), Array.from(renamed.lines)]).toEqual([[0.5], [2]]);
    expect(parseText('-,tcp\n0.5,udp\n', { names: ['dur', 'proto'], header: false }).table.numRows(), 'a first row of no number, with no header expected, is a record').toBe(2);
    const eight = ['dur', 'proto', 'bytes', 'pkts', 'ttl', 'win', 'flags', 'label'];
    const numbered = parseText('0,1,2,3,4,5,6,7\n0.5,tcp,7,1,64,0,S,n\n', { names: eight });
    expect([numbered.table.column('proto'), Array.from(numbered.lines)], "columns numbered from 0, pandas' header of a table without names, are a header").toEqual([['tcp'], [2]]);
    expect(parseText('0,1,2,3,4,5,6,7\n0.5,6,7,1,64,0,2,0\n', { names: eight, header: false }).table.numRows()).toBe(2);
    expect(parseText('1,2,3,4,5,6,7,8\n0.5,6,7,1,64,0,2,0\n', { names: eight }).table.numRows(), 'numbered from 1, a record').toBe(2);
    expect(parseText('0,1,2\n0.5,6,7\n', { names: ['dur', 'pkts', 'bytes'] }).table.numRows(), 'three fields numbered from 0 may be a record').toBe(2);
    const indexed = parseText(',0,1,2,3,4,5,6\n0,0.5,tcp,7,1,64,0,n\n', { names: ['index', ...eight.slice(0, 7)] });
    expect([indexed.table.column('proto'), Array.from(indexed.lines)], "pandas' header of a table saved with its index").toEqual([['tcp'], [2]]);
    const spaced = parseText('\n,,,,,,,\r\n0,1,2,3,4,5,6,7\n0.5,tcp,7,1,64,0,S,n\n\n0.7,udp,7,1,64,0,S,n\n', { names: eight });
    expect([spaced.table.column('proto'), Array.from(spaced.lines), spaced.blankRows], 'blank lines before the header passed over, and counted').toEqual([['tcp', 'udp'], [4, 6], 3]);
    expect(parseText('\nDur,Proto\n0.5,tcp\n', { names: ['dur', 'proto'] }).table.column('proto')).toEqual(['tcp']);
    expect(parseText('\n\n0.5,tcp\n', { names: ['dur', 'proto'] }).table.column('proto'), 'blank lines before a first record').toEqual(['tcp']);
    const joined = parseText('0,1,2,3,4,5,6,7\n0.5,tcp,7,1,64,0,S,n\n0,1,2,3,4,5,6,7\n0.7,udp,7,1,64,0,S,n\n', { names: eight });
    expect([joined.table.column('proto'), joined.blankRows], 'a numbered header again, files joined end to end').toEqual([['tcp', 'udp'], 1]);
    const missing = parseText('?,tcp\n0.5,udp\n?,tcp\n', { names: ['dur', 'proto'] });
    expect([missing.table.numRows(), Array.from(missing.lines)], 'a first row with a missing value is a record, and so are rows equal to it').toEqual([3, [1, 2, 3]]);
    const tsv = 'dur\tproto\n0.5\ttcp\n';
    expect(detectTextFormat(tsv)).toBe('tsv');
    expect(parseText(tsv).table.column('proto')).toEqual(['tcp']);
    expect(detectTextFormat('a,b\tc,d\n', 'x.tsv')).toBe('tsv');
  });

  it('gives the same table for gzip, a byte-order mark, CRLF line ends and any split of the bytes', async () => {
    const plain = await readTable(bytes(CSV), { fileName: 'a.csv' });
    const variants = [
      gzipSync(bytes(CSV)),
      bytes(`\uFEFF${CSV}`),
      bytes(CSV.replace(/\n/g, '\r\n')),
      gzipSync(bytes(`\uFEFF${CSV.replace(/\n/g, '\r\n')}`)),
    ];
    for (const variant of variants) {
      const read = await readTable(pieces(variant), { fileName: 'a.csv' });
      expect(read.table.objects()).toEqual(plain.table.objects());
      expect(Array.from(read.lines)).toEqual(Array.from(plain.lines));
    }
  });

  it('decodes UTF-8 split across pieces', async () => {
    const text = 'name,n\nnaïve café ✓,1\n日本,2\n';
    const read = await readTable(pieces(bytes(text), [1, 1, 2]), {});
    expect(read.table.column('name')).toEqual(['naïve café ✓', '日本']);
  });

  it('reads quoted fields with delimiters and line breaks, counting those lines', () => {
    const text = 'id,note\n1,"a, b"\n2,"two\nlines"\n3,"say ""hi"""\n4,x,extra\n';
    expectInputError(() => parseText(text, { fileName: 'q.csv' }), 'q.csv', 'line 6', 'expected 2 fields', 'found 3');
    const ok = parseText(text.split('\n').slice(0, 5).join('\n'), { fileName: 'q.csv' });
    expect(ok.table.column('note')).toEqual(['a, b', 'two\nlines', 'say "hi"']);
    expect(Array.from(ok.lines)).toEqual([2, 3, 5]);
  });

  it('trims header names and renames a repeated one with a suffix', () => {
    const { table: t } = parseText(' A, B , A,\n1,2,3,4\n');
    expect(t.columnNames()).toEqual(['A', 'B', 'A.1', 'column4']);
    expect(parseText('b,1,a\nx,2,y\n').table.columnNames()).toEqual(['b', '1', 'a']);
  });

  it('skips empty lines and rows of empty fields, and counts them', () => {
    const read = parseText('a,b\n1,2\n\n,\n3,4\n');
    expect(read.table.numRows()).toBe(2);
    expect(read.blankRows).toBe(2);
    expect(Array.from(read.lines)).toEqual([2, 5]);
  });
});

describe('bad input', () => {
  it('names file and line for a ragged row', () => {
    expectInputError(() => parseText('a,b,c\n1,2,3\n4,5\n', { fileName: 'r.csv' }), 'r.csv', 'line 3', 'expected 3 fields', 'found 2');
  });

  it('names file, line and column for a non-numeric value in a number column', () => {
    expectInputError(
      () => parseText('a,b\n1,2\nx,3\n', { fileName: 'n.csv', types: { a: 'number' } }),
      'n.csv',
      'line 3',
      'column "a"',
      'expected a number, found "x"',
    );
  });

  it('says how a column came to be numeric when a later chunk disagrees', () => {
    const rows = ['a,b', ...Array.from({ length: 10 }, (_, i) => `${i},x`), 'oops,y'].join('\n');
    expectInputError(() => parseText(rows, { fileName: 'late.csv', chunkRows: 4 }), 'line 12', 'column "a"', 'first 4 rows');
  });

  it('rejects a file with only a header, an empty file, and a headerless file without names', async () => {
    expectInputError(() => parseText('a,b,c\n', { fileName: 'h.csv' }), 'h.csv', 'line 1', 'header but no data rows');
    await expectRejects(readTable(new Uint8Array(0), { fileName: 'e.csv' }), 'e.csv', 'empty');
    expectInputError(() => parseText('1,2\n', { header: false }), 'needs column names');
  });

  it('refuses a header whose quoted field is not closed, gzip or not, JSON records and ARFF, naming the line', async () => {
    for (const text of ['label,x,"c\nnormal,1,a\n', 'a,"b']) {
      await expectRejects(readTable(bytes(text), { fileName: 'uq.csv' }), 'uq.csv, line 1: a quoted field opened on this line is not closed');
      await expectRejects(readTable(gzipSync(bytes(text)), { fileName: 'uq.csv.gz' }), 'uq.csv.gz, line 1: a quoted field opened on this line is not closed');
    }
    await expectRejects(readTable(bytes('\n\nx,"y\n'), { fileName: 'late.csv' }), 'late.csv, line 3: a quoted field opened');
    const long = `a,"b\n${'x,y\n'.repeat((MAX_HEADER_BYTES >> 2) + 1)}`;
    await expectRejects(readTable(bytes(long), { fileName: 'long.csv' }), 'long.csv, line 1: a quoted field opened on this line is not closed');
    const json = '{"ts":1700000000.06,"uid":"C1","id.orig_h":"10.0.0.1","proto":"tcp"}\n';
    await expectRejects(readTable(bytes(json), { fileName: 'conn.log' }), 'conn.log, line 1: holds JSON records (a Zeek JSON log?)');
    const arff = "@relation 'KDDTrain'\n@attribute 'duration' real\n@data\n0,tcp\n";
    await expectRejects(readTable(bytes(arff), { fileName: 'KDDTrain+.arff' }), 'KDDTrain+.arff, line 1: is an ARFF file (Weka)');
    await expectRejects(readTable(bytes(arff), { fileName: 'train.data' }), 'train.data, line 1: is an ARFF file (Weka)');
  });

  it('reads a file with given names whose first row runs past 16 MiB: a row that long is no header of those names', async () => {
    const long = `1,2,"${'x'.repeat(20 << 20)}"\n3,4,y\n`;
    async function* source(): AsyncGenerator<Uint8Array> {
      const bytes = new TextEncoder().encode(long);
      for (let at = 0; at < bytes.length; at += 1 << 20) yield bytes.slice(at, at + (1 << 20));
    }
    const { table } = await readTable(source(), { fileName: 'long.csv', names: ['a', 'b', 'c'], header: false });
    expect(table.numRows()).toBe(2);
    expect((table.array('c') as string[])[0].length).toBe(20 << 20);
  });

  it('skips rows that repeat the header row (files joined end to end), CRLF or not, keeping the lines of the others', async () => {
    const joined = parseText(' Port,proto\n1,tcp\n2,udp\n Port,proto\n3,tcp\n', { fileName: 'joined.csv' });
    expect(Array.from(joined.table.column('Port') as Float64Array)).toEqual([1, 2, 3]);
    expect(Array.from(joined.lines)).toEqual([2, 3, 5]);
    const crlf = await readTable(bytes('Port,proto\r\n1,tcp\r\nPort,proto\r\n3,tcp\r\n'), { fileName: 'crlf.csv' });
    expect(Array.from(crlf.table.column('Port') as Float64Array)).toEqual([1, 3]);
    const named = parseText('dur,proto\n0.5,tcp\ndur,proto\n1,udp\n', { names: ['dur', 'proto'] });
    expect(Array.from(named.lines)).toEqual([2, 4]);
    expect(parseText('proto,svc\ntcp,http\nproto,service\n', { fileName: 'other.csv' }).table.column('svc')).toEqual(['http', 'service']);
    expect(parseText('0,tcp\n0,tcp\n0,tcp\n', { fileName: 'records.csv' }).table.numRows(), 'a record read as a header is no header of names: records equal to it stay').toBe(2);
  });

  it('rejects gzip data that is not valid', async () => {
    const broken = gzipSync(bytes(CSV)).slice(0, 20);
    await expectRejects(readTable(broken, { fileName: 'b.csv.gz' }), 'b.csv.gz');
  });

  it('says a UTF-16 file is UTF-16 (with or without a byte-order mark, gzip or not), and binary data is not text', async () => {
    const le = Buffer.from(`\ufeff${CSV}`, 'utf16le');
    const be = Buffer.from(CSV, 'utf16le').swap16();
    for (const [data, name] of [[le, 'le.csv'], [be, 'be.csv'], [gzipSync(be), 'be.csv.gz']] as const) {
      await expectRejects(readTable(new Uint8Array(data), { fileName: name }), `${name}: looks like UTF-16; convert it to UTF-8`);
    }
    const binary = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0x3e, 0]);
    await expectRejects(readTable(binary, { fileName: 'ls' }), 'ls: not text (a NUL byte at byte 8)');
  });

  it('refuses a header of more than MAX_COLUMNS columns without reading it all', async () => {
    const header = Array.from({ length: 5 * MAX_COLUMNS }, (_, i) => `c${i}`).join(',');
    let blocks = 0;
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < header.length; at += 1 << 16) {
        blocks++;
        yield bytes(header.slice(at, at + (1 << 16)));
      }
      yield bytes('\n1\n');
    }
    await expectRejects(readTable(source(), { fileName: 'wide.csv' }), 'wide.csv: the header row has more than 100,000 columns');
    expect(blocks).toBeLessThan(header.length / (1 << 16) / 2);
    const atLimit = `${Array.from({ length: 1000 }, (_, i) => `c${i}`).join(',')}\n${'1,'.repeat(999)}1\n`;
    expect((await readTable(bytes(`\n\n${atLimit}`))).table.columnNames().length).toBe(1000);
    expectInputError(() => parseText('1\n', { names: Array.from({ length: MAX_COLUMNS + 1 }, (_, i) => `c${i}`), header: false, namesFrom: 'n.txt' }), 'n.txt names 100,001 columns');
  });

  it('quotes at most 80 characters of a bad field, with control characters escaped', () => {
    const huge = 'x'.repeat(1_000_000);
    const error = (text: string) => {
      try {
        parseText(`a,b\n1,2\n${text},3\n`, { fileName: 'q.csv', types: { a: 'number' } });
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(error(huge)).toBe(`q.csv, line 3, column "a": expected a number, found "${'x'.repeat(80)}…" (1,000,000 characters)`);
    expect(error('\x01\x02\x1b[31m\u202e')).toBe('q.csv, line 3, column "a": expected a number, found "\\x01\\x02\\x1b[31m\\u202e"');
  });
});

describe('Zeek conn.log', () => {
  const log = [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    '#path\tconn',
    '#fields\tts\tuid\tid.resp_p\tproto\tservice\tduration\torig_bytes',
    '#types\ttime\tstring\tport\tenum\tstring\tinterval\tcount',
    '1700000000.000001\tCa1\t80\ttcp\thttp\t0.5\t120',
    '1700000001.000002\tCa2\t53\tudp\t-\t-\t-',
    '#close\t2023-11-14-22-13-21',
    '',
  ].join('\n');

  it('takes names from #fields and kinds from #types, reads - as missing, skips #close', async () => {
    const read = await readTable(pieces(bytes(log), [5, 11]), { fileName: 'conn.log' });
    expect(read.format).toBe('zeek');
    expect(read.table.columnNames()).toEqual(['ts', 'uid', 'id.resp_p', 'proto', 'service', 'duration', 'orig_bytes']);
    expect(read.table.numRows()).toBe(2);
    expect(read.table.column('duration')).toBeInstanceOf(Float64Array);
    expect(Number.isNaN(read.table.get('duration', 1) as number)).toBe(true);
    expect(read.table.get('service', 1)).toBe('-');
    expect(Array.from(read.lines)).toEqual([8, 9]);
  });

  it('lets given kinds override #types', () => {
    const read = parseText(log, { types: { 'id.resp_p': 'string' } });
    expect(read.table.column('id.resp_p')).toEqual(['80', '53']);
  });

  it('names the line of a ragged row', () => {
    const bad = log.replace('\t0.5\t120', '\t0.5');
    expectInputError(() => parseText(bad, { fileName: 'conn.log' }), 'conn.log', 'line 8', 'expected 7 fields', '#fields');
  });

  describe("IoT-23's conn.log.labeled, whose last columns are apart by spaces", () => {
    const labelled = (text: string) => text
      .replace('\torig_bytes\n', '\torig_bytes   label   detailed-label\n')
      .replace('\tcount\n', '\tcount   string   string\n')
      .replace('\t120\n', '\t120   Benign   -\n')
      .replace('\t-\t-\t-\n', '\t-\t-\t-   Malicious   PartOfAHorizontalPortScan\n');
    const tabbed = (text: string) => labelled(text).replace(/ {3}/g, '\t');

    it('reads each of them as a column, as the same log written with tabs, in blocks of any size', async () => {
      const spaced = labelled(log);
      expect(spaced).toContain('120   Benign   -');
      const expected = parseText(tabbed(log), { fileName: 'conn.log' });
      expect(expected.table.columnNames().slice(-3)).toEqual(['orig_bytes', 'label', 'detailed-label']);
      expect(expected.table.array('detailed-label')).toEqual(['-', 'PartOfAHorizontalPortScan']);
      for (const blockBytes of [1, 40, 1 << 20]) {
        const read = await readTable(pieces(bytes(spaced), [5, 11]), { fileName: 'conn.log', blockBytes });
        expect(read.table.columnNames()).toEqual(expected.table.columnNames());
        for (const name of expected.table.columnNames()) expect(read.table.array(name)).toEqual(expected.table.array(name));
        expect(Array.from(read.lines)).toEqual([8, 9]);
      }
      expect(parseText(spaced).table.array('label')).toEqual(['Benign', 'Malicious']);
    });

    it('drops spaces at either end of such a field, and names the line of a row with too few of its columns', () => {
      const padded = labelled(log).replace('120   Benign   -', '120 Benign   -  ');
      expect(parseText(padded).table.array('detailed-label')).toEqual(['-', 'PartOfAHorizontalPortScan']);
      expect(parseText(padded.replace(/\n/g, '\r\n')).table.array('detailed-label'), 'CRLF').toEqual(['-', 'PartOfAHorizontalPortScan']);
      const short = labelled(log).replace('   Malicious   PartOfAHorizontalPortScan', '   Malicious');
      expectInputError(() => parseText(short, { fileName: 'conn.log' }), 'conn.log', 'line 9', 'expected 9 fields');
    });

    it('splits a block once: a block split already, and rows of another field count, stay as they are', () => {
      const spaced = { at: [2], rowFields: 3 };
      const block = bytes('a\tb\tc   d   e\n#close\tx y\na\tb\tc   d   e\tf\nx\ty\n');
      const once = splitSpacedFields(block, 9, spaced).slice();
      expect(new TextDecoder().decode(once)).toBe('a\tb\tc\td\te\n#close\tx y\na\tb\tc   d   e\tf\nx\ty\n');
      expect(splitSpacedFields(once.slice(), 9, spaced)).toEqual(once);
    });

    it('refuses a #types line whose types, split alike, do not match the names', () => {
      expectInputError(() => parseText(labelled(log).replace('count   string   string', 'count   string'), { fileName: 'conn.log' }), 'conn.log', '8 types for 9 #fields');
    });
  });
});

describe('Arrow IPC', () => {
  it('detects Arrow by its magic bytes and reads numbers and text', async () => {
    const source = table({ bytes: [1, 2, 3], proto: ['tcp', 'udp', null], ok: [true, false, true] });
    const read = await readTable(toArrowIPC(source, { format: 'file' }), { fileName: 'flows.arrow' });
    expect(read.format).toBe('arrow');
    expect(Array.from(read.table.column('bytes') as Float64Array)).toEqual([1, 2, 3]);
    expect(read.table.column('proto')).toEqual(['tcp', 'udp', '']);
    expect(Array.from(read.table.column('ok') as Float64Array)).toEqual([1, 0, 1]);
    const stream = await readTable(toArrowIPC(source, { format: 'stream' }), {});
    expect(stream.format).toBe('arrow');
    expect(stream.table.numRows()).toBe(3);
  });
});

describe('streaming', () => {
  const rows = 50_000;
  const big = ['n,proto,label', ...Array.from({ length: rows }, (_, i) => `${i},${i % 3 === 0 ? 'udp' : 'tcp'},${i % 10 === 0 ? 'attack' : 'normal'}`)].join('\n');

  it('yields chunks of at most chunkRows rows with the line of their first row, adding up to the whole file', async () => {
    const chunks = await collect(readChunks(pieces(bytes(big), [4096, 333]), { fileName: 'big.csv', chunkRows: 7000 }));
    expect(chunks.length).toBe(Math.ceil(rows / 7000));
    expect(chunks.every((c) => c.table.numRows() <= 7000)).toBe(true);
    let line = 2;
    for (const chunk of chunks) {
      expect(chunk.firstLine).toBe(line);
      expect((chunk.table.column('n') as Float64Array)[0]).toBe(line - 2);
      line += chunk.table.numRows();
    }
    expect(line - 2).toBe(rows);
  });

  it('reads a Node readable stream', async () => {
    const chunks = await collect(readChunksFile(Readable.from([Buffer.from(big.slice(0, 5000)), Buffer.from(big.slice(5000))]), { chunkRows: 20_000 }));
    expect(chunks.reduce((n, c) => n + c.table.numRows(), 0)).toBe(rows);
    expect(chunks[0].file).toBe('stream');
  });

  it('reads a file of several chunk buffers, each reused once copied, as the table of its bytes', async () => {
    const body = big.split('\n').slice(1).join('\n');
    const text = `${big}\n${body}\n${body}\n`;
    expect(text.length).toBeGreaterThan(2 * CHUNK_BYTES);
    const dir = mkdtempSync(join(tmpdir(), 'netae-io-'));
    try {
      const path = join(dir, 'big.csv');
      writeFileSync(path, text);
      const fromFile = await collect(readChunksFile(path, { chunkRows: 30_000 }));
      const fromBytes = await collect(readChunks(bytes(text), { fileName: path, chunkRows: 30_000 }));
      expect(fromFile.map((c) => c.firstLine)).toEqual(fromBytes.map((c) => c.firstLine));
      fromFile.forEach((chunk, k) => {
        expect(chunk.table.array('n')).toEqual(fromBytes[k].table.array('n'));
        expect(chunk.table.array('label')).toEqual(fromBytes[k].table.array('label'));
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops its source when the reader stops early, as a file source then closes its file', async () => {
    const stopped: boolean[] = [];
    async function* source(gzipped: boolean): AsyncGenerator<Uint8Array> {
      try {
        const text = `a,b\n${'1,2\n'.repeat(1_000_000)}`;
        const all = gzipped ? gzipSync(text) : bytes(text);
        for (let at = 0; at < all.length; at += 65_536) yield all.subarray(at, at + 65_536);
      } finally {
        stopped.push(gzipped);
      }
    }
    for (const gzipped of [false, true]) {
      const chunks = readChunks(source(gzipped), { chunkRows: 16 });
      expect((await chunks.next()).value.table.numRows()).toBe(16);
      await chunks.return(undefined);
    }
    expect(stopped).toEqual([false, true]);
  });

  it('takes back a chunk buffer given back, and no other buffer', () => {
    const chunk = chunkBuffer();
    giveChunk(chunk.subarray(0, 10));
    expect(chunkBuffer().buffer).toBe(chunk.buffer);
    const other = new Uint8Array(CHUNK_BYTES);
    giveChunk(other);
    expect(chunkBuffer().buffer).not.toBe(other.buffer);
  });

  it('raises a ragged row deep in the stream with file and line, after the chunks before it', async () => {
    const lines = big.split('\n');
    lines[40_001] = '40000,tcp';
    const seen: number[] = [];
    const run = (async () => {
      for await (const chunk of readChunks(pieces(bytes(lines.join('\n')), [65_536]), { fileName: 'huge.csv', chunkRows: 10_000 })) {
        seen.push(chunk.firstLine);
      }
    })();
    const error = await expectRejects(run, 'huge.csv', 'line 40002', 'expected 3 fields', 'found 2');
    expect(error.line).toBe(40_002);
    expect(seen).toEqual([2, 10_002, 20_002, 30_002]);
  });
});
