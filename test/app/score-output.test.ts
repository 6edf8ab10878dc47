import { table } from 'arquero';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { Explainer } from '../../src/app/explain';
import type { ExplainedRows } from '../../src/app/score-explanations';
import { flaggedRows, reservedNames, scoreHeader, ScoreWriter, type ScoreChunk, type ScoreLayout } from '../../src/app/score-output';
import { csvField, csvFieldBytes, formatScore } from '../../src/app/scores-csv';
import { parallelDecoding } from '../../src/pipeline/decode-pool-node';
import type { FeaturesJSON } from '../../src/pipeline/features';
import { fitFeaturizer } from '../../src/pipeline/featurizer';
import { readRecords } from '../../src/pipeline/records';
import { resolveSchema } from '../../src/pipeline/schema';
import { encodeText } from '../../src/pipeline/text-column';

const text = new TextDecoder();

/** Kept text as a TSV or quoted CSV field may hold it: commas, quotes, spaces, other scripts, control characters. */
const HOSTS = ['10.0.0.1', 'a,"b"', ' padded ', '', 'café ☕', 'tab\there', '"', 'back\\slash', 'x\u2028y'];
const scores = Float32Array.from(HOSTS, (_, i) => (i + 1) / 7);
const labels = HOSTS.map((_, i) => (i % 3 === 0 ? 'normal' : 'scan, tcp'));

/** Features bytes, dur, pkts, service=http, service=ftp, service=<unseen>; expectations offset, unscaled as they are. */
const FEATURES: FeaturesJSON = {
  kind: 'netae-features', version: 1, scaling: 'standard', clip: 1e6,
  numeric: [
    { column: 'bytes', log1p: false, fill: 0, low: -1e9, high: 1e9, offset: 123.456789, scale: 1 },
    { column: 'dur', log1p: false, fill: 0, low: -1, high: 1, offset: 1e-9, scale: 1 },
    { column: 'pkts', log1p: false, fill: 0, low: -1, high: 1, offset: 0, scale: 1 },
  ],
  categorical: [{ column: 'service', categories: ['http', 'ftp'] }],
  dropped: [],
};
const explainer = new Explainer(FEATURES);
/**
 * Each row's features and reconstruction: squared errors bytes 2² = 4, service 1² + 1² = 2 (a
 * category not seen in training, http expected), dur 1, pkts 1 (a tie with dur, ranked after it):
 * shares 0.5, 0.25, 0.125, 0.125.
 */
const ROW = [2, 1, 1, 0, 0, 1];
const RECON = [0, 0, 0, 1, 0, 0];
const SERVICES = ['odd,"svc"', 'ftp'];

/** The rows `at` (chunk rows) explained: bytes 1000 × row, dur missing, the service as read. */
function explained(at: readonly number[]): ExplainedRows {
  return {
    features: Float32Array.from(at.flatMap(() => ROW)),
    reconstruction: Float32Array.from(at.flatMap(() => RECON)),
    numbers: Float64Array.from(at.flatMap((i) => [1000 * i, Number.NaN, 7])),
    categories: [{ ...encodeText(SERVICES), codes: Int32Array.from(at, () => 0) }],
  };
}

function chunk(rows: Uint32Array | null, explain: boolean): ScoreChunk {
  const at = rows === null ? HOSTS.map((_, i) => i) : Array.from(rows);
  return { scores, firstRow: 41, texts: [encodeText(labels), encodeText(HOSTS)], rows, explained: explain ? explained(at) : null };
}

function write(layout: ScoreLayout, rows: Uint32Array | null = null): string {
  return scoreHeader(layout) + text.decode(new ScoreWriter(layout, 0.5, explainer).bytes(chunk(rows, layout.explain > 0)));
}

