import { parentPort, workerData } from 'node:worker_threads';
import { InputError } from './errors';
import { holdsBlock, RecordDecoder, type DecodeRequest } from './record-decoder';
import { textBuffers } from './text-column';
import type { TextLayout } from './text-layout';
import type { WorkerReply, WorkerTask } from './decode-pool-node';

/**
 * A decoding thread of the pool in decode-pool-node.ts: decodes each block of whole rows it is sent
 * and sends back the rows (their buffers moved, not copied) with the lines the block spans, or the
 * error it met, its line counted from the block's start. The block's own buffer goes back too, so
 * spent blocks do not pile up here between this thread's collections, as the text columns decoded
 * in place or as `spent`; a spent matrix sent with a block is decoded into again (see
 * RecordDecoder's `reuse`).
 */
const { layout, request } = workerData as { layout: TextLayout; request: DecodeRequest };
const decoder = new RecordDecoder(layout, request);
const port = parentPort!;

port.on('message', ({ id, bytes, spare }: WorkerTask) => {
  if (spare !== undefined) decoder.reuse(spare);
  try {
    const { line } = decoder.decode(bytes, 0, bytes.length, 1);
    const rows = decoder.take();
    const spent = holdsBlock(rows, bytes) ? undefined : bytes;
    const buffers = new Set([...[rows.matrix, rows.lines, ...rows.numbers, bytes].map((a) => a.buffer as ArrayBuffer), ...rows.texts.flatMap(textBuffers)]);
    port.postMessage({ id, rows, lines: line - 1, ...(spent === undefined ? {} : { spent }) } satisfies WorkerReply, [...buffers]);
  } catch (error) {
    decoder.take();
    const reply: WorkerReply = error instanceof InputError
      ? { id, error: { line: error.line, column: error.column, reason: error.reason } }
      : { id, error: { reason: (error as Error).stack ?? String(error) } };
    port.postMessage(reply);
  }
});
