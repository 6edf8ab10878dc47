import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * A worker of netae's pools makes few objects (its rows go into typed arrays), so a small young
 * generation serves it, and 16 of them hold tens of megabytes less than at Node's default. An old
 * generation of at most 256 MB, far above what a block's texts take (a block holds at most a
 * 64 MiB row), makes V8 grow the heap by its small-heap factor (about 1.3, against 4 for a heap of
 * gigabytes): a thread decoding a Zeek log with its text columns kept, or writing its records,
 * holds a heap of about 11 MB.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 256 };

/**
 * Starts a worker from its entry bundled beside the calling module (`js`, in dist/node), or from
 * its source (`ts`) through tsx when run from src.
 */
export function startWorker(js: URL, ts: URL, workerData: unknown): Worker {
  if (existsSync(js)) return new Worker(js, { workerData, resourceLimits: WORKER_LIMITS });
  const source = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(ts.href)}); });`;
  return new Worker(source, { eval: true, workerData, resourceLimits: WORKER_LIMITS });
}

/**
 * One worker thread that answers tasks, each tagged with an `id` that its reply carries back.
 * Once the thread fails, stops or is closed, every task waiting and every later one is refused
 * with that error.
 */
export class WorkerThread<Task extends { id: number }, Reply extends { id: number }> {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  private failure: Error | null = null;

  /** `name` says what the thread does, in the error raised when it stops ("a decoding thread"). */
  constructor(js: URL, ts: URL, workerData: unknown, private readonly name: string) {
    this.worker = startWorker(js, ts, workerData);
    this.worker.on('message', (reply: Reply) => {
      const pending = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      pending?.resolve(reply);
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`${this.name} stopped (exit code ${code})`)));
  }

  /** Tasks sent and not yet answered. */
  get pending(): number {
    return this.waiting.size;
  }

  /** Sends `task`, moving the buffers in `transfer`, and resolves with the thread's reply to it. */
  request(task: Task, transfer: readonly ArrayBuffer[]): Promise<Reply> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.set(task.id, { resolve, reject });
      this.worker.postMessage(task, [...transfer]);
    });
  }

  async close(): Promise<void> {
    this.failure ??= new Error(`${this.name} was closed`);
    await this.worker.terminate();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const pending of this.waiting.values()) pending.reject(this.failure);
    this.waiting.clear();
  }
}

/**
 * Spent buffers given back by the thread that read them, kept (at most `most`, further ones left
 * to the collector) to move to a worker thread with its next task and be written into again, so
 * that they do not pile up on the giving thread between its collections. A buffer is kept whole,
 * whatever view of it was given; a view must not be read once given back.
 */
export class SpareBuffers {
  private readonly free: ArrayBuffer[] = [];

  constructor(private readonly most: number) {}

  give(view: ArrayBufferView): void {
    const { buffer } = view;
    if (!(buffer instanceof ArrayBuffer) || buffer.byteLength === 0) return;
    if (this.free.length < this.most && !this.free.includes(buffer)) this.free.push(buffer);
  }

  take(): ArrayBuffer | undefined {
    return this.free.pop();
  }
}
