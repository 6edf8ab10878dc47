import { parentPort, workerData } from 'node:worker_threads';
import { InputError } from './errors';
import { holdsBlock, RecordDecoder, type DecodeRequest } from './record-decoder';
import { textBuffers } from './text-column';
import { bodyBlock, type TextLayout } from './text-layout';
import type { WorkerReply, WorkerTask } from './decode-pool-node';

/**
 * A decoding thread of the pool in decode-pool-node.ts: decodes each block of whole rows it is sent
 * and sends back the rows (their buffers moved, not copied) with the lines the block spans, or the
 * error it met, its line counted as the rows' are (WorkerReply). The block's own buffer goes back
 * too, so spent blocks do not pile up here between this thread's collections, as the text columns
 * decoded in place or as `spent`; a spent matrix sent with a block is decoded into again (see
 * RecordDecoder's `reuse`). While a sample is drawn, the task says which line the block starts on
 * and which rows to pass over (RecordDecoder's `sampleBelow`).
 */
const { layout, request } = workerData as { layout: TextLayout; request: DecodeRequest };
const decoder = new RecordDecoder(layout, request);
const port = parentPort!;

port.on('message', ({ id, bytes, spare, sample }: WorkerTask) => {
  if (spare !== undefined) decoder.reuse(spare);
  if (sample !== undefined) decoder.sampleBelow(sample.seed, sample.below, sample.linesBelow);
  const first = sample?.line ?? 1;
  try {
    const block = bodyBlock(layout, bytes);
    const { line } = decoder.decode(block, 0, block.length, first);
    const rows = decoder.take();
    const spent = holdsBlock(rows, bytes) ? undefined : bytes;
    const buffers = new Set([...[rows.matrix, rows.lines, rows.passedLines, ...rows.numbers, bytes].map((a) => a.buffer as ArrayBuffer), ...rows.texts.flatMap(textBuffers)]);
    port.postMessage({ id, rows, lines: line - first, ...(spent === undefined ? {} : { spent }) } satisfies WorkerReply, [...buffers]);
  } catch (error) {
    decoder.take();
    const reply: WorkerReply = error instanceof InputError
      ? { id, error: { line: error.line, column: error.column, reason: error.reason } }
      : { id, error: { reason: (error as Error).stack ?? String(error) } };
    port.postMessage(reply);
  }
});
