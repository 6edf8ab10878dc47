import { parentPort, workerData } from 'node:worker_threads';
import { ScoreWriter, type ScoreLayout } from './score-output';
import type { WriterReply, WriterTask } from './score-writers-node';

/**
 * A thread of the pool in score-writers-node.ts: writes each chunk of scored records it is sent as
 * bytes and sends them back (moved, not copied), or the error it met.
 */
const { layout, threshold } = workerData as { layout: ScoreLayout; threshold: number };
const writer = new ScoreWriter(layout, threshold);
const port = parentPort!;

port.on('message', ({ id, chunk }: WriterTask) => {
  try {
    const bytes = writer.bytes(chunk).slice();
    port.postMessage({ id, bytes } satisfies WriterReply, [bytes.buffer]);
  } catch (error) {
    port.postMessage({ id, error: (error as Error).stack ?? String(error) } satisfies WriterReply);
  }
});
