import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { messageDecoder, type Decoded } from '../../src/app/stream/decode';
import { TEXT_COLUMNS, keptFields, recordLines, resultLine, parseResults, type WireFormat } from '../../src/app/stream/wire';
import { fitFeaturizer, normalRows, parseDataset, parseText, type Featurizer } from '../../src/pipeline';
import { ROOT } from './run';

const TRAIN = readFileSync(`${ROOT}data/sample/train.conn.log`, 'utf8');
const TEST = readFileSync(`${ROOT}data/sample/test.conn.log`, 'utf8');
const encoder = new TextEncoder();

let featurizer: Featurizer;
/** The first 300 records of the test log, as `netae score` reads and transforms them. */
let expected: { matrix: Float32Array; labels: string[]; names: string[]; text: Record<string, string[]> };
let lines: Record<WireFormat, string[]>;

beforeAll(() => {
  const train = parseDataset(TRAIN, { preset: 'zeek-conn' }, 'train.conn.log');
  const normal = normalRows(train.table, train.schema, train);
  featurizer = fitFeaturizer(train.schema, normal.table, { scaling: 'standard' });
  const read = parseText(TEST, { ...featurizer.readOptions('test.conn.log') });
  const head = read.table.slice(0, 300);
  const text = parseText(TEST, { fileName: 'test.conn.log', types: TEXT_COLUMNS }).table.slice(0, 300);
  expected = {
    matrix: featurizer.transform(head).matrix,
    labels: head.array('label') as string[],
    names: head.columnNames(),
    text: Object.fromEntries(text.columnNames().map((name) => [name, text.array(name) as string[]])),
  };
  lines = { json: recordLines(text, 'json'), zeek: recordLines(text, 'zeek'), csv: recordLines(text, 'csv'), tsv: recordLines(text, 'tsv') };
});

function decode(format: WireFormat, messages: string[], kept: string[] = []): Decoded {
  return messageDecoder({ featurizer }, { format, names: format === 'json' ? null : expected.names }, kept)(messages.map((m) => encoder.encode(m)));
}

const KEPT = ['uid', 'ts', 'id.orig_h', 'id.orig_p', 'id.resp_p'];

function groups(records: string[], size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < records.length; i += size) out.push(`${records.slice(i, i + size).join('\n')}\n`);
  return out;
}

