import { describe, expect, it } from 'vitest';
import { emptyReport } from '../../src/pipeline/features';
import { inChunks, type RecordBatch } from '../../src/pipeline/records';
import { encodeText, rowTexts, textValues } from '../../src/pipeline/text-column';

function batch(rows: number, first: number): RecordBatch {
  const width = 3;
  const report = emptyReport(rows);
  report.repaired = first;
  return {
    rows,
    lines: Int32Array.from({ length: rows }, (_, i) => 10 * (first + i) + 2),
    skippedRows: first + 1,
    width,
    packed: false,
    matrix: Float32Array.from({ length: rows * width }, (_, k) => first * width + k),
    texts: { label: { ...encodeText([`a${first}`, `b${first}`, 'unused']), codes: Int32Array.from({ length: rows }, (_, i) => i % 2) } },
    numbers: { n: Float64Array.from({ length: rows }, (_, i) => first + i) },
    report,
  };
}

async function* batches(...sizes: number[]): AsyncGenerator<RecordBatch> {
  let first = 0;
  for (const rows of sizes) {
    yield batch(rows, first);
    first += rows;
  }
}

describe('inChunks', () => {
  it('cuts batches into chunks of at most the given rows, in order, as views of the batches but for their texts', async () => {
    const source = [batch(5, 0), batch(2, 5), batch(8, 7)];
    const chunks: RecordBatch[] = [];
    for await (const chunk of inChunks((async function* () { yield* source; })(), 4)) chunks.push(chunk);
    expect(chunks.map((c) => c.rows)).toEqual([4, 1, 2, 4, 4]);
    expect(chunks.flatMap((c) => Array.from(c.numbers.n))).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(chunks.flatMap((c) => Array.from(c.lines))).toEqual(Array.from({ length: 15 }, (_, i) => 10 * i + 2));
    expect(chunks.flatMap((c) => Array.from(c.matrix))).toEqual(Array.from({ length: 45 }, (_, k) => k));
    expect(chunks[1].matrix.buffer).toBe(source[0].matrix.buffer);
    expect(chunks[2]).toBe(source[1]);
    const labels = [[5, 0], [2, 5], [8, 7]].flatMap(([rows, first]) => Array.from({ length: rows }, (_, i) => `${'ab'[i % 2]}${first}`));
    expect(chunks.flatMap((c) => rowTexts(c.texts.label))).toEqual(labels);
    const own = chunks[4].texts.label;
    const theirs = source[2].texts.label;
    for (const array of [own.codes, own.bytes, own.starts, own.ends]) expect([theirs.codes, theirs.bytes, theirs.starts, theirs.ends].map((a) => a.buffer)).not.toContain(array.buffer);
    expect(textValues(own)).toEqual(['a7', 'b7']);
  });

  it('gives each batch\'s repair report and rows passed over to its first chunk alone', async () => {
    const chunks: RecordBatch[] = [];
    for await (const chunk of inChunks(batches(9, 3), 4)) chunks.push(chunk);
    expect(chunks.map((c) => c.report.rows)).toEqual([9, 0, 0, 3]);
    expect(chunks.map((c) => c.report.repaired)).toEqual([0, 0, 0, 9]);
    expect(chunks.map((c) => c.skippedRows)).toEqual([1, 0, 0, 10]);
  });
});
