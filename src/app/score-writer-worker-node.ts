import { parentPort, workerData } from 'node:worker_threads';
import { Explainer } from './explain';
import { ScoreWriter } from './score-output';
import type { WriterReply, WriterSetup, WriterTask } from './score-writers-node';

/**
 * A thread of the pool in score-writers-node.ts: writes each chunk of scored records it is sent as
 * bytes, explaining its rows where the layout asks, and sends them back with the writer's whole
 * buffer (moved, not copied) and the chunk's text bytes, spent, or the error it met. A spent
 * buffer sent with a chunk, bytes written out before, is written into again.
 */
const { layout, threshold, features, tail } = workerData as WriterSetup;
const writer = new ScoreWriter(layout, threshold, features === null ? null : new Explainer(features, tail));
const port = parentPort!;

port.on('message', ({ id, chunk, spare }: WriterTask) => {
  if (spare !== undefined) writer.reuse(spare);
  try {
    const bytes = writer.bytes(chunk);
    const spent = [...new Map(chunk.texts.map((column) => [column.bytes.buffer, column.bytes])).values()];
    port.postMessage({ id, bytes, spent } satisfies WriterReply, [bytes.buffer as ArrayBuffer, ...spent.map((b) => b.buffer as ArrayBuffer)]);
  } catch (error) {
    port.postMessage({ id, error: (error as Error).stack ?? String(error) } satisfies WriterReply);
  }
});
