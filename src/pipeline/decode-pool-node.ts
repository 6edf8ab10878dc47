import { availableParallelism } from 'node:os';
import { InputError } from './errors';
import type { DecodedRows, DecodeRequest } from './record-decoder';
import type { LineSample } from './row-sample';
import { RowRunsOn, type BlockDecoding } from './text-blocks';
import { countLines } from './text-rows';
import type { TextLayout } from './text-layout';
import { SpareBuffers, WorkerThread } from './worker-thread-node';

/**
 * A block sent to a decoding thread, and a spent matrix for the thread to decode into again; while
 * a sample is drawn, the line the block starts on and the cut of the rows it still admits.
 */
export interface WorkerTask {
  id: number;
  bytes: Uint8Array;
  spare?: Float32Array;
  sample?: { line: number; seed: number; below: number; linesBelow: number };
}

/**
 * What a decoding thread sends back: the block's rows and the lines it spans (and the spent block,
 * unless the rows hold it), or its error. Lines are counted from the block's start, from 1, or
 * where the task says the block starts.
 */
export type WorkerReply =
  | { id: number; rows: DecodedRows; lines: number; spent?: Uint8Array; error?: undefined }
  | { id: number; error: { line?: number; column?: string; reason: string } };

/**
 * Blocks in flight per thread at work: a thread that finishes one starts on the next at once, not
 * when the reader has taken the oldest rows and sent it another, so fewer threads keep pace.
 */
const BLOCKS_PER_THREAD = 2;

/** Blocks in flight beyond those of the threads at work: rows ready for the reader while the threads decode. */
const SLACK = 2;

/**
 * Spent matrices kept for the threads, at most: a reader gives one back about as often as a block
 * is sent, so a few suffice, and each holds a block's rows (4 MB of NSL-KDD).
 */
const SPARES = 4;

/**
 * Decoded rows in flight at most, about, whatever the number of threads: 14 blocks of 1 MiB of
 * NSL-KDD as dense rows (122 features), over 40 as the packed rows `netae score` decodes: two
 * blocks each for 16 decoding threads and SLACK.
 */
const IN_FLIGHT_BYTES = 48 << 20;

/** Decoding threads by default: one per core, less the one that reads, feeds the GPU and writes. */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * Threads of `threads` that can run at once: no more than the cores. A thread beyond them waits for
 * a core another one holds, so it adds no speed, only its memory (a heap and the rows in flight
 * for it).
 */
export function runnableThreads(threads: number): number {
  return Math.max(1, Math.min(threads, availableParallelism()));
}

/**
 * A {@link BlockDecoding} whose reader gives each batch's matrix back once it is done with it
 * (copied to the GPU, say): the matrix goes back to a decoding thread with a later block and is
 * decoded into again, so the reader's thread is left no spent matrices to collect. A matrix must
 * not be read once given back: its buffer moves to another thread. Likewise the block that text
 * columns decoded in place hold, once their values are written out: it is read into again.
 */
export interface ParallelDecoding extends BlockDecoding {
  giveBack(matrix: Float32Array): void;
  giveBackBlock(block: Uint8Array): void;
}

/**
 * Decodes blocks on up to `threads` worker threads, no more than the cores ({@link runnableThreads}),
 * and hands the rows back in input order. The threads at work grow one at a time, each time the
 * reader finds the next rows not yet decoded while every thread started has answered a block, so
 * a reader slower than the decoding (the GPU, the output) starts few threads and holds few rows,
 * and threads still starting up (tens of milliseconds each) start no others.
 * Blocks in flight are bounded in total: BLOCKS_PER_THREAD per thread at work and SLACK more,
 * fewer when their rows take more than IN_FLIGHT_BYTES together. Each block goes to an idle
 * thread, else to a new one while more may work, else to the least busy; its buffer is recycled
 * as soon as it comes back, unless text columns decoded in place hold it (then once given back,
 * {@link ParallelDecoding}'s `giveBackBlock`). Lines are counted per block and made absolute here, so errors still
 * name the file's line; an error is raised after the rows of the blocks before it.
 */
export function parallelDecoding(threads: number): ParallelDecoding {
  const most = runnableThreads(threads);
  const spares = new SpareBuffers(SPARES);
  let recycleBlock: (block: Uint8Array) => void = () => undefined;
  const decoding: BlockDecoding = (blocks, layout, request, recycle, sample) => {
    recycleBlock = recycle;
    return decodeOnThreads(blocks, layout, request, recycle, most, spares, sample);
  };
  return Object.assign(decoding, {
    giveBack: (matrix: Float32Array) => spares.give(matrix),
    giveBackBlock: (block: Uint8Array) => recycleBlock(block),
  });
}

