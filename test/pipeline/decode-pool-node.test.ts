import { table } from 'arquero';
import { describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { parallelDecoding, runnableThreads } from '../../src/pipeline/decode-pool-node';
import { fitFeaturizer } from '../../src/pipeline/featurizer';
import { decodeHere, readRecords } from '../../src/pipeline/records';
import type { BlockDecoding } from '../../src/pipeline/text-blocks';
import { resolveSchema } from '../../src/pipeline/schema';

/** Waits a little: a reader slower than the decoding, so that the threads would run ahead of it. */
const pause = () => new Promise((resolve) => setTimeout(resolve, 2));

/**
 * Decodes 4000 rows in blocks of 1000 bytes on `threads` threads, `read` waited for after each
 * batch; counts the blocks read, the most in flight at once (read, not yet handed back as rows),
 * and the blocks given back.
 */
async function decodeCounted(threads: number, wait: () => Promise<unknown>) {
  const fit = table({ a: Float64Array.from([1, 2, 3]), c: ['x', 'y', 'x'] });
  const featurizer = fitFeaturizer(resolveSchema(fit, {}, 'fit'), fit);
  const lines = ['a,c', ...Array.from({ length: 4000 }, (_, i) => `${i},${i % 2 ? 'x' : 'y'}`)];
  const text = new TextEncoder().encode(`${lines.join('\n')}\n`);
  let read = 0;
  let finished = 0;
  let recycled = 0;
  let most = 0;
  const decoding: BlockDecoding = (blocks, layout, request, recycle) => {
    async function* counted() {
      for await (const block of blocks) {
        read++;
        most = Math.max(most, read - finished);
        yield block;
      }
    }
    const decoded = parallelDecoding(threads)(counted(), layout, request, (block) => {
      recycled++;
      recycle(block);
    });
    return (async function* () {
      for await (const rows of decoded) {
        yield rows;
        finished++;
      }
    })();
  };
  let rows = 0;
  for await (const batch of readRecords(text, featurizer, { fileName: 'counted.csv', blockBytes: 1000, decoding })) {
    rows += batch.rows;
    await wait();
  }
  return { rows, read, most, recycled };
}

describe('the decoding pool', () => {
  it('holds at most two blocks a thread and two more, however slow the reader, and gives every block back', async () => {
    const threads = 3;
    const { rows, read, most, recycled } = await decodeCounted(threads, pause);
    expect(rows).toBe(4000);
    expect(read).toBeGreaterThan(20);
    expect(most).toBeLessThanOrEqual(2 * runnableThreads(threads) + 2);
    expect(recycled).toBe(read);
  });

  it('starts no more threads than the cores, however many are asked for and however fast the reader', async () => {
    const cores = availableParallelism();
    expect(runnableThreads(cores + 4)).toBe(cores);
    expect(runnableThreads(1)).toBe(1);
    const { rows, read, most } = await decodeCounted(cores + 4, async () => undefined);
    expect(rows).toBe(4000);
    expect(read).toBeGreaterThan(20);
    expect(most).toBeLessThanOrEqual(2 * cores + 2);
  });

  it('decodes into the matrices its reader gives back: rows as decoded here, in order, whatever the spent matrix held', async () => {
    const fit = table({ a: Float64Array.from([1, 2, 3]), c: ['x', 'y', 'x'] });
    const featurizer = fitFeaturizer(resolveSchema(fit, {}, 'fit'), fit);
    const lines = ['a,c', ...Array.from({ length: 6000 }, (_, i) => `${i % 97},${'xyz'[i % 3]}`)];
    const text = new TextEncoder().encode(`${lines.join('\n')}\n`);
    const options = { fileName: 'reused.csv', blockBytes: 2000 };
    const expected: number[] = [];
    for await (const batch of readRecords(text, featurizer, { ...options, decoding: decodeHere })) expected.push(...batch.matrix);
    const decoding = parallelDecoding(2);
    const given: ArrayBuffer[] = [];
    const got: number[] = [];
    let size = 0;
    let reused = 0;
    for await (const batch of readRecords(text, featurizer, { ...options, decoding })) {
      got.push(...batch.matrix);
      if (batch.matrix.buffer.byteLength === size) reused++;
      // Spent matrices one value longer than the threads' own, so that a batch decoded into one is known by its length.
      if (size === 0) size = batch.matrix.buffer.byteLength + Float32Array.BYTES_PER_ELEMENT;
      const spare = new Float32Array(size / Float32Array.BYTES_PER_ELEMENT).fill(Number.NaN);
      decoding.giveBack(spare);
      given.push(spare.buffer);
      await pause();
    }
    expect(got).toEqual(expected);
    expect(given.length).toBeGreaterThan(10);
    expect(given.filter((buffer) => buffer.byteLength === 0).length, 'matrices given back were moved to the threads').toBeGreaterThan(5);
    expect(reused, 'batches decoded into a matrix given back').toBeGreaterThan(5);
  });
});
