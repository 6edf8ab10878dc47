import { availableParallelism } from 'node:os';
import { InputError } from './errors';
import type { DecodedRows, DecodeRequest } from './record-decoder';
import type { BlockDecoding } from './records';
import type { TextLayout } from './text-layout';
import { WorkerThread } from './worker-thread-node';

/** A block sent to a decoding thread. */
export interface WorkerTask {
  id: number;
  bytes: Uint8Array;
}

/** What a decoding thread sends back: the block's rows and the lines it spans (and the spent block), or its error. */
export type WorkerReply =
  | { id: number; rows: DecodedRows; lines: number; spent: Uint8Array; error?: undefined }
  | { id: number; error: { line?: number; column?: string; reason: string } };

/**
 * Blocks in flight beyond two per thread: decoded rows waiting while the reader of the rows waits
 * for the GPU or the output, so that a thread finds its next block when it is done.
 */
const SLACK = 2;

/** Decoded rows held in flight at most, about: wide feature rows mean fewer blocks in flight. */
const IN_FLIGHT_BYTES = 128 << 20;

/** Decoding threads by default: one per core, less the one that reads, feeds the GPU and writes. */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * Decodes blocks on `threads` worker threads (each started with its first block, so a small file
 * starts few), up to two blocks in flight per thread and SLACK more (fewer when their rows are
 * wide, so memory stays bounded), and hands the rows back in input order. Lines are counted per
 * block and made absolute here, so errors still name the file's line; an error is raised after
 * the rows of the blocks before it.
 */
export function parallelDecoding(threads: number): BlockDecoding {
  return (blocks, layout, request, recycle) => decodeOnThreads(blocks, layout, request, recycle, threads);
}

async function* decodeOnThreads(
  blocks: AsyncIterable<Uint8Array>, layout: TextLayout, request: DecodeRequest, recycle: (block: Uint8Array) => void, threads: number,
): AsyncGenerator<DecodedRows> {
  const pool: DecodingThread[] = [];
  const queue: Promise<WorkerReply>[] = [];
  const iterator = blocks[Symbol.asyncIterator]();
  let line = layout.bodyLine;
  let done = false;
  let sent = 0;
  let window = threads * 2 + SLACK;
  try {
    for (;;) {
      while (!done && queue.length < window) {
        const next = await iterator.next();
        if (next.done) {
          done = true;
          break;
        }
        const reply = (pool[sent % threads] ??= decodingThread(layout, request)).request({ id: sent, bytes: next.value }, [next.value.buffer as ArrayBuffer]);
        reply.catch(() => undefined);
        queue.push(reply);
        sent++;
      }
      const reply = await queue.shift();
      if (reply === undefined) return;
      if (reply.error !== undefined) {
        const { line: at, column, reason } = reply.error;
        if (at === undefined && column === undefined) throw new Error(reason);
        throw new InputError({ file: layout.file, line: at === undefined ? undefined : line + at - 1, column }, reason);
      }
      const { rows, lines, spent } = reply;
      recycle(spent);
      window = Math.max(2, Math.min(threads * 2 + SLACK, Math.floor(IN_FLIGHT_BYTES / Math.max(1, rows.matrix.byteLength + rows.lines.byteLength))));
      for (let i = 0; i < rows.rows; i++) rows.lines[i] += line - 1;
      line += lines;
      yield rows;
    }
  } finally {
    await iterator.return?.();
    await Promise.all(pool.map((thread) => thread.close()));
  }
}

const WORKER_JS = './decode-worker-node.js';
const WORKER_TS = './decode-worker-node.ts';

/** A decoding thread of the pool: blocks in, their rows out. */
type DecodingThread = WorkerThread<WorkerTask, WorkerReply>;

function decodingThread(layout: TextLayout, request: DecodeRequest): DecodingThread {
  return new WorkerThread(new URL(WORKER_JS, import.meta.url), new URL(WORKER_TS, import.meta.url), { layout, request }, 'a decoding thread');
}
