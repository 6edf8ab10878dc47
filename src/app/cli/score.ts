import type { Writable } from 'node:stream';
import { Scorer } from '../../model/scorer';
import type { Chunk } from '../../pipeline';
import { readChunksFile } from '../../pipeline/io-node';
import { addRepairs, type Detector } from '../detector';
import { withGpu } from './gpu';
import { readDetector } from './model-file';
import { openAtomic, type AtomicStream } from './output';
import { reporter } from './progress';

export interface ScoreFlags {
  model: string;
  data: string;
  out: string;
  chunk?: number;
  quiet?: boolean;
}

/** Rows parsed at a time: enough to keep the GPU busy, few enough to keep memory low. */
const READ_CHUNK = 16_384;

/** A score as CSV text: nine significant digits, enough to give back the float32 exactly. */
function formatScore(score: number): string {
  return String(Number(score.toPrecision(9)));
}

function csvField(value: unknown): string {
  const text = String(value ?? '');
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** CSV lines for one scored chunk: row number, score, flag (score ≥ threshold), label when present. */
function csvLines(detector: Detector, chunk: Chunk, firstRow: number, scores: Float32Array): string {
  const label = detector.pipeline.schema.label;
  const labels = label !== null && chunk.table.columnNames().includes(label) ? chunk.table.array(label) : null;
  const lines = new Array<string>(scores.length);
  for (let i = 0; i < scores.length; i++) {
    const flag = scores[i] >= detector.threshold ? 1 : 0;
    lines[i] = `${firstRow + i},${formatScore(scores[i])},${flag}${labels ? `,${csvField(labels[i])}` : ''}`;
  }
  return `${lines.join('\n')}\n`;
}

function write(stream: Writable, text: string): Promise<void> | void {
  if (!stream.write(text)) return new Promise((resolve) => stream.once('drain', resolve));
}

/**
 * Streams records through the model: while the GPU scores one chunk, the next is parsed and
 * the one before is written. Output goes to a temporary file renamed when complete.
 */
export async function scoreCommand(flags: ScoreFlags): Promise<void> {
  const detector = await readDetector(flags.model);
  if (!Number.isFinite(detector.threshold)) throw new Error(`${flags.model} has no threshold; train it with netae train`);
  const progress = reporter(flags.quiet === true || flags.out === '-');
  const target: AtomicStream | null = flags.out === '-' ? null : openAtomic(flags.out);
  const out: Writable = target?.stream ?? process.stdout;
  try {
    await withGpu(async (gpu) => {
      const scorer = Scorer.create(gpu, detector.model.spec, detector.model.params, { chunkRows: flags.chunk ?? READ_CHUNK });
      try {
        const fileName = flags.data === '-' ? 'stdin' : flags.data;
        const chunks = readChunksFile(flags.data, { ...detector.pipeline.readOptions(fileName), chunkRows: scorer.chunk });
        let rows = 0;
        let repairs = null;
        let header = false;
        let pending: { chunk: Chunk; first: number; read: () => Promise<Float32Array> } | null = null;
        const flush = async () => {
          if (!pending) return;
          const { chunk, first, read } = pending;
          pending = null;
          const scores = await read();
          await write(out, csvLines(detector, chunk, first, scores));
          progress.scored(first - 1 + scores.length);
        };
        for await (const chunk of chunks) {
          if (!header) {
            const labelled = detector.pipeline.schema.label !== null && chunk.table.columnNames().includes(detector.pipeline.schema.label);
            await write(out, `row,score,flag${labelled ? ',label' : ''}\n`);
            header = true;
          }
          const features = detector.pipeline.transform(chunk.table, chunk);
          repairs = addRepairs(repairs, features.report);
          const read = await scorer.start(features.matrix);
          await flush();
          pending = { chunk, first: rows + 1, read };
          rows += features.rows;
        }
        await flush();
        if (!header) throw new Error(`${fileName}: no records to score`);
        progress.stop();
        if (repairs && (repairs.repaired || repairs.unseen)) {
          progress.note(`${rows.toLocaleString('en-US')} rows scored; ${repairs.repaired} values repaired, ${repairs.unseen} unseen categories`);
        }
      } finally {
        scorer.release();
      }
    });
    await target?.commit();
  } catch (error) {
    progress.stop();
    target?.discard();
    throw error;
  }
}
