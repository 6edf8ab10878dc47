import { Scorer } from '../../model/scorer';
import type { Chunk } from '../../pipeline';
import { readChunksFile } from '../../pipeline/io-node';
import { addRepairs, type Detector } from '../detector';
import { repairLines, repairTotals } from '../repairs';
import { scoreLines, scoresHeader } from '../scores-csv';
import { withGpu } from './gpu';
import { readDetector } from './model-file';
import { openOutput } from './output';
import { checkInputs } from './paths';
import { reporter } from './progress';
import { describeThreshold, withThreshold } from './threshold';

export interface ScoreFlags {
  model: string;
  data: string;
  out: string;
  chunk?: number;
  quiet?: boolean;
  threshold?: number;
  fpr?: number;
}

/** Rows parsed at a time: enough to keep the GPU busy, few enough to keep memory low. */
const READ_CHUNK = 8192;

/** The label column of a chunk, when the records have one. */
function labelsOf(detector: Detector, chunk: Chunk): unknown[] | null {
  const label = detector.pipeline.schema.label;
  return label !== null && chunk.table.columnNames().includes(label) ? chunk.table.array(label) as unknown[] : null;
}

/**
 * Streams records through the model: while the GPU scores one chunk, the next is parsed and
 * the one before is written. A file is written under a temporary name, renamed when complete.
 */
export async function scoreCommand(flags: ScoreFlags): Promise<void> {
  const inputs = [{ flag: '--model', path: flags.model }, { flag: '--data', path: flags.data }];
  checkInputs(inputs);
  const out = openOutput(flags.out, '--out', inputs);
  const { detector, threshold } = withThreshold(await readDetector(flags.model), flags, flags.model);
  const progress = reporter(flags.quiet === true || flags.out === '-');
  if (flags.threshold !== undefined || flags.fpr !== undefined) progress.note(`threshold ${describeThreshold(threshold)}`);
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
          await out.write(scoreLines(scores, detector.threshold, labelsOf(detector, chunk), first));
          progress.scored(first - 1 + scores.length);
        };
        for await (const chunk of chunks) {
          const features = detector.pipeline.transform(chunk.table, chunk);
          if (!header) {
            await out.write(scoresHeader(labelsOf(detector, chunk) !== null));
            header = true;
          }
          repairs = addRepairs(repairs, features.report);
          const read = await scorer.start(features.matrix);
          await flush();
          pending = { chunk, first: rows + 1, read };
          rows += features.rows;
        }
        await flush();
        if (!header) throw new Error(`${fileName}: no records to score`);
        progress.stop();
        const lines = repairs ? repairLines(repairs.columns, detector.pipeline) : [];
        if (repairs && lines.length) {
          progress.note([`${rows.toLocaleString('en-US')} rows scored; ${repairTotals(repairs)}:`, ...lines.map((l) => `  ${l}`)].join('\n'));
        }
      } finally {
        scorer.release();
      }
    });
    await out.commit();
  } finally {
    progress.stop();
  }
}
