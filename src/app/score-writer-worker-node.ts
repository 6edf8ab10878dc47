import { parentPort, workerData } from 'node:worker_threads';
import { Explainer } from './explain';
import { ScoreWriter } from './score-output';
import type { WriterReply, WriterSetup, WriterTask } from './score-writers-node';

/**
 * A thread of the pool in score-writers-node.ts: writes each chunk of scored records it is sent as
 * bytes, explaining its rows where the layout asks, and sends them back (moved, not copied), or
 * the error it met.
 */
const { layout, threshold, features } = workerData as WriterSetup;
const writer = new ScoreWriter(layout, threshold, features === null ? null : new Explainer(features));
const port = parentPort!;

port.on('message', ({ id, chunk }: WriterTask) => {
  try {
    const bytes = writer.bytes(chunk).slice();
    port.postMessage({ id, bytes } satisfies WriterReply, [bytes.buffer]);
  } catch (error) {
    port.postMessage({ id, error: (error as Error).stack ?? String(error) } satisfies WriterReply);
  }
});
