import { acquireGpu, type Gpu } from '../../gpu/device';
import type { ColumnError } from '../explain';
import { exportCsv, exportNdjson } from '../flagged-export';
import { inspectFile } from './inspect';
import { scoreJob, trainJob, type JobContext, type Scored } from './jobs';
import type { Reply, Request } from './protocol';

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

/** The records last scored, their scores and explanations: what an export reads. */
let last: { scored: Scored; scores: Float32Array; explanations: Map<number, readonly ColumnError[]> } | null = null;

function keep(scored: Scored): void {
  const explanations = new Map(scored.result.explained.map((r) => [r.index, r.errors]));
  last = { scored, scores: scored.result.scores.slice(), explanations };
}

async function handle(request: Exclude<Request, { type: 'stop' }>): Promise<void> {
  const { id } = request;
  if (request.type === 'inspect') {
    post({ type: 'inspected', id, info: await inspectFile(request.file) });
    return;
  }
  if (request.type === 'export') {
    if (last === null) throw new Error('nothing has been scored yet');
    const { scored, scores, explanations } = last;
    const rows = { table: scored.records.table, rows: request.rows, scores, explanation: (row: number) => explanations.get(row) };
    post({ type: 'exported', id, text: request.format === 'csv' ? exportCsv(rows) : exportNdjson(rows) });
    return;
  }
  running = new AbortController();
  const job: JobContext = {
    signal: running.signal,
    phase: (text) => post({ type: 'phase', id, text }),
    progress: (event) => post({ type: 'progress', id, event }),
  };
  try {
    const scored = request.type === 'train'
      ? await trainJob(await gpu, request.data, request.test, request.settings, job)
      : await scoreJob(await gpu, request.model, request.modelName, request.test, job);
    keep(scored);
    const { result } = scored;
    post({ type: 'result', id, result }, [result.scores.buffer, result.model.buffer, result.contributions.shares.buffer, result.contributions.keys.buffer]);
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
