import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { table } from 'arquero';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/pipeline/errors';
import { readTable, type ReadResult } from '../../src/pipeline/io';
import { parallelDecoding } from '../../src/pipeline/decode-pool-node';
import { readDatasetFile } from '../../src/pipeline/io-node';
import { Featurizer, fitFeaturizer } from '../../src/pipeline/featurizer';
import { RecordDecoder } from '../../src/pipeline/record-decoder';
import { decodeHere, readRecords, type RecordBatch } from '../../src/pipeline/records';
import type { BlockDecoding } from '../../src/pipeline/text-blocks';
import { readLayout } from '../../src/pipeline/text-layout';
import { normalRows, resolveSchema } from '../../src/pipeline/schema';
import { expandRows, packedLayout } from '../../src/pipeline/packed-rows';
import { rowTexts } from '../../src/pipeline/text-column';
import { referenceTable } from './helpers/reference-table';
import { sameBytes } from './helpers/same-bytes';
import { parseNumber } from '../../src/pipeline/values';
import { seededRandom } from '../../src/model/random';

const nslKdd = new URL('../../../shared/data/nsl-kdd/', import.meta.url);
const hasNslKdd = existsSync(new URL('KDDTrain+.txt', nslKdd)) && existsSync(new URL('KDDTest+.txt', nslKdd));
if (!hasNslKdd) console.warn(`NSL-KDD decoder comparison skipped: no KDDTrain+.txt / KDDTest+.txt in ${fileURLToPath(nslKdd)}`);
const sample = (name: string) => fileURLToPath(new URL(`../../data/sample/${name}`, import.meta.url));
const repairs = fileURLToPath(new URL('fixtures/repairs.csv', import.meta.url));

/** Delivers bytes in pieces of the given sizes, in turn. */
async function* pieces(data: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  for (let at = 0, k = 0; at < data.length; k++) {
    yield data.subarray(at, at + sizes[k % sizes.length]);
    at += sizes[k % sizes.length];
  }
}

interface Decoded {
  matrix: Float32Array;
  /** Whether the batches' rows were packed (all of them, or none: a mix fails the decoding). */
  packed: boolean;
  rows: number;
  report: { rows: number; repaired: number; unseen: number; columns: Record<string, unknown> };
  labels: string[];
}

async function decodeAll(batches: AsyncIterable<RecordBatch>, label: string | null): Promise<Decoded> {
  const parts: Float32Array[] = [];
  const labels: string[] = [];
  const packed = new Set<boolean>();
  const report = { rows: 0, repaired: 0, clipped: 0, unseen: 0, columns: {} as Record<string, Record<string, number>> };
  for await (const batch of batches) {
    parts.push(batch.matrix);
    packed.add(batch.packed);
    report.rows += batch.rows;
    report.repaired += batch.report.repaired;
    report.clipped += batch.report.clipped;
    report.unseen += batch.report.unseen;
    for (const [column, counts] of Object.entries(batch.report.columns)) {
      const into = (report.columns[column] ??= { missing: 0, infinite: 0, clipped: 0, unseen: 0 });
      for (const [k, v] of Object.entries(counts)) into[k] += v;
    }
    if (label !== null) {
      labels.push(...rowTexts(batch.texts[label]));
    }
  }
  const matrix = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    matrix.set(part, at);
    at += part.length;
  }
  if (packed.size > 1) throw new Error('packed and dense batches mixed');
  return { matrix, packed: packed.has(true), rows: report.rows, report, labels };
}

/** The dense rows of decoded rows: packed ones expanded (as the CPU reference expands them). */
function denseOf(decoded: Decoded, featurizer: Featurizer): Float32Array {
  if (!decoded.packed) return decoded.matrix;
  return expandRows(new Uint32Array(decoded.matrix.buffer, decoded.matrix.byteOffset, decoded.matrix.length), decoded.rows, packedLayout(featurizer.features));
}

/**
 * Reads `file` both ways, and compares: the reference reader (Papa Parse) and `transform`, and the
 * byte decoder fed in odd pieces and small blocks, writing dense rows and packed ones (expanded
 * on the CPU, they must be the same bytes, with the same repairs). Also checks that the table
 * reader, which decodes bytes too, gives the reference table.
 */
