import type { FeaturesJSON } from '../pipeline/features';
import { textBuffers } from '../pipeline/text-column';
import { SpareBuffers, WorkerThread } from '../pipeline/worker-thread-node';
import { explainedBuffers } from './score-explanations';
import type { ScoreChunk, ScoreLayout } from './score-output';

/** A chunk sent to a writing thread, and a spent buffer of bytes for the thread to write into again. */
export interface WriterTask {
  id: number;
  chunk: ScoreChunk;
  spare?: Uint8Array;
}

/** What each writing thread is started with: the fitted features explain rows where the layout asks. */
export interface WriterSetup {
  layout: ScoreLayout;
  threshold: number;
  features: FeaturesJSON | null;
  /** τ of the model's row score (Explainer's `tail`). */
  tail: number;
}

/** What a writing thread sends back: the chunk's bytes and its text columns' bytes, spent, or its error. */
export type WriterReply = { id: number; bytes: Uint8Array; spent: Uint8Array[]; error?: undefined } | { id: number; error: string };

/** Spent buffers kept for the threads, at most: one is given back about as often as a chunk is sent. */
const SPARES = 4;

const WORKER_JS = './score-writer-worker-node.js';
const WORKER_TS = './score-writer-worker-node.ts';

/**
 * Writes chunks of scored records as bytes (a {@link ScoreWriter} each) on at most `threads`
 * worker threads, so that the thread feeding the GPU only hands chunks over and writes their
 * bytes out. A chunk goes to an idle thread, else to a new one while fewer than `threads` run,
 * else to the least busy: output that keeps up with the GPU starts one thread. A chunk's scores,
 * text columns and the rows it explains are moved to the thread that writes it, which explains
 * them: the chunk must own them, as the chunks of records.ts's `inChunks` do. A chunk's bytes,
 * once written out, may be given back ({@link giveBack}) to be written into again by a thread,
 * so that spent buffers do not pile up on the calling thread between its collections; the bytes
 * of a chunk's text columns come back once written, to `spentTexts` (blocks of input that columns
 * decoded in place held, to be read into again).
 */
export class ScoreWriters {
  private readonly threads: WorkerThread<WriterTask, WriterReply>[] = [];
  private sent = 0;
  private readonly spares = new SpareBuffers(SPARES);

  constructor(
    private readonly setup: WriterSetup, private readonly most: number, private readonly spentTexts: (bytes: Uint8Array) => void = () => undefined,
  ) {}

  /** The chunk's records as bytes, once a thread has written them. */
  async bytes(chunk: ScoreChunk): Promise<Uint8Array> {
    const id = this.sent++;
    const moved = new Set([
      chunk.scores.buffer as ArrayBuffer, ...chunk.texts.flatMap(textBuffers), ...(chunk.explained === null ? [] : explainedBuffers(chunk.explained)),
    ]);
    const spare = this.spares.take();
    if (spare !== undefined) moved.add(spare);
    const reply = await this.thread().request({ id, chunk, ...(spare === undefined ? {} : { spare: new Uint8Array(spare) }) }, [...moved]);
    if (reply.error !== undefined) throw new Error(reply.error);
    for (const bytes of reply.spent) this.spentTexts(bytes);
    return reply.bytes;
  }

  /**
   * Gives back the bytes of a chunk written out: their buffer goes to a thread with a later chunk.
   * The bytes must not be read once given back.
   */
  giveBack(bytes: Uint8Array): void {
    this.spares.give(bytes);
  }

  /** Threads started so far. */
  get started(): number {
    return this.threads.length;
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.close()));
  }

  private thread(): WorkerThread<WriterTask, WriterReply> {
    const idle = this.threads.find((thread) => thread.pending === 0);
    if (idle !== undefined) return idle;
    if (this.threads.length < Math.max(1, this.most)) {
      const started = new WorkerThread<WriterTask, WriterReply>(
        new URL(WORKER_JS, import.meta.url), new URL(WORKER_TS, import.meta.url), this.setup, 'a writing thread',
      );
      this.threads.push(started);
      return started;
    }
    return this.threads.reduce((least, thread) => (thread.pending < least.pending ? thread : least));
  }
}
