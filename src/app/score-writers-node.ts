import type { Worker } from 'node:worker_threads';
import { startWorker } from '../pipeline/decode-pool-node';
import type { ScoreChunk, ScoreLayout } from './score-output';

/** A chunk sent to a writing thread. */
export interface WriterTask {
  id: number;
  chunk: ScoreChunk;
}

/** What a writing thread sends back: the chunk's bytes, or its error. */
export type WriterReply = { id: number; bytes: Uint8Array; error?: undefined } | { id: number; error: string };

const WORKER_JS = './score-writer-worker-node.js';
const WORKER_TS = './score-writer-worker-node.ts';

/**
 * Writes chunks of scored records as bytes (a {@link ScoreWriter} each) on `threads` worker
 * threads, taken in turn, so that the thread feeding the GPU only hands chunks over and writes
 * their bytes out. A chunk's scores are moved to the thread that writes it.
 */
export class ScoreWriters {
  private readonly threads: WritingThread[];
  private sent = 0;

  constructor(layout: ScoreLayout, threshold: number, threads: number) {
    this.threads = Array.from({ length: Math.max(1, threads) }, () => new WritingThread(layout, threshold));
  }

  /** The chunk's records as bytes, once a thread has written them. */
  bytes(chunk: ScoreChunk): Promise<Uint8Array> {
    const id = this.sent++;
    return this.threads[id % this.threads.length].write(id, chunk);
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.close()));
  }
}

class WritingThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (bytes: Uint8Array) => void; reject: (error: Error) => void }>();
  private failure: Error | null = null;

  constructor(layout: ScoreLayout, threshold: number) {
    this.worker = startWorker(new URL(WORKER_JS, import.meta.url), new URL(WORKER_TS, import.meta.url), { layout, threshold });
    this.worker.on('message', (reply: WriterReply) => {
      const pending = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (reply.error === undefined) pending?.resolve(reply.bytes);
      else pending?.reject(new Error(reply.error));
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`a writing thread stopped (exit code ${code})`)));
  }

  write(id: number, chunk: ScoreChunk): Promise<Uint8Array> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, chunk } satisfies WriterTask, [chunk.scores.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.failure ??= new Error('the writing thread was closed');
    await this.worker.terminate();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const pending of this.waiting.values()) pending.reject(this.failure);
    this.waiting.clear();
  }
}