/** A block sent to a thread: its reply, and whether it has come. */
interface InFlight {
  reply: Promise<WorkerReply>;
  done: boolean;
}

async function* decodeOnThreads(
  blocks: AsyncIterable<Uint8Array>, layout: TextLayout, request: DecodeRequest, recycle: (block: Uint8Array) => void, threads: number,
  spares: SpareBuffers, sample?: LineSample,
): AsyncGenerator<DecodedRows> {
  const pool: DecodingThread[] = [];
  const queue: InFlight[] = [];
  const iterator = blocks[Symbol.asyncIterator]();
  let line = layout.bodyLine;
  /** With a sample, the line the next block sent starts on: the thread needs it for the rows' keys, and counts lines from there. */
  let sentLine = layout.bodyLine;
  const shift = sample === undefined ? () => line - 1 : () => 0;
  let done = false;
  let sent = 0;
  let working = 1;
  /** Threads that have answered a block: one still starting up is no sign that more are needed. */
  const started = new Set<DecodingThread>();
  let blockBytes = 0;
  /** A row too long to end a block: raised once the rows before it are all given, at its line. */
  let runsOn: RowRunsOn | null = null;
  const window = () => Math.max(2, Math.min(BLOCKS_PER_THREAD * working + SLACK, Math.floor(IN_FLIGHT_BYTES / Math.max(1, blockBytes))));
  const send = (bytes: Uint8Array): InFlight => {
    const thread = pool.find((t) => t.pending === 0)
      ?? (pool.length < working ? pool[pool.push(decodingThread(layout, request)) - 1] : leastBusy(pool));
    const spare = spares.take();
    const moved = [bytes.buffer as ArrayBuffer, ...(spare === undefined ? [] : [spare])];
    const task: WorkerTask = { id: sent++, bytes, ...(spare === undefined ? {} : { spare: new Float32Array(spare) }) };
    if (sample !== undefined) {
      task.sample = { line: sentLine, seed: sample.seed, below: sample.cut(), linesBelow: sample.linesCut?.() ?? -Infinity };
      sentLine += countLines(bytes);
    }
    const reply = thread.request(task, moved);
    const block: InFlight = { reply, done: false };
    reply.then((r) => {
      block.done = true;
      started.add(thread);
      if (r.error === undefined && r.spent !== undefined) recycle(r.spent);
    }, () => undefined);
    return block;
  };
  try {
    for (;;) {
      while (!done && queue.length < window()) {
        let next: IteratorResult<Uint8Array>;
        try {
          next = await iterator.next();
        } catch (error) {
          if (!(error instanceof RowRunsOn)) throw error;
          runsOn = error;
          done = true;
          break;
        }
        if (next.done) done = true;
        else queue.push(send(next.value));
      }
      const head = queue.shift();
      if (head === undefined) {
        if (runsOn !== null) throw runsOn.at(line);
        return;
      }
      if (!head.done && started.size === pool.length) working = Math.min(threads, working + 1);
      const reply = await head.reply;
      if (reply.error !== undefined) {
        const { line: at, column, reason } = reply.error;
        if (at === undefined && column === undefined) throw new Error(reason);
        throw new InputError({ file: layout.file, line: at === undefined ? undefined : at + shift(), column }, reason);
      }
      const { rows, lines } = reply;
      blockBytes = footprint(rows);
      const by = shift();
      if (by !== 0) for (let i = 0; i < rows.rows; i++) rows.lines[i] += by;
      line += lines;
      yield rows;
    }
  } finally {
    await iterator.return?.();
    await Promise.all(pool.map((thread) => thread.close()));
  }
}

/** Bytes a block's rows hold (a block that text columns decoded in place share, once). */
function footprint(rows: DecodedRows): number {
  let bytes = rows.matrix.byteLength + rows.lines.byteLength;
  for (const numbers of rows.numbers) bytes += numbers.byteLength;
  for (const text of rows.texts) bytes += text.codes.byteLength + text.starts.byteLength + text.ends.byteLength;
  for (const buffer of new Set(rows.texts.map((text) => text.bytes.buffer))) bytes += buffer.byteLength;
  return bytes;
}

function leastBusy(pool: DecodingThread[]): DecodingThread {
  return pool.reduce((best, thread) => (thread.pending < best.pending ? thread : best));
}

const WORKER_JS = './decode-worker-node.js';
const WORKER_TS = './decode-worker-node.ts';

/** A decoding thread of the pool: blocks in, their rows out. */
type DecodingThread = WorkerThread<WorkerTask, WorkerReply>;

function decodingThread(layout: TextLayout, request: DecodeRequest): DecodingThread {
  return new WorkerThread(new URL(WORKER_JS, import.meta.url), new URL(WORKER_TS, import.meta.url), { layout, request }, 'a decoding thread');
}
