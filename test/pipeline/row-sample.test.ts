import { describe, expect, it } from 'vitest';
import { parallelDecoding } from '../../src/pipeline/decode-pool-node';
import { readChunks, readTable, type Chunk } from '../../src/pipeline/io';
import { RowSample, SampleEdgeFinder, sampleKey, withinEdge } from '../../src/pipeline/row-sample';

/** A CSV of `n` rows whose `id` column is the row's place (0-based) and `kind` a text. */
function rowsCsv(n: number): Uint8Array {
  const lines = ['id,kind'];
  for (let i = 0; i < n; i++) lines.push(`${i},k${i % 7}`);
  return new TextEncoder().encode(`${lines.join('\n')}\n`);
}

/** The places of the `k` rows of `n` with the smallest keys, in row order: the sample by its definition, row i on line i + `first`. */
function smallestKeys(n: number, k: number, seed: number, first = 0): number[] {
  const places = Array.from({ length: n }, (_, i) => i);
  places.sort((a, b) => sampleKey(a + first, seed) - sampleKey(b + first, seed) || a - b);
  return places.slice(0, k).sort((a, b) => a - b);
}

describe('RowSample', () => {
  it('keys are numbers in [0, 1), different per seed and per row', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => sampleKey(i, 1));
    expect(keys.every((k) => k >= 0 && k < 1)).toBe(true);
    expect(new Set(keys).size).toBe(1000);
    expect(sampleKey(5, 1)).not.toBe(sampleKey(5, 2));
    expect(sampleKey(2 ** 32 + 5, 1)).not.toBe(sampleKey(5, 1));
  });

  it('keeps each row about equally often over many seeds', () => {
    const n = 50;
    const k = 10;
    const seeds = 4000;
    const hits = new Float64Array(n);
    for (let seed = 0; seed < seeds; seed++) for (const i of smallestKeys(n, k, seed)) hits[i]++;
    const expected = (seeds * k) / n;
    // Each count is binomial(4000, 0.2): standard deviation 25.3; six of them is far outside chance.
    for (const h of hits) expect(Math.abs(h - expected)).toBeLessThan(6 * Math.sqrt(seeds * (k / n) * (1 - k / n)));
  });

  it('cuts the rows held back to the smallest keys, in their order, ties to the earlier row', () => {
    const sample = new RowSample(3, 1);
    expect(sample.keep(Float64Array.of(0.5, 0.1, 0.9), 6)).toBeNull();
    expect(Array.from(sample.keep(Float64Array.of(0.5, 0.1, 0.9, 0.3, 0.3, 0.2, 0.7), 6)!)).toEqual([1, 3, 5]);
    expect(sample.admits(0.29)).toBe(true);
    expect(sample.admits(0.3)).toBe(false);
  });

  it('keeps, of keys with many ties, the places that a stable sort by key puts first', () => {
    let s = 5;
    for (const [n, rows] of [[50, 7], [5000, 1200], [5000, 4999], [20_000, 1]]) {
      const keys = Float64Array.from({ length: n }, () => {
        s = (s * 1664525 + 1013904223) >>> 0;
        return (s % 97) / 97;
      });
      const expected = Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a] - keys[b] || a - b).slice(0, rows).sort((a, b) => a - b);
      expect(Array.from(new RowSample(rows, 1).keep(keys, rows)!)).toEqual(expected);
    }
  });
});

describe('readTable with a sample', () => {
  it('keeps the rows with the smallest keys, in file order, with their own lines, however the file is chunked', async () => {
    const n = 5000;
    for (const chunkRows of [7, 300, 16_384]) {
      const read = await readTable(rowsCsv(n), { fileName: 's.csv', chunkRows, sample: { rows: 400, seed: 9 } });
      const ids = Array.from(read.table.array('id') as Float64Array);
      expect(ids).toEqual(smallestKeys(n, 400, 9, 2));
      expect(Array.from(read.lines)).toEqual(ids.map((id) => id + 2));
      expect(read.table.array('kind')).toEqual(ids.map((id) => `k${id % 7}`));
      expect(read.sampledFrom).toBe(n);
    }
  });

  it('keeps every row, and says nothing of a sample, when the file has no more rows than the cap', async () => {
    const whole = await readTable(rowsCsv(400), { fileName: 's.csv' });
    const capped = await readTable(rowsCsv(400), { fileName: 's.csv', chunkRows: 64, sample: { rows: 400, seed: 9 } });
    expect(capped.sampledFrom).toBeUndefined();
    expect(capped.table.objects()).toEqual(whole.table.objects());
    expect(Array.from(capped.lines)).toEqual(Array.from(whole.lines));
  });

  it('draws another sample with another seed', async () => {
    const a = await readTable(rowsCsv(2000), { sample: { rows: 100, seed: 1 } });
    const b = await readTable(rowsCsv(2000), { sample: { rows: 100, seed: 2 } });
    expect(a.table.array('id')).not.toEqual(b.table.array('id'));
  });
});