describe('decodeMessages', () => {
  for (const format of ['json', 'zeek', 'csv', 'tsv'] as const) {
    it(`${format}: one record per message and many give the rows netae score computes`, () => {
      for (const size of [1, 7, 300]) {
        const decoded = decode(format, groups(lines[format], size));
        expect(decoded.errors.every((e) => e === null)).toBe(true);
        expect(decoded.rows).toBe(300);
        expect(decoded.matrix).toEqual(expected.matrix);
        expect(decoded.labels).toEqual(expected.labels);
        expect(Array.from(decoded.count)).toEqual(groups(lines[format], size).map((g) => g.trimEnd().split('\n').length));
      }
    });
  }

  for (const format of ['json', 'zeek', 'csv', 'tsv'] as const) {
    it(`${format}: kept columns come as their text, row by row, past a message that failed`, () => {
      const good = lines[format];
      const messages = [`${good[0]}\n${good[1]}`, format === 'json' ? '{"ts": 1' : 'not\ta\tline', good[2]];
      const decoded = decode(format, messages, KEPT);
      expect(decoded.errors.map((e) => e === null)).toEqual([true, false, true]);
      expect(decoded.kept.map((k) => k.name)).toEqual(KEPT);
      for (const { name, values } of decoded.kept) expect(values, name).toEqual(expected.text[name].slice(0, 3));
      expect(decoded.labels).toEqual(expected.labels.slice(0, 3));
    });
  }

  it('json: a kept field a record lacks is null', () => {
    const record = JSON.parse(lines.json[0]) as Record<string, unknown>;
    delete record.uid;
    const decoded = decode('json', [JSON.stringify(record), lines.json[1]], ['uid']);
    expect(decoded.kept[0].values).toEqual([null, expected.text.uid[1]]);
  });

  it('a bad record fails its own message only, with the line and field', () => {
    const good = lines.json.slice(0, 6);
    const badNumber = good[2].replace(/"duration":[^,]+/, '"duration":"slow"');
    const messages = [good[0], `${good[1]}\n${badNumber}`, good[3], '{"ts": 1', '', '[1,2]', '{"unrelated": 1}', `${good[4]}\n${good[5]}`];
    const decoded = decode('json', messages);
    expect(decoded.errors).toEqual([
      null,
      'line 2, field "duration": expected a number, found "slow"',
      null,
      expect.stringMatching(/^line 1: not JSON/),
      'no records',
      'line 1: not a JSON object',
      expect.stringMatching(/^line 1: none of the model's fields/),
      null,
    ]);
    expect(Array.from(decoded.count)).toEqual([1, 0, 1, 0, 0, 0, 0, 2]);
    expect(Array.from(decoded.first)).toEqual([0, 1, 1, 2, 2, 2, 2, 2]);
    const width = featurizer.width;
    const rowsOf = (...rows: number[]) => rows.flatMap((r) => Array.from(expected.matrix.subarray(r * width, (r + 1) * width)));
    expect(Array.from(decoded.matrix)).toEqual(rowsOf(0, 3, 4, 5));
  });

  it('json: a record nested thousands deep fails its own message, not the worker', () => {
    const good = lines.json.slice(0, 2);
    const deep = (open: string, close: string) => good[0].replace(/"proto":"[^"]*"/, `"proto":${open.repeat(50_000)}1${close.repeat(50_000)}`);
    const nestedObjects = good[0].replace(/^\{/, `{"a":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)},`);
    const decoded = decode('json', [good[0], nestedObjects, deep('[', ']'), deep('[{"a":', '}]'), good[1]]);
    expect(decoded.errors).toEqual([
      null,
      'line 1: objects nested more than 16 deep',
      expect.stringMatching(/^a value nested too deep to read \(Maximum call stack size exceeded\)$/),
      expect.stringMatching(/^a value nested too deep to read/),
      null,
    ]);
    expect(Array.from(decoded.count)).toEqual([1, 0, 0, 0, 1]);
  });

  for (const format of ['zeek', 'csv'] as const) {
    it(`${format}: a ragged line or a bad number fails its message, the joined rest is read again`, () => {
      const good = lines[format];
      const separator = format === 'csv' ? ',' : '\t';
      const ragged = good[1].split(separator).slice(0, 5).join(separator);
      const fields = good[2].split(separator);
      fields[expected.names.indexOf('orig_bytes')] = 'many';
      const messages = [good[0], `${good[3]}\n${ragged}`, fields.join(separator), `${good[4]}\n${good[5]}`];
      const decoded = decode(format, messages);
      expect(decoded.errors[0]).toBeNull();
      expect(decoded.errors[1]).toMatch(/^line 2: expected \d+ fields/);
      expect(decoded.errors[2]).toBe('line 1, field "orig_bytes": expected a number, found "many"');
      expect(decoded.errors[3]).toBeNull();
      expect(Array.from(decoded.count)).toEqual([1, 0, 0, 2]);
    });
  }

  it('csv: a message with quotes is read alone, so an open quote cannot swallow the next message', () => {
    const good = lines.csv;
    const quoted = good[1].replace(/,SF,/, ',"S,F",');
    const open = good[2].replace(/,SF,/, ',"SF,');
    const decoded = decode('csv', [good[0], quoted, open, good[3]]);
    expect(decoded.errors[0]).toBeNull();
    expect(decoded.errors[1]).toBeNull();
    expect(decoded.errors[2]).toBe('line 1: a quoted field opened on this line is not closed');
    expect(decoded.errors[3]).toBeNull();
    expect(decoded.rows).toBe(3);
  });

  it('zeek: a message may carry its own header', () => {
    const header = TEST.split('\n').filter((l) => l.startsWith('#') && !l.startsWith('#close')).join('\n');
    const decoded = decode('zeek', [lines.zeek[0], `${header}\n${lines.zeek.slice(1, 4).join('\n')}\n#close\t2023`, lines.zeek[4]]);
    expect(decoded.errors).toEqual([null, null, null]);
    expect(Array.from(decoded.count)).toEqual([1, 3, 1]);
    expect(decoded.matrix).toEqual(expected.matrix.subarray(0, 5 * featurizer.width));
  });

  it("zeek: a message's own header may join its last names with spaces, as IoT-23 writes them", () => {
    const header = TEST.split('\n').filter((l) => l.startsWith('#') && !l.startsWith('#close'))
      .map((l) => (l.startsWith('#fields') || l.startsWith('#types') ? l.replace(/\t(\S+)$/, '   $1') : l)).join('\n');
    const body = lines.zeek.slice(1, 4).map((l) => l.replace(/\t(\S+)$/, '   $1'));
    expect(body[0]).toMatch(/ {3}\S+$/);
    const decoded = decode('zeek', [lines.zeek[0], `${header}\n${body.join('\n')}\n#close\t2023`, lines.zeek[4]]);
    expect(decoded.errors).toEqual([null, null, null]);
    expect(Array.from(decoded.count)).toEqual([1, 3, 1]);
    expect(decoded.matrix).toEqual(expected.matrix.subarray(0, 5 * featurizer.width));
  });

  it('json: Zeek conventions (absent is unset, nested ids, sets, booleans, numbers as text)', () => {
    const record = JSON.parse(lines.json[3]) as Record<string, unknown>;
    const unset = { ...record };
    delete unset.service;
    delete unset.duration;
    const dashed = { ...record, service: '-', duration: '-' };
    const nested = { ...record, id: { resp_p: record['id.resp_p'] } } as Record<string, unknown>;
    delete nested['id.resp_p'];
    const texted = { ...record, orig_bytes: String(record.orig_bytes), history: ['S', 'h'] };
    const comma = { ...record, history: 'S,h' };
    const decoded = decode('json', [unset, dashed, nested, record, texted, comma].map((r) => JSON.stringify(r)));
    expect(decoded.errors.every((e) => e === null)).toBe(true);
    const row = (r: number) => Array.from(decoded.matrix.subarray(r * featurizer.width, (r + 1) * featurizer.width));
    expect(row(0)).toEqual(row(1));
    expect(row(2)).toEqual(row(3));
    expect(row(4)).toEqual(row(5));
  });
});

describe('result lines', () => {
  it('carry the sequence, the record, the score as netae score writes it, the flag and the label', () => {
    const text = [resultLine(17, 1, 0.123456789123, 0.1, 'normal'), resultLine(17, 2, 0.05, 0.1, null), resultLine(18, 1, Number.NaN, 0.1, null)].join('\n');
    expect(text).toBe('{"seq":17,"record":1,"score":0.123456789,"flag":1,"label":"normal"}\n{"seq":17,"record":2,"score":0.05,"flag":0}\n{"seq":18,"record":1,"score":null,"flag":0}');
    expect(parseResults(text)[0]).toEqual({ seq: 17, record: 1, score: 0.123456789, flag: 1, label: 'normal' });
  });

  it('carry the kept columns after them, as JSON strings, null where unset', () => {
    const kept = [{ name: 'uid', values: ['C1', null] }, { name: 'id.orig_h', values: ['10.0.0.1', 'a "b"\tc'] }];
    const text = [resultLine(5, 1, 0.5, 0.1, null, keptFields(kept, 0)), resultLine(5, 2, 0.5, 0.1, 'x', keptFields(kept, 1))].join('\n');
    expect(parseResults(text)).toEqual([
      { seq: 5, record: 1, score: 0.5, flag: 1, uid: 'C1', 'id.orig_h': '10.0.0.1' },
      { seq: 5, record: 2, score: 0.5, flag: 1, label: 'x', uid: null, 'id.orig_h': 'a "b"\tc' },
    ]);
  });
});
