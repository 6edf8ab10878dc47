import { acquireGpu, type Gpu } from '../../gpu/device';
import { inspectFile } from './inspect';
import { scoreJob, trainJob, type JobContext } from './jobs';
import type { Reply, Request, Result } from './protocol';

function post(reply: Reply, transfer: Transferable[] = []): void {
  self.postMessage(reply, { transfer });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const gpu: Promise<Gpu> = acquireGpu();
gpu.then(
  (g) => post({ type: 'ready', adapter: g.adapter }),
  (error: unknown) => post({ type: 'unavailable', reason: messageOf(error) }),
);

let running: AbortController | null = null;

async function handle(request: Exclude<Request, { type: 'stop' }>): Promise<void> {
  const { id } = request;
  if (request.type === 'inspect') {
    post({ type: 'inspected', id, info: await inspectFile(request.file) });
    return;
  }
  running = new AbortController();
  const job: JobContext = {
    signal: running.signal,
    phase: (text) => post({ type: 'phase', id, text }),
    progress: (event) => post({ type: 'progress', id, event }),
  };
  try {
    const result: Result = request.type === 'train'
      ? await trainJob(await gpu, request.data, request.test, request.settings, job)
      : await scoreJob(await gpu, request.model, request.modelName, request.test, job);
    post({ type: 'result', id, result }, [result.scores.buffer, result.model.buffer]);
  } finally {
    running = null;
  }
}

self.addEventListener('message', (event: MessageEvent<Request>) => {
  const request = event.data;
  if (request.type === 'stop') {
    running?.abort();
    return;
  }
  handle(request).catch((error: unknown) => post({ type: 'failed', id: request.id, message: messageOf(error) }));
});