/** A CSV whose `note` is quoted every fifth row and runs over two lines every tenth, with blank lines now and then. */
function quotedCsv(n: number): Uint8Array {
  const lines = ['id,note'];
  for (let i = 0; i < n; i++) {
    if (i % 37 === 4) lines.push('');
    const note = i % 10 === 0 ? `"two\nlines, ${i}"` : i % 5 === 0 ? `"quoted, ${i}"` : `plain ${i}`;
    lines.push(`${i},${note}`);
  }
  return new TextEncoder().encode(`${lines.join('\n')}\n`);
}

describe('reading with a sample that admits the keys below a cut', () => {
  it('passes over the other rows unread, counting them and the lines they span, on this thread or on others', async () => {
    const bytes = quotedCsv(3000);
    const whole = await readTable(bytes, { fileName: 'q.csv' });
    const seed = 5;
    const admitted = Array.from(whole.lines.keys()).filter((r) => sampleKey(whole.lines[r], seed) < 0.3);
    for (const reading of [{ chunkRows: 50 }, { blockBytes: 512, decoding: parallelDecoding(2) }]) {
      const chunks: Chunk[] = [];
      for await (const chunk of readChunks(bytes, { fileName: 'q.csv', ...reading, skipOutside: { seed, cut: () => 0.3 } })) chunks.push(chunk);
      expect(chunks.flatMap((c) => Array.from(c.lines))).toEqual(admitted.map((r) => whole.lines[r]));
      expect(chunks.flatMap((c) => c.table.array('note') as string[])).toEqual(admitted.map((r) => whole.table.get('note', r)));
      expect(chunks.reduce((n, c) => n + c.skippedRows, 0)).toBe(whole.table.numRows() - admitted.length);
    }
  });

  it('reads a sample of a file with quoted lines the same whether the reader passes over rows or not, and finds the edge of a larger one', async () => {
    const bytes = quotedCsv(4000);
    const whole = await readTable(bytes, { fileName: 'q.csv' });
    const byKey = Array.from(whole.lines.keys()).sort((a, b) => sampleKey(whole.lines[a], 12) - sampleKey(whole.lines[b], 12) || a - b);
    const expected = byKey.slice(0, 300).sort((a, b) => a - b);
    const last = byKey[1499];
    for (const reading of [{ chunkRows: 64 }, { blockBytes: 1024, decoding: parallelDecoding(2), decodingAbove: 0 }]) {
      const counts: number[] = [];
      const read = await readTable(bytes, { fileName: 'q.csv', ...reading, sample: { rows: 300, seed: 12, larger: 1500 }, onRows: (rows) => counts.push(rows) });
      expect(counts.every((n, i) => i === 0 || n > counts[i - 1])).toBe(true);
      expect(counts.at(-1)).toBe(4000);
      expect(Array.from(read.lines)).toEqual(expected.map((r) => whole.lines[r]));
      expect(read.table.array('note')).toEqual(expected.map((r) => whole.table.get('note', r)));
      expect(read.sampledFrom).toBe(4000);
      expect(read.largerSample).toEqual({ key: sampleKey(whole.lines[last], 12), line: whole.lines[last] });
    }
  });
});

describe('SampleEdgeFinder', () => {
  it('finds the last row of the sample of the rows given, none when it holds them all', () => {
    const lines = Int32Array.from({ length: 5000 }, (_, i) => 3 * i + 1);
    const byKey = Array.from(lines).sort((a, b) => sampleKey(a, 6) - sampleKey(b, 6));
    for (const rows of [1, 700, 2600, 4999]) {
      const finder = new SampleEdgeFinder(rows, 6);
      for (let from = 0; from < lines.length; from += 333) finder.add(lines.subarray(from, from + 333));
      expect(finder.edge()).toEqual({ key: sampleKey(byKey[rows - 1], 6), line: byKey[rows - 1] });
      expect(finder.cut()).toBeLessThanOrEqual(sampleKey(byKey[rows], 6));
    }
    const all = new SampleEdgeFinder(5000, 6);
    all.add(lines);
    expect(all.edge()).toBeNull();
  });

  it('says of a row whether the sample of its edge holds it, ties to the earlier line', () => {
    expect(withinEdge(null, 0.99, 7)).toBe(true);
    expect(withinEdge({ key: 0.5, line: 10 }, 0.49, 99)).toBe(true);
    expect(withinEdge({ key: 0.5, line: 10 }, 0.5, 10)).toBe(true);
    expect(withinEdge({ key: 0.5, line: 10 }, 0.5, 11)).toBe(false);
    expect(withinEdge({ key: 0.5, line: 10 }, 0.51, 1)).toBe(false);
  });
});
