import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { InputError } from './errors';
import type { DecodedRows, DecodeRequest } from './record-decoder';
import type { BlockDecoding } from './records';
import type { TextLayout } from './text-layout';

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
        const reply = (pool[sent % threads] ??= new DecodingThread(layout, request)).decode(sent, next.value);
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

/**
 * A worker of these pools makes few objects (its rows go into typed arrays), so a small young
 * generation serves it, and 16 of them hold tens of megabytes less than at Node's default.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4 };

/**
 * Starts a worker from its entry bundled beside the calling module (`js`, in dist/node), or from
 * its source (`ts`) through tsx when run from src.
 */
export function startWorker(js: URL, ts: URL, workerData: unknown): Worker {
  if (existsSync(js)) return new Worker(js, { workerData, resourceLimits: WORKER_LIMITS });
  const source = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(ts.href)}); });`;
  return new Worker(source, { eval: true, workerData, resourceLimits: WORKER_LIMITS });
}

class DecodingThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void }>();
  private failure: Error | null = null;

  constructor(layout: TextLayout, request: DecodeRequest) {
    this.worker = startWorker(new URL(WORKER_JS, import.meta.url), new URL(WORKER_TS, import.meta.url), { layout, request });
    this.worker.on('message', (reply: WorkerReply) => {
      const pending = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      pending?.resolve(reply);
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`a decoding thread stopped (exit code ${code})`)));
  }

  decode(id: number, bytes: Uint8Array): Promise<WorkerReply> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, bytes } satisfies WorkerTask, [bytes.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.failure ??= new Error('the decoding thread was closed');
    await this.worker.terminate();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const pending of this.waiting.values()) pending.reject(this.failure);
    this.waiting.clear();
  }
}
