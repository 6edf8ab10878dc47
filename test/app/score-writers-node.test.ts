import { afterEach, describe, expect, it } from 'vitest';
import { ScoreWriter, type ScoreChunk, type ScoreLayout } from '../../src/app/score-output';
import { ScoreWriters } from '../../src/app/score-writers-node';
import { encodeText } from '../../src/pipeline/text-column';

const layout: ScoreLayout = { format: 'csv', texts: ['host'], explain: 0 };
const THRESHOLD = 0.5;

/** A chunk of `n` records from row `first`: scores rising through the threshold, one host each. */
function chunk(first: number, n: number): ScoreChunk {
  const scores = Float32Array.from({ length: n }, (_, i) => (i + first) / (n + first));
  return { scores, firstRow: first, texts: [encodeText(Array.from({ length: n }, (_, i) => `10.0.0.${(first + i) % 256}`))], rows: null, explained: null };
}

const text = new TextDecoder();
let writers: ScoreWriters | null = null;
afterEach(async () => {
  await writers?.close();
  writers = null;
});

describe('the writing threads of netae score', () => {
  it('write each chunk as one writer on the calling thread would', async () => {
    writers = new ScoreWriters({ layout, threshold: THRESHOLD, features: null, tail: 0 }, 2);
    const firsts = [1, 1001, 2001, 3001];
    const bytes = await Promise.all(firsts.map((first) => writers!.bytes(chunk(first, 1000))));
    const here = new ScoreWriter(layout, THRESHOLD, null);
    expect(bytes.map((b) => text.decode(b))).toEqual(firsts.map((first) => text.decode(here.bytes(chunk(first, 1000)))));
  });

  it('write into the buffers given back: every chunk as here, in order, with several threads and small chunks', async () => {
    writers = new ScoreWriters({ layout, threshold: THRESHOLD, features: null, tail: 0 }, 3);
    const here = new ScoreWriter(layout, THRESHOLD, null);
    const firsts = Array.from({ length: 40 }, (_, k) => 1 + k * 37);
    const expected = firsts.map((first) => text.decode(here.bytes(chunk(first, 37))));
    const written: string[] = [];
    const given: Uint8Array[] = [];
    const inFlight: Promise<Uint8Array>[] = [];
    for (const first of firsts) {
      inFlight.push(writers.bytes(chunk(first, 37)));
      if (inFlight.length < 4) continue;
      const bytes = await inFlight.shift()!;
      written.push(text.decode(bytes));
      writers.giveBack(bytes);
      given.push(bytes);
    }
    for (const bytes of await Promise.all(inFlight)) written.push(text.decode(bytes));
    expect(writers.started).toBeGreaterThan(1);
    expect(written).toEqual(expected);
    expect(given.filter((bytes) => bytes.buffer.byteLength === 0).length, 'buffers given back were moved to the threads').toBeGreaterThan(20);
  });

  it('give back each chunk\'s text bytes once written, one buffer once however many columns share it', async () => {
    const shared = new TextEncoder().encode('C1\t10.0.0.1\nC2\t10.0.0.2\n');
    const column = (starts: number[], ends: number[]) => ({ codes: Int32Array.of(0, 1), bytes: shared, starts: Int32Array.from(starts), ends: Int32Array.from(ends) });
    const spent: Uint8Array[] = [];
    writers = new ScoreWriters({ layout: { format: 'csv', texts: ['uid', 'host'], explain: 0 }, threshold: THRESHOLD, features: null, tail: 0 }, 1, (bytes) => spent.push(bytes));
    const bytes = await writers.bytes({ scores: Float32Array.of(0.25, 0.75), firstRow: 1, texts: [column([0, 12], [2, 14]), column([3, 15], [11, 23])], rows: null, explained: null });
    expect(text.decode(bytes)).toBe('1,0.25,0,C1,10.0.0.1\n2,0.75,1,C2,10.0.0.2\n');
    expect(shared.byteLength, 'moved to the writing thread').toBe(0);
    expect(spent).toHaveLength(1);
    expect(text.decode(spent[0])).toBe('C1\t10.0.0.1\nC2\t10.0.0.2\n');
  });

  it('start a thread only while every started one is busy, and no more than asked', async () => {
    writers = new ScoreWriters({ layout, threshold: THRESHOLD, features: null, tail: 0 }, 3);
    for (const first of [1, 101, 201]) await writers.bytes(chunk(first, 100));
    expect(writers.started).toBe(1);
    await Promise.all([1, 101, 201, 301, 401, 501].map((first) => writers!.bytes(chunk(first, 100))));
    expect(writers.started).toBe(3);
  });
});