async function expectSameAsTransform(featurizer: Featurizer, file: string, blockBytes: number): Promise<ReadResult> {
  const read = await readTable(readFileSync(file), featurizer.readOptions(file));
  const reference = referenceTable(readFileSync(file, 'utf8'), {
    names: featurizer.schema.read.header === false ? featurizer.schema.read.names : undefined,
    zeek: file.endsWith('.log'),
    numeric: featurizer.schema.features.numeric,
  });
  expect(read.table.numRows()).toBe(reference.numRows());
  for (const name of featurizer.features.columns) {
    const [a, b] = [Array.from(read.table.array(name) as ArrayLike<unknown>), Array.from(reference.array(name) as ArrayLike<unknown>)];
    expect(a.every((v, i) => Object.is(v, b[i])), name).toBe(true);
  }
  const expected = featurizer.transform(reference);
  const label = featurizer.schema.label;
  for (const packed of [false, true]) {
    const decoded = await decodeAll(readRecords(pieces(readFileSync(file), [4093, 65_536, 17]), featurizer, {
      ...featurizer.readOptions(file),
      blockBytes,
      packed,
      texts: (names) => (label !== null && names.includes(label) ? [label] : []),
    }), label);
    expect(decoded.packed).toBe(packed);
    expect(decoded.rows).toBe(expected.rows);
    if (packed) expect(decoded.matrix.length).toBe(expected.rows * (featurizer.features.numeric.length + featurizer.features.categorical.length));
    expect(sameBytes(denseOf(decoded, featurizer), expected.matrix), packed ? 'packed rows, expanded' : 'dense rows').toBe(true);
    expect(decoded.report).toEqual(expected.report);
    if (label !== null) expect(decoded.labels).toEqual(Array.from(read.table.array(label) as string[]));
  }
  return read;
}

describe('the byte decoder gives exactly what transform gives', () => {
  it.runIf(hasNslKdd)('on NSL-KDD: fitted on KDDTrain+, KDDTest+ and KDDTrain+ decoded', async () => {
    const train = await readDatasetFile(fileURLToPath(new URL('KDDTrain+.txt', nslKdd)), { preset: 'nsl-kdd' });
    const normal = normalRows(train.table, train.schema, train);
    const featurizer = fitFeaturizer(train.schema, normal.table, { scaling: 'standard' });
    const test = await expectSameAsTransform(featurizer, fileURLToPath(new URL('KDDTest+.txt', nslKdd)), 1 << 16);
    expect(test.table.numRows()).toBe(22_544);
    await expectSameAsTransform(featurizer, fileURLToPath(new URL('KDDTrain+.txt', nslKdd)), 1 << 20);
  });

  it('on the synthetic Zeek logs of data/sample, every scaling, and with per-feature weights', async () => {
    const train = await readDatasetFile(sample('train.conn.log'), { preset: 'zeek-conn' });
    const normal = normalRows(train.table, train.schema, train);
    for (const scaling of ['standard', 'minmax', 'robust'] as const) {
      const featurizer = fitFeaturizer(train.schema, normal.table, { scaling });
      const test = await expectSameAsTransform(featurizer, sample('test.conn.log'), 1 << 14);
      expect(test.table.numRows()).toBe(6000);
    }
    const plain = fitFeaturizer(train.schema, normal.table);
    const weights = Array.from({ length: plain.width }, (_, f) => 0.25 + (f % 7));
    await expectSameAsTransform(new Featurizer(plain.schema, plain.features.weighted(weights)), sample('test.conn.log'), 1 << 14);
  });

  it('on a file with every repair case: missing and infinite spellings, clipping, unseen and quoted categories, blank rows, CRLF, a byte-order mark', async () => {
    const fit = table({
      dur: Float64Array.from([0.5, 1, 2, 4, 8]),
      proto: ['tcp', 'udp', 'icmp', 'tcp', 'udp'],
      bytes: Float64Array.from([10, 100, 1000, 50, 500]),
      rate: Float64Array.from([0.1, 0.2, 0.3, 0.4, 0.5]),
      note: ['a', 'b', 'c', 'd', 'e'],
      label: ['normal', 'normal', 'normal', 'normal', 'normal'],
    });
    const schema = resolveSchema(fit, { label: 'label', normal: 'normal', drop: ['note'], log1p: ['bytes'] }, 'fit');
    for (const clip of [1e6, 2]) {
      const featurizer = fitFeaturizer(schema, fit, { scaling: 'standard', clip });
      const read = await expectSameAsTransform(featurizer, repairs, 64);
      expect(read.table.numRows()).toBe(23);
      expect(read.blankRows).toBe(3);
      const report = featurizer.transform(read.table, read).report;
      expect(report.columns.dur.missing).toBe(5);
      expect(report.columns.dur.infinite).toBe(2);
      expect(report.columns.proto.unseen).toBe(3);
      expect(report.repaired).toBeGreaterThan(20);
    }
  });
});

