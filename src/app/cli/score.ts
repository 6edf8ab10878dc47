import { Scorer } from '../../model/scorer';
import { defaultThreads } from '../../pipeline/decode-pool-node';
import { readRecordsFile } from '../../pipeline/io-node';
import { regroup, type RecordBatch } from '../../pipeline/records';
import type { TransformReport } from '../../pipeline';
import { addRepairs } from '../detector';
import { repairLines, repairTotals } from '../repairs';
import { scoreBytes, scoresHeader } from '../scores-csv';
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
  /** Threads decoding text (default: the cores less one). */
  threads?: number;
}

/** Rows scored at a time: enough to keep the GPU busy, few enough to keep memory low. */
const READ_CHUNK = 8192;

/**
 * Streams records through the model: worker threads decode blocks of the input straight into
 * feature rows, the GPU scores one chunk while the one before is written, and the output is
 * written as bytes in one write per chunk. A file is written under a temporary name, renamed
 * when complete.
 */
export async function scoreCommand(flags: ScoreFlags): Promise<void> {
  const inputs = [{ flag: '--model', path: flags.model }, { flag: '--data', path: flags.data }];
  checkInputs(inputs);
  const out = openOutput(flags.out, '--out', inputs);
  const { detector, threshold } = withThreshold(await readDetector(flags.model), flags, flags.model);
  const progress = reporter(flags.quiet === true || flags.out === '-');
  if (flags.threshold !== undefined || flags.fpr !== undefined) progress.note(`threshold ${describeThreshold(threshold)}`);
  const label = detector.pipeline.schema.label;
  try {
    await withGpu(async (gpu) => {
      const scorer = Scorer.create(gpu, detector.model.spec, detector.model.params, { chunkRows: flags.chunk ?? READ_CHUNK });
      try {
        const fileName = flags.data === '-' ? 'stdin' : flags.data;
        const records = readRecordsFile(flags.data, detector.pipeline, {
          ...detector.pipeline.readOptions(fileName),
          texts: (names) => (label !== null && names.includes(label) ? [label] : []),
          threads: flags.threads ?? defaultThreads(),
        });
        let rows = 0;
        let repairs: TransformReport | null = null;
        let header = false;
        let pending: { batch: RecordBatch; first: number; read: () => Promise<Float32Array> } | null = null;
        const flush = async () => {
          if (!pending) return;
          const { batch, first, read } = pending;
          pending = null;
          const scores = await read();
          await out.write(scoreBytes(scores, detector.threshold, label === null ? null : batch.texts[label] ?? null, first));
          progress.scored(first - 1 + scores.length);
        };
        for await (const batch of regroup(records, scorer.chunk)) {
          if (!header) {
            await out.write(scoresHeader(label !== null && batch.texts[label] !== undefined));
            header = true;
          }
          repairs = addRepairs(repairs, batch.report);
          const read = await scorer.start(batch.matrix);
          await flush();
          pending = { batch, first: rows + 1, read };
          rows += batch.rows;
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
