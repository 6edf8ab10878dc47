import { readFileSync, statSync } from 'node:fs';
import { acquireGpu } from '../src/gpu/device';
import { decodeModel } from '../src/model/model';
import { detectorOf, detectorScorer } from '../src/app/detector';
import { parallelDecoding, type ParallelDecoding } from '../src/pipeline/decode-pool-node';
import { readRecordsFile } from '../src/pipeline/io-node';
import { packedLayout } from '../src/pipeline/packed-rows';
import { inChunks, type RecordBatch } from '../src/pipeline/records';
import { keepOf, writtenTexts } from '../src/app/keep';

/** The parts of `netae score` the end-to-end benchmark times apart, each in a process of its own. */
export const SCORE_PARTS = ['decode', 'decode+score', 'kernel', 'kernel+expand'] as const;
export type ScorePart = (typeof SCORE_PARTS)[number];

/**
 * What one part measured: rows, seconds, the input's bytes, and the CPU time over those seconds of
 * every thread of the process (decoding threads and a CPU adapter's own threads included).
 */
export interface PartResult {
  rows: number;
  seconds: number;
  bytes: number;
  cpuSeconds?: number;
}

/** CPU seconds, user and system, of every thread of this process since `start`. */
function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** Rows scored at a time, as `netae score` does by default. */
const CHUNK = 8192;

/**
 * Runs one part on `data` with the model in `modelFile`:
 * - `decode`: the file into packed feature rows on `threads` threads, with the text columns the
 *   command decodes by default (the label, the columns it keeps), cut into GPU chunks, nothing more;
 * - `decode+score`: the same, each chunk expanded and scored on the GPU and its scores read back, no
 *   output written; in both, each batch's rows go back to the decoding threads once done with, as in the command;
 * - `kernel`: the scoring kernels alone, on feature rows already in memory (the file's first
 *   chunks, scored again and again to as many rows as the file holds), pipelined as the command does;
 * - `kernel+expand`: the same on the packed rows the command sends, each chunk expanded on the GPU
 *   before it is scored: the expand kernel's cost, and the smaller copy's saving, against `kernel`.
 */
export async function runScorePart(part: ScorePart, modelFile: string, data: string, threads: number): Promise<PartResult> {
  const detector = detectorOf(decodeModel(readFileSync(modelFile), { source: modelFile }), modelFile);
  const bytes = statSync(data).size;
  const decoding = parallelDecoding(threads);
  const keep = keepOf(undefined, detector.featurizer.schema, []);
  /** The text columns `netae score` decodes by default: the label, if the file has it, and the columns it keeps. */
  const texts = (names: readonly string[]) => writtenTexts(keep, detector.featurizer, names, data);
  const records = (packed: boolean) => inChunks(readRecordsFile(data, detector.featurizer, { ...detector.featurizer.readOptions(data), decoding, packed, texts, textInPlace: true }), CHUNK);
  if (part === 'decode') {
    const start = performance.now();
    const cpu = process.cpuUsage();
    const spent = spentMatrices(decoding);
    let rows = 0;
    for await (const batch of records(true)) {
      spent(batch);
      rows += batch.rows;
    }
    return { rows, seconds: (performance.now() - start) / 1000, bytes, cpuSeconds: cpuSince(cpu) };
  }
  const gpu = await acquireGpu();
  const scorer = detectorScorer(gpu, detector, { chunkRows: CHUNK, packed: packedLayout(detector.featurizer.features) });
  try {
    if (part === 'decode+score') {
      const start = performance.now();
      const cpu = process.cpuUsage();
      let rows = 0;
      let pending: (() => Promise<Float32Array>) | null = null;
      const spent = spentMatrices(decoding);
      for await (const batch of records(true)) {
        spent(batch);
        const read = await scorer.start(batch.matrix, batch.packed);
        if (pending) await pending();
        pending = read;
        rows += batch.rows;
      }
      if (pending) await pending();
      return { rows, seconds: (performance.now() - start) / 1000, bytes, cpuSeconds: cpuSince(cpu) };
    }
    const packed = part === 'kernel+expand';
    const chunks: Float32Array[] = [];
    const width = packed ? packedLayout(detector.featurizer.features).words : detector.featurizer.width;
    let filling = new Float32Array(CHUNK * width);
    let filled = 0;
    let total = 0;
    for await (const batch of records(packed)) {
      total += batch.rows;
      for (let from = 0; from < batch.rows && chunks.length < 16;) {
        const n = Math.min(CHUNK - filled, batch.rows - from);
        filling.set(batch.matrix.subarray(from * width, (from + n) * width), filled * width);
        filled += n;
        from += n;
        if (filled === CHUNK) {
          chunks.push(filling);
          filling = new Float32Array(CHUNK * width);
          filled = 0;
        }
      }
    }
    if (chunks.length === 0) throw new Error(`${data}: fewer than ${CHUNK} rows, too few to time the kernels`);
    await (await scorer.start(chunks[0], packed))();
    const start = performance.now();
    const cpu = process.cpuUsage();
    let rows = 0;
    let pending: (() => Promise<Float32Array>) | null = null;
    for (let k = 0; rows < total; k++) {
      const read = await scorer.start(chunks[k % chunks.length], packed);
      if (pending) await pending();
      pending = read;
      rows += CHUNK;
    }
    if (pending) await pending();
    return { rows, seconds: (performance.now() - start) / 1000, bytes, cpuSeconds: cpuSince(cpu) };
  } finally {
    scorer.release();
    gpu.release();
  }
}

/**
 * Takes each chunk, a view of its batch, and gives the batch's matrix, and the block its text
 * columns hold, back to the decoding threads when a chunk of the next batch comes: the chunks
 * before were all copied to the GPU.
 */
function spentMatrices(decoding: ParallelDecoding): (batch: RecordBatch) => void {
  let last: RecordBatch | null = null;
  return (batch) => {
    if (last !== null && last.matrix.buffer !== batch.matrix.buffer) {
      decoding.giveBack(last.matrix);
      for (const column of Object.values(last.texts)) decoding.giveBackBlock(column.bytes);
    }
    last = batch;
  };
}