describe('the records netae score writes', () => {
  const csv: ScoreLayout = { format: 'csv', texts: ['label', 'host'], explain: 3 };
  const jsonl: ScoreLayout = { ...csv, format: 'jsonl' };

  it('CSV: kept text quoted where it must be, read back as it was', () => {
    const out = write({ ...csv, explain: 0 });
    const parsed = Papa.parse<string[]>(out.trimEnd(), { delimiter: ',' });
    expect(parsed.errors).toEqual([]);
    expect(parsed.data[0]).toEqual(['row', 'score', 'flag', 'label', 'host']);
    expect(parsed.data.slice(1).map((r) => r[4])).toEqual(HOSTS);
    expect(parsed.data.slice(1).map((r) => r[3])).toEqual(labels);
    expect(parsed.data.slice(1).map((r) => r.slice(0, 3))).toEqual(HOSTS.map((_, i) => [String(41 + i), formatScore(scores[i]), scores[i] >= 0.5 ? '1' : '0']));
    expect(out.split('\n')[2]).toBe(`42,${formatScore(scores[1])},0,"scan, tcp","a,""b"""`);
  });

  it('a field as bytes is the field as text, encoded, however many quotes it holds', () => {
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    for (const value of ['plain', 'a,b', 'say "hi"', '""', 'line\nfeed', 'cr\r', 'é "ß"', '']) {
      expect(text(csvFieldBytes(value, false))).toBe(csvField(value));
      expect(text(csvFieldBytes(value, true))).toBe(`,${csvField(value)}`);
    }
    const quotes = 'x"'.repeat(3_000_000);
    expect(text(csvFieldBytes(quotes, false))).toBe(`"${'x""'.repeat(3_000_000)}"`);
  });

  it('JSON lines: one object per record, parsed back equal to the CSV', () => {
    const rows = Papa.parse<Record<string, string>>(write(csv).trimEnd(), { header: true }).data;
    const objects = write(jsonl).trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(objects).toHaveLength(HOSTS.length);
    objects.forEach((o, i) => {
      const row = rows[i];
      expect(o.row).toBe(Number(row.row));
      expect(o.score).toBe(Number(row.score));
      expect(o.flag).toBe(Number(row.flag));
      expect(o.label).toBe(row.label);
      expect(o.host).toBe(row.host);
      expect(o.host).toBe(HOSTS[i]);
      const explanation = o.explanation as { feature: string; share: number; value: unknown; expected: unknown }[];
      expect(explanation.map((e) => e.feature)).toEqual([row.feature1, row.feature2, row.feature3]);
      expect(explanation.map((e) => e.share)).toEqual([row.share1, row.share2, row.share3].map(Number));
      expect(explanation[0]).toEqual({ feature: 'bytes', share: 0.5, value: 1000 * i, expected: 123.457 });
      expect(explanation[1]).toEqual({ feature: 'service=<unseen>', share: 0.25, value: 'odd,"svc"', expected: 'http' });
      expect(explanation[2]).toEqual({ feature: 'dur', share: 0.125, value: null, expected: 1e-9 });
      expect([row.value1, row.expected1, row.value2, row.expected2, row.value3, row.expected3]).toEqual([String(1000 * i), '123.457', 'odd,"svc"', 'http', '', '1e-9']);
    });
    expect(Object.keys(objects[0])).toEqual(['row', 'score', 'flag', 'label', 'host', 'explanation']);
  });

  it('only the chosen rows, numbered as in the input; explanations follow the rows written', () => {
    const rows = flaggedRows(scores, 0.5);
    expect(Array.from(rows)).toEqual(HOSTS.map((_, i) => i).filter((i) => scores[i] >= 0.5));
    const all = write(csv).trimEnd().split('\n');
    const some = write(csv, rows).trimEnd().split('\n');
    expect(some).toEqual([all[0], ...Array.from(rows, (i) => all[i + 1])]);
    expect(write(jsonl, new Uint32Array(0))).toBe('');
  });

  it('a score that is not finite is JSON null', () => {
    const layout: ScoreLayout = { format: 'jsonl', texts: [], explain: 0 };
    const out = text.decode(new ScoreWriter(layout, 0.5).bytes({ scores: Float32Array.of(Number.NaN, Infinity, 0.25), firstRow: 1, texts: [], rows: null, explained: null }));
    expect(out.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual([
      { row: 1, score: null, flag: 0 }, { row: 2, score: null, flag: 1 }, { row: 3, score: 0.25, flag: 0 },
    ]);
  });

  it('one writer, its buffer reused and grown from chunk to chunk, writes each chunk as a fresh one does', () => {
    for (const layout of [csv, jsonl]) {
      const writer = new ScoreWriter(layout, 0.5, explainer);
      const many = 20_000;
      const big: ScoreChunk = {
        scores: Float32Array.from({ length: many }, (_, i) => (i % 97) / 50),
        firstRow: 1_000_001,
        texts: [encodeText(Array.from({ length: many }, (_, i) => labels[i % labels.length])), encodeText(Array.from({ length: many }, (_, i) => HOSTS[i % HOSTS.length]))],
        rows: null,
        explained: explained(Array.from({ length: many }, (_, i) => i)),
      };
      const chunks = [chunk(null, true), big, chunk(flaggedRows(scores, 0.5), true), chunk(null, true)];
      for (const c of chunks) expect(text.decode(writer.bytes(c))).toBe(text.decode(new ScoreWriter(layout, 0.5, explainer).bytes(c)));
    }
  });

  it('one writer whose buffer moves away with its bytes writes the next chunk into a buffer given back, or a new one', () => {
    const writer = new ScoreWriter(csv, 0.5, explainer);
    const fresh = (c: ScoreChunk) => text.decode(new ScoreWriter(csv, 0.5, explainer).bytes(c));
    const moved = (bytes: Uint8Array) => structuredClone(bytes, { transfer: [bytes.buffer as ArrayBuffer] });
    const first = moved(writer.bytes(chunk(null, true)));
    expect(text.decode(writer.bytes(chunk(flaggedRows(scores, 0.5), true)))).toBe(fresh(chunk(flaggedRows(scores, 0.5), true)));
    const given = new Uint8Array(first.buffer as ArrayBuffer);
    moved(writer.bytes(chunk(null, true)));
    writer.reuse(given);
    const again = writer.bytes(chunk(null, true));
    expect(again.buffer).toBe(given.buffer);
    expect(text.decode(again)).toBe(fresh(chunk(null, true)));
  });

  it('the header and JSON keys the output takes for itself', () => {
    expect(scoreHeader({ format: 'csv', texts: [], explain: 0 })).toBe('row,score,flag\n');
    expect(scoreHeader({ format: 'csv', texts: ['label', 'a,b'], explain: 1 })).toBe('row,score,flag,label,"a,b",feature1,share1,value1,expected1\n');
    expect(scoreHeader(jsonl)).toBe('');
    expect(reservedNames('csv', 2)).toContain('expected2');
    expect(reservedNames('jsonl', 2)).toEqual(['row', 'score', 'flag', 'explanation']);
  });
});

describe('kept columns read from a file', () => {
  it('are written as their text reads, quoted or escaped as from strings, on this thread or another', async () => {
    const hosts = [...HOSTS, 'line\nbreak', 'crlf\r\nbreak', 'é'.repeat(40), `id${'9'.repeat(80)}`];
    const field = (t: string) => (/[",\n\r]/.test(t) ? `"${t.replaceAll('"', '""')}"` : t);
    const body = hosts.map((t, i) => `${i},${field(t)}\r\n`).join('');
    const invalid = Uint8Array.of(0x39, 0x2c, 0x68, 0xff, 0x0a);
    const file = new Uint8Array([...new TextEncoder().encode(`n,host\n${body}`), ...invalid]);
    const expected = [...hosts, 'h\uFFFD'];
    const fit = table({ n: Float64Array.from([1, 2, 3]) });
    const featurizer = fitFeaturizer(resolveSchema(fit, {}, 'fit'), fit);
    for (const decoding of [undefined, parallelDecoding(2)]) {
      for (const format of ['csv', 'jsonl'] as const) {
        const writer = new ScoreWriter({ format, texts: ['host'], explain: 0 }, 0.5);
        const out: number[] = [];
        let first = 1;
        for await (const batch of readRecords(file, featurizer, { fileName: 'k.csv', texts: () => ['host'], decoding, blockBytes: 64 })) {
          out.push(...writer.bytes({ scores: new Float32Array(batch.rows), firstRow: first, texts: [batch.texts.host], rows: null, explained: null }));
          first += batch.rows;
        }
        const lines = expected.map((t, i) => (format === 'csv' ? `${i + 1},0,0,${csvField(t)}` : `{"row":${i + 1},"score":0,"flag":0,"host":${JSON.stringify(t)}}`));
        expect(Buffer.from(out).toString('latin1'), format).toBe(Buffer.from(`${lines.join('\n')}\n`).toString('latin1'));
      }
    }
  });

  it('decoded in place from a Zeek log, each row its own value, are written as their text reads', async () => {
    const hosts = [...HOSTS.filter((t) => !t.includes('\t')), 'é'.repeat(40), `id${'9'.repeat(80)}`, '10.0.0.1', 'x,y'];
    const body = hosts.map((t, i) => `${i}\t${t}\n`).join('');
    const file = new Uint8Array([...new TextEncoder().encode(`#separator \\x09\n#fields\tn\thost\n${body}`), ...Uint8Array.of(0x39, 0x09, 0x68, 0xff, 0x0a)]);
    const expected = [...hosts, 'h\uFFFD'];
    const fit = table({ n: Float64Array.from([1, 2, 3]) });
    const featurizer = fitFeaturizer(resolveSchema(fit, {}, 'fit'), fit);
    for (const format of ['csv', 'jsonl'] as const) {
      const writer = new ScoreWriter({ format, texts: ['host'], explain: 0 }, 0.5);
      const out: number[] = [];
      let first = 1;
      for await (const batch of readRecords(file, featurizer, { fileName: 'k.log', texts: () => ['host'], textInPlace: true, blockBytes: 64 })) {
        const { bytes, starts, ends } = batch.texts.host;
        expect(starts.length).toBe(batch.rows);
        expect(bytes.length, 'the block, not the values copied').toBeGreaterThan(ends.reduce((n, end, v) => n + end - starts[v], 0));
        out.push(...writer.bytes({ scores: new Float32Array(batch.rows), firstRow: first, texts: [batch.texts.host], rows: null, explained: null }));
        first += batch.rows;
      }
      const lines = expected.map((t, i) => (format === 'csv' ? `${i + 1},0,0,${csvField(t)}` : `{"row":${i + 1},"score":0,"flag":0,"host":${JSON.stringify(t)}}`));
      expect(Buffer.from(out).toString('latin1'), format).toBe(Buffer.from(`${lines.join('\n')}\n`).toString('latin1'));
    }
  });
});