describe('text columns', () => {
  it('give each row its text: ids past the distinct texts looked up, repeats, long and non-ASCII texts, quoted fields, CRLF or LF, a categorical feature', async () => {
    const fit = table({ a: Float64Array.from([1, 2, 3]), c: ['x', 'y', 'x'] });
    const featurizer = fitFeaturizer(resolveSchema(fit, {}, 'fit'), fit);
    const n = 12_000;
    const expected: Record<string, string[]> = {
      id: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? `id${i % 999}` : `id${i}`)),
      note: Array.from({ length: n }, (_, i) => [`n${i % 5}`, `q,${i % 4}`, 'é'.repeat(40), 'x'.repeat(70 + (i % 2)), ''][i % 5]),
      label: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 'attack' : 'normal')),
      c: Array.from({ length: n }, (_, i) => ['x', 'y'][i % 2]),
    };
    const field = (text: string) => (text.includes(',') ? `"${text}"` : text);
    const rows = Array.from({ length: n }, (_, i) => `${i % 7},${expected.c[i]},${field(expected.note[i])},${expected.label[i]},${expected.id[i]}`);
    const names = ['id', 'note', 'label', 'c'];
    for (const [eol, blockBytes] of [['\r\n', 4096], ['\r\n', 1 << 20], ['\n', 4096]] as const) {
      const bytes = new TextEncoder().encode(`a,c,note,label,id${eol}${rows.join(eol)}${eol}`);
      const texts: Record<string, string[]> = { id: [], note: [], label: [], c: [] };
      for await (const batch of readRecords(bytes, featurizer, { fileName: 't.csv', blockBytes, texts: () => names })) {
        for (const name of names) texts[name].push(...rowTexts(batch.texts[name]));
      }
      for (const name of names) expect(texts[name], name).toEqual(expected[name]);
    }
  });
});

