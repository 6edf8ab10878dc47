import type { AdapterReport } from '../../gpu/device';
import type { ExportFormat, FileInfo, JobHandlers, Reply, Request, Result, ScoringData, TrainingData, TrainSettings } from './protocol';

interface Pending {
  resolve(value: never): void;
  reject(error: Error): void;
  handlers?: JobHandlers;
}

type Job = Exclude<Request, { type: 'stop' }>;
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** The page's side of the GPU worker: one promise per job, progress through handlers. */
export class WorkerClient {
  /** Resolves with the adapter once the worker has a GPU device; rejects with the reason it has none. */
  readonly ready: Promise<AdapterReport>;
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor() {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'netae-gpu' });
    this.ready = new Promise((resolve, reject) => {
      this.worker.addEventListener('error', (event) => {
        const error = new Error(event.message || 'the GPU worker failed');
        reject(error);
        for (const job of this.pending.values()) job.reject(error);
        this.pending.clear();
      });
      this.worker.addEventListener('message', (event: MessageEvent<Reply>) => {
        const reply = event.data;
        if (reply.type === 'ready') resolve(reply.adapter);
        else if (reply.type === 'unavailable') reject(new Error(reply.reason));
        else this.dispatch(reply);
      });
    });
  }

  private dispatch(reply: Exclude<Reply, { type: 'ready' | 'unavailable' }>): void {
    const job = this.pending.get(reply.id);
    if (!job) return;
    if (reply.type === 'phase') job.handlers?.phase(reply.text);
    else if (reply.type === 'progress') job.handlers?.progress(reply.event);
    else {
      this.pending.delete(reply.id);
      if (reply.type === 'failed') job.reject(new Error(reply.message));
      else job.resolve((reply.type === 'inspected' ? reply.info : reply.type === 'exported' ? reply.text : reply.result) as never);
    }
  }

  private send<T>(request: WithoutId<Job>, handlers?: JobHandlers): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: never) => void, reject, handlers });
      this.worker.postMessage({ ...request, id } as Job);
    });
  }

  inspect(file: File): Promise<FileInfo> {
    return this.send({ type: 'inspect', file });
  }

  train(data: TrainingData, test: ScoringData | null, settings: TrainSettings, handlers: JobHandlers): Promise<Result> {
    return this.send({ type: 'train', data, test, settings }, handlers);
  }

  score(model: Uint8Array, modelName: string, test: ScoringData, handlers: JobHandlers): Promise<Result> {
    return this.send({ type: 'score', model, modelName, test }, handlers);
  }

  /** The given rows (0-based) of the last scored records, with their original fields, as CSV or NDJSON text. */
  exportRows(rows: Uint32Array, format: ExportFormat): Promise<string> {
    return this.send({ type: 'export', rows, format });
  }

  /** Stops training after the steps in flight; the job then finishes with the best epoch so far. */
  stop(): void {
    this.worker.postMessage({ type: 'stop' } satisfies Request);
  }
}