describe('text decoded in place', () => {
  const names = ['label', 'uid', 'ts', 'id.orig_h', 'id.orig_p', 'id.resp_p', 'service'];

  /** Every row's text of each column, and each batch's columns' buffers of bytes. */
  async function textsOf(batches: AsyncIterable<RecordBatch>) {
    const texts: Record<string, string[]> = Object.fromEntries(names.map((name) => [name, []]));
    const held: Set<ArrayBufferLike>[] = [];
    for await (const batch of batches) {
      for (const name of names) texts[name].push(...rowTexts(batch.texts[name]));
      held.push(new Set(names.map((name) => batch.texts[name].bytes.buffer)));
    }
    return { texts, held };
  }

  it('gives a Zeek log\'s texts as copying them does, LF or CRLF, here or on threads, a categorical feature among them; each batch holds its block until it is given back', async () => {
    const train = await readDatasetFile(sample('train.conn.log'), { preset: 'zeek-conn' });
    const featurizer = fitFeaturizer(train.schema, normalRows(train.table, train.schema, train).table);
    const lf = readFileSync(sample('test.conn.log'));
    const crlf = new TextEncoder().encode(new TextDecoder().decode(lf).replace(/\n/g, '\r\n'));
    for (const bytes of [lf, crlf]) {
      const options = { ...featurizer.readOptions('test.conn.log'), blockBytes: 16_384, packed: true, texts: () => names };
      const copied = await textsOf(readRecords(bytes, featurizer, options));
      expect(copied.texts.uid).toHaveLength(6000);
      expect(copied.texts.uid.every((uid) => /^C\w+$/.test(uid))).toBe(true);
      for (const threads of [0, 3]) {
        const recycled: Uint8Array[] = [];
        const pool = threads === 0 ? null : parallelDecoding(threads);
        const decoding: BlockDecoding = (blocks, layout, request, recycle) => (pool ?? decodeHere)(blocks, layout, request, (block) => {
          recycled.push(block);
          recycle(block);
        });
        const batches: RecordBatch[] = [];
        const texts: Record<string, string[]> = Object.fromEntries(names.map((name) => [name, []]));
        for await (const batch of readRecords(bytes, featurizer, { ...options, textInPlace: true, decoding })) {
          for (const name of names) texts[name].push(...rowTexts(batch.texts[name]));
          batches.push(batch);
        }
        for (const name of names) expect(texts[name], `${name}, ${threads} threads`).toEqual(copied.texts[name]);
        expect(batches.length).toBeGreaterThan(5);
        expect(recycled, 'no block read into again while rows hold it').toHaveLength(0);
        const blocks = batches.map((batch) => new Set(names.map((name) => batch.texts[name].bytes.buffer)));
        expect(blocks.every((held) => held.size === 1), 'a batch\'s columns share its block').toBe(true);
        expect(new Set(blocks.map((held) => [...held][0])).size).toBe(batches.length);
        if (pool !== null) {
          for (const batch of batches) pool.giveBackBlock(batch.texts.uid.bytes);
          expect(recycled.map((block) => block.buffer)).toEqual(blocks.map((held) => [...held][0]));
        }
      }
    }
  });

  it('in a CSV, keeps a column in place, and copies, unquoted, a batch\'s values of a column with a quoted field in it', async () => {
    const fit = table({ a: Float64Array.from([1, 2, 3]), c: ['x', 'y', 'x'] });
    const featurizer = fitFeaturizer(resolveSchema(fit, {}, 'fit'), fit);
    const n = 3000;
    const note = (i: number) => (i === 2500 ? 'q,"1"' : i % 7 === 0 ? 'seven' : `n${i}`);
    const field = (text: string) => (/[",]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
    const rows = Array.from({ length: n }, (_, i) => `${i % 5},${'xy'[i % 2]},i${i},${field(note(i))}\r\n`);
    const bytes = new TextEncoder().encode(`a,c,id,note\r\n${rows.join('')}`);
    const texts: Record<string, string[]> = { id: [], note: [], c: [] };
    const held: boolean[] = [];
    for await (const batch of readRecords(bytes, featurizer, { fileName: 't.csv', texts: () => ['id', 'note', 'c'], textInPlace: true, blockBytes: 8192 })) {
      for (const name of ['id', 'note', 'c']) texts[name].push(...rowTexts(batch.texts[name]));
      const { id, note: notes, c } = batch.texts;
      expect(c.bytes.buffer, 'a categorical feature kept').toBe(id.bytes.buffer);
      held.push(notes.bytes.buffer === id.bytes.buffer);
    }
    expect(texts.id).toEqual(Array.from({ length: n }, (_, i) => `i${i}`));
    expect(texts.note).toEqual(Array.from({ length: n }, (_, i) => note(i)));
    expect(texts.c).toEqual(Array.from({ length: n }, (_, i) => 'xy'[i % 2]));
    expect(held.filter((inPlace) => !inPlace), 'the one batch with a quoted note').toHaveLength(1);
    expect(held.length).toBeGreaterThan(4);
  });

  it('takes one block a batch: a second block before the rows are taken is refused', () => {
    const layout = readLayout(new TextEncoder().encode('#separator \\x09\n#fields\tuid\tn\n'), true, { file: 'conn.log' })!;
    const decoder = new RecordDecoder(layout, { features: null, numbers: ['n'], texts: ['uid'], inPlace: true });
    const decode = (text: string, line: number) => {
      const block = new TextEncoder().encode(text);
      decoder.decode(block, 0, block.length, line);
    };
    decode('C1\t1\n', 3);
    expect(() => decode('C2\t2\n', 4)).toThrow(/one block a batch/);
    const rows = decoder.take();
    expect(rowTexts(rows.texts[0])).toEqual(['C1']);
    decode('C2\t2\n', 4);
    expect(rowTexts(decoder.take().texts[0])).toEqual(['C2']);
  });
});

describe('decoder errors name the file, line and column', () => {
  const fit = table({ a: Float64Array.from([1, 2, 3]), c: ['x', 'y', 'x'] });
  const featurizer = fitFeaturizer(resolveSchema(fit, {}, 'fit'), fit);
  const decode = (text: string, blockBytes = 1 << 20) => decodeAll(readRecords(new TextEncoder().encode(text), featurizer, { fileName: 'bad.csv', blockBytes }), null);

  it('a field that is not a number, a ragged row, an unclosed quote, a missing column', async () => {
    const cases: [string, RegExp][] = [
      ['a,c\n1,x\n2,y\nzz,x\n', /^bad\.csv, line 4, column "a": expected a number, found "zz"$/],
      ['a,c\n1,x\n2\n', /^bad\.csv, line 3: expected 2 fields \(as in the header on line 1\), found 1$/],
      ['a,c\n1,x\n2,y,z\n', /^bad\.csv, line 3: expected 2 fields \(as in the header on line 1\), found 3$/],
      ['a,c\n1,x\nzz,y,z\n', /^bad\.csv, line 3: expected 2 fields/],
      ['a,c\n1,x\n2,"y\n3,x\n', /^bad\.csv, line 3: a quoted field opened on this line is not closed$/],
      ['a,b\n1,x\n', /^bad\.csv: the fitted features need column\(s\) the data lacks: "c"$/],
      ['a,c\n', /^bad\.csv, line 1: the file has a header but no data rows$/],
    ];
    for (const [text, message] of cases) {
      for (const blockBytes of [4, 1 << 20]) {
        const error = await decode(text, blockBytes).then(() => null, (e: unknown) => e);
        expect(error, text).toBeInstanceOf(InputError);
        expect((error as Error).message).toMatch(message);
      }
    }
  });
});

describe('numbers read from bytes', () => {
  /** Decimal spellings of every shape: signs, leading zeros, long mantissas, points, exponents near and past the exact range. */
  function spellings(count: number): string[] {
    const uniform = seededRandom(12345);
    const random = (n: number) => Math.floor(uniform() * n);
    const digits = (n: number) => Array.from({ length: n }, () => String(random(10))).join('');
    const out = ['0', '-0', '+0', '0.0', '.5', '5.', '-.5', '00012', '1e5', '1E-5', '1e+5', '9007199254740993', '123456789012345', '1234567890123456',
      '0.1', '0.2', '0.30000000000000004', '1e22', '1e23', '1e-22', '1e-23', '4.9e-324', '1.7976931348623157e308', '1e309', '-1e309',
      ' 5', '5 ', '\t7', '-', '?', 'NA', 'nan', 'None', 'null', 'inf', '-Infinity', '+inf', 'INF', '---'];
    while (out.length < count) {
      const sign = ['', '-', '+'][random(3)];
      const whole = digits(random(18));
      const point = random(3) === 0 ? '' : '.';
      const fraction = point ? digits(random(18)) : '';
      const exponent = random(3) === 0 ? `${['e', 'E'][random(2)]}${['', '-', '+'][random(3)]}${digits(1 + random(3))}` : '';
      const text = `${sign}${whole}${point}${fraction}${exponent}`;
      if (/\d/.test(whole + fraction)) out.push(text);
    }
    return out;
  }

  it('equal parseNumber of the same text, to the bit, for every spelling', async () => {
    const texts = spellings(20_000);
    const read = await readTable(new TextEncoder().encode(`v,w\n${texts.map((t) => `"${t}",${t.replace(/[\t ]/g, '')}`).join('\n')}\n`), {
      fileName: 'numbers.csv',
      types: { v: 'number', w: 'number' },
    });
    const quoted = read.table.array('v') as Float64Array;
    const plain = read.table.array('w') as Float64Array;
    texts.forEach((text, i) => {
      expect(Object.is(quoted[i], parseNumber(text)), text).toBe(true);
      expect(Object.is(plain[i], parseNumber(text.replace(/[\t ]/g, ''))), text).toBe(true);
    });
  });

  it('encode into the features transform gives, for every spelling, short decimals met again and again included', async () => {
    const short = ['0', '1', '7', '0.05', '0.5', '1.00', '12.25', '1023', '1024', '99.99', '100.1', '0.001', '007', '5.', '3'];
    /** Digits around the nine read inline as a small integer, and around 2^31 and 2^32. */
    const nineDigits = ['123456789', '1234567890', '999999999', '1000000000', '12345678.9', '1234567.89', '123456789.1', '0.00000001', '0.000000001',
      '00000000.1', '000000000.1', '2147483647', '2147483648', '4294967296', '99999999.99'];
    const texts = [...spellings(5000), ...nineDigits, ...Array.from({ length: 3000 }, (_, i) => short[(i * 7) % short.length])];
    const categories = ['tcp', 'udp', 'icmp', 'gre'];
    const csv = `v,w,c\n${texts.map((t, i) => `${t.replace(/[\t ]/g, '')},"${t}",${categories[i % 4]}`).join('\r\n')}\r\n`;
    const bytes = new TextEncoder().encode(csv);
    const fit = table({ v: Float64Array.from([0, 1, 2, 3, 5, 8]), w: Float64Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), c: ['tcp', 'udp', 'tcp', 'udp', 'icmp', 'tcp'] });
    const fits = [
      { spec: {}, options: {} },
      { spec: { log1p: ['v', 'w'] }, options: { scaling: 'standard', clip: 1 } as const },
    ];
    for (const { spec, options } of fits) {
      const featurizer = fitFeaturizer(resolveSchema(fit, spec, 'fit'), fit, options);
      const read = await readTable(bytes, featurizer.readOptions('n.csv'));
      const expected = featurizer.transform(read.table);
      const decoded = await decodeAll(readRecords(bytes, featurizer, { ...featurizer.readOptions('n.csv'), blockBytes: 4096 }), null);
      expect(decoded.rows).toBe(texts.length);
      expect(sameBytes(decoded.matrix, expected.matrix)).toBe(true);
      expect(decoded.report).toEqual(expected.report);
      expect(expected.report.clipped).toBeGreaterThan(1000);
    }
  });

  it('rejects what parseNumber rejects', async () => {
    for (const text of ['0x1F', '1e', 'e5', '.', '+', '1.2.3', '5,5', '12a', '--1', '1_000']) {
      const error = await readTable(new TextEncoder().encode(`v\n1\n"${text}"\n`), { fileName: 'n.csv', types: { v: 'number' } }).then(() => null, (e: unknown) => e);
      expect(parseNumber(text), text).toBeUndefined();
      expect((error as Error).message, text).toContain(`line 3, column "v": expected a number, found "${text}"`);
    }
  });
});

describe('a matrix given back to the decoder', () => {
  it('is decoded into again, zeroed first: the rows are those of a fresh decoder', () => {
    const fit = table({ a: Float64Array.from([1, 2, 3]), c: ['x', 'y', 'x'] });
    const featurizer = fitFeaturizer(resolveSchema(fit, {}, 'fit'), fit);
    const text = new TextEncoder().encode('a,c\n1,x\n2,y\n3,x\n2.5,y\n');
    const layout = readLayout(text, true, { file: 'reuse.csv' })!;
    const request = { features: featurizer.features.toJSON(), numbers: [], texts: [] };
    const rowsAt = [layout.bodyStart, text.indexOf(10, text.indexOf(10, layout.bodyStart) + 1) + 1, text.length];
    const decode = (decoder: RecordDecoder, k: number) => {
      decoder.decode(text, rowsAt[k], rowsAt[k + 1], layout.bodyLine);
      return decoder.take();
    };
    const fresh = new RecordDecoder(layout, request, 4);
    const expected = [decode(fresh, 0).matrix, decode(fresh, 1).matrix];
    const reusing = new RecordDecoder(layout, request, 4);
    const first = decode(reusing, 0);
    const spare = new Float32Array(first.matrix.buffer).fill(7);
    reusing.reuse(first.matrix);
    const second = decode(reusing, 1);
    expect(Array.from(second.matrix)).toEqual(Array.from(expected[1]));
    const third = decode(reusing, 1);
    expect(third.matrix.buffer, 'the batch after the next take is decoded into the buffer given back').toBe(spare.buffer);
    expect(Array.from(third.matrix)).toEqual(Array.from(expected[1]));
    reusing.reuse(new Float32Array(1));
    expect(decode(reusing, 0).matrix.length, 'a buffer too small for a batch is left alone').toBe(expected[0].length);
    expect(Array.from(decode(reusing, 0).matrix)).toEqual(Array.from(expected[0]));
  });

  it('packed, is decoded into again without zeroing: every word of a packed row is written', () => {
    const fit = table({ a: Float64Array.from([1, 2, 3]), c: ['x', 'y', 'x'], d: ['p', 'q', 'q'] });
    const featurizer = fitFeaturizer(resolveSchema(fit, {}, 'fit'), fit);
    const text = new TextEncoder().encode('a,c,d\n1,x,p\n2,y,q\n,z,\n2.5,,p\n');
    const layout = readLayout(text, true, { file: 'reuse.csv' })!;
    const request = { features: featurizer.features.toJSON(), numbers: [], texts: [], packed: true };
    const words = (matrix: Float32Array) => Array.from(new Uint32Array(matrix.buffer, matrix.byteOffset, matrix.length));
    const decode = (decoder: RecordDecoder) => {
      decoder.decode(text, layout.bodyStart, text.length, layout.bodyLine);
      return decoder.take();
    };
    const expected = decode(new RecordDecoder(layout, request, 4));
    expect(expected.width).toBe(3);
    const reusing = new RecordDecoder(layout, request, 4);
    const spent = decode(reusing);
    new Uint32Array(spent.matrix.buffer).fill(0xdead_beef);
    reusing.reuse(spent.matrix);
    decode(reusing);
    const again = decode(reusing);
    expect(again.matrix.buffer).toBe(spent.matrix.buffer);
    expect(words(again.matrix)).toEqual(words(expected.matrix));
    const dense = featurizer.transform(table({ a: [1, 2, NaN, 2.5], c: ['x', 'y', 'z', ''], d: ['p', 'q', '', 'p'] })).matrix;
    expect(sameBytes(expandRows(new Uint32Array(words(again.matrix)), 4, packedLayout(featurizer.features)), dense)).toBe(true);
    expect(again.report).toEqual(featurizer.transform(table({ a: [1, 2, NaN, 2.5], c: ['x', 'y', 'z', ''], d: ['p', 'q', '', 'p'] })).report);
  });
});

describe('decoding on worker threads', () => {
  it('gives the rows of decoding on this thread, in order, whatever the number of threads', async () => {
    const train = await readDatasetFile(sample('train.conn.log'), { preset: 'zeek-conn' });
    const featurizer = fitFeaturizer(train.schema, normalRows(train.table, train.schema, train).table);
    const bytes = readFileSync(sample('test.conn.log'));
    const options = { ...featurizer.readOptions('test.conn.log'), blockBytes: 4096, texts: () => ['label'] };
    const here = await decodeAll(readRecords(bytes, featurizer, options), 'label');
    for (const threads of [3]) {
      const there = await decodeAll(readRecords(bytes, featurizer, { ...options, decoding: parallelDecoding(threads) }), 'label');
      expect(there.rows).toBe(6000);
      expect(sameBytes(there.matrix, here.matrix)).toBe(true);
      expect(there.labels).toEqual(here.labels);
      expect(there.report).toEqual(here.report);
      const packed = await decodeAll(readRecords(bytes, featurizer, { ...options, packed: true, decoding: parallelDecoding(threads) }), 'label');
      expect(packed.packed).toBe(true);
      expect(sameBytes(denseOf(packed, featurizer), here.matrix), 'packed rows decoded on threads, expanded').toBe(true);
      expect(packed.labels).toEqual(here.labels);
      expect(packed.report).toEqual(here.report);
    }
    expect(bytes.byteLength, 'the input, cut into blocks in place, was not moved to a thread').toBe(readFileSync(sample('test.conn.log')).byteLength);
  });

  it('names the line of an error in a late block, counted over the blocks before it', async () => {
    const fit = table({ a: Float64Array.from([1, 2, 3]), c: ['x', 'y', 'x'] });
    const featurizer = fitFeaturizer(resolveSchema(fit, {}, 'fit'), fit);
    const lines = ['a,c', ...Array.from({ length: 5000 }, (_, i) => `${i},${i % 2 ? 'x' : 'y'}`)];
    lines[4321] = '7,"two\nlines"';
    lines[4500] = 'oops,x';
    const text = new TextEncoder().encode(`${lines.join('\n')}\n`);
    const error = await decodeAll(readRecords(text, featurizer, { fileName: 'late.csv', blockBytes: 1000, decoding: parallelDecoding(2) }), null)
      .then(() => null, (e: unknown) => e);
    expect((error as Error).message).toBe('late.csv, line 4502, column "a": expected a number, found "oops"');
  });
});
