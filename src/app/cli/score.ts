import { defaultThreads, parallelDecoding, runnableThreads } from '../../pipeline/decode-pool-node';
import { readRecordsFile } from '../../pipeline/io-node';
import { packedLayout } from '../../pipeline/packed-rows';
import { inChunks, type RecordBatch } from '../../pipeline/records';
import type { TransformReport } from '../../pipeline';
import { printable } from '../../pipeline/errors';
import { addRepairs, detectorScorer, detectorTail, thresholdOnTrainingRows } from '../detector';
import { keepOf, writtenTexts } from '../keep';
import { blankRowsNote, repairLines, repairTotals } from '../repairs';
import { explainedRows, type ExplainedRows } from '../score-explanations';
import { flaggedRows, reservedNames, scoreHeader, SCORE_FORMATS, type ScoreFormat, type ScoreLayout } from '../score-output';
import { ScoreWriters } from '../score-writers-node';
import { UsageError } from './errors';
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
  /** Threads decoding text (default: {@link scoringThreads}). */
  threads?: number;
  /** Input columns copied into the output (`none` for none; default: the preset's). */
  keep?: string[];
  onlyFlagged?: boolean;
  format?: string;
  /** Features explained per row. */
  explain?: number;
}

/** Rows scored at a time: enough to keep the GPU busy, few enough to keep memory low. */
const READ_CHUNK = 8192;

/** Chunks on the GPU before the oldest one's scores are waited for: one computing, one queued behind it. */
const SCORING_DEPTH = 2;

/** Chunks being written per writing thread, at most, before the oldest one's bytes are waited for. */
const WRITE_DEPTH = 2;

/** Threads writing the output beside `threads` decoding: a quarter as many, since writing a row costs a fraction of decoding it. */
function writingThreads(threads: number): number {
  return Math.max(1, Math.ceil(threads / 4));
}

/**
 * Threads decoding by default: three fifths of the cores less one. With two blocks in flight per
 * thread they keep pace with the GPU, the writing threads (a quarter as many again) and the main
 * thread; a thread more adds its memory (about 14 MB) and no speed (the 16-core H200 machine: 9
 * threads scored as fast as 12).
 */
export function scoringThreads(): number {
  return Math.max(1, Math.floor((defaultThreads() * 3) / 5));
}

/** What a chunk of records needs besides its scores: which rows to write, and those rows to explain. */
interface Written {
  rows: Uint32Array | null;
  explained: ExplainedRows | null;
}

/**
 * Streams records through the model: worker threads decode blocks of the input straight into
 * packed feature rows (the first while the GPU starts, each batch's rows going back to them to be
 * decoded into again once they are on the GPU), the GPU expands a chunk's rows into the feature
 * matrix and scores it while an earlier one is read back, other worker threads write each scored
 * chunk's records as bytes, and those go out in input order, one write per chunk. A file is
 * written under a temporary name, renamed when complete. With `--explain K` the rows are decoded
 * dense, since the CPU reads their features: each written row's reconstruction is read back too
 * (only the flagged rows' with `--only-flagged`) and handed, with its features and values, to the
 * thread writing it, which writes the row's K columns of largest error beside it.
 */
export async function scoreCommand(flags: ScoreFlags): Promise<void> {
  const inputs = [{ flag: '--model', path: flags.model }, { flag: '--data', path: flags.data }];
  checkInputs(inputs);
  const format = (flags.format ?? 'csv') as ScoreFormat;
  if (!SCORE_FORMATS.includes(format)) throw new UsageError(`unknown --format "${flags.format}"; expected ${SCORE_FORMATS.join(' or ')}`);
  const out = openOutput(flags.out, '--out', inputs);
  const { detector, threshold } = withThreshold(await readDetector(flags.model), flags, flags.model);
  const features = detector.featurizer.features;
  const explain = flags.explain === undefined ? 0 : Math.min(flags.explain, features.columns.length);
  const keep = usage(() => keepOf(flags.keep, detector.featurizer.schema, reservedNames(format, explain)));
  const progress = reporter(flags.quiet === true, process.stderr, !(flags.out === '-' && process.stdout.isTTY === true));
  if (flags.threshold !== undefined || flags.fpr !== undefined) progress.note(`threshold ${describeThreshold(threshold, thresholdOnTrainingRows(detector.model))}`);
  const numeric = features.numeric.map((f) => f.column);
  const categorical = features.categorical.map((f) => f.column);
  const fileName = flags.data === '-' ? 'stdin' : flags.data;
  let layout: ScoreLayout | null = null;
  /** The columns read as text: the layout's, then (to explain) the categorical features'. */
  const texts = (names: readonly string[]): string[] => {
    layout = { format, texts: writtenTexts(keep, detector.featurizer, names, fileName), explain };
    return [...new Set([...layout.texts, ...(explain === 0 ? [] : categorical)])];
  };
  const threads = runnableThreads(flags.threads ?? scoringThreads());
  const decoding = parallelDecoding(threads);
  /**
   * Packed rows are fewer bytes to copy to the GPU (NSL-KDD: 156 a row, not 312); explaining reads
   * the dense features on the CPU. The texts, only copied to the output unless explaining, stay
   * where they lie in the blocks read.
   */
  const packed = explain === 0;
  let blankRows = 0;
  const records = readRecordsFile(flags.data, detector.featurizer, {
    ...detector.featurizer.readOptions(fileName),
    texts,
    ...(explain === 0 ? {} : { numbers: () => numeric }),
    decoding,
    packed,
    textInPlace: explain === 0,
    onBlankRows: (rows) => (blankRows += rows),
  });
  // The first rows are read and decoded while the GPU starts (each takes a while), their error, if
  // any, raised when the rows are taken.
  const firstRows = records.next();
  firstRows.catch(() => undefined);
  try {
    await withGpu(async (gpu) => {
      const scorer = detectorScorer(gpu, detector, {
        chunkRows: flags.chunk ?? READ_CHUNK,
        source: flags.model,
        ...(packed ? { packed: packedLayout(features) } : {}),
      });
      let writers = null as ScoreWriters | null;
      try {
        const written = async (batch: RecordBatch, scores: Float32Array): Promise<Written> => {
          const rows = flags.onlyFlagged ? flaggedRows(scores, detector.threshold) : null;
          if (explain === 0) return { rows, explained: null };
          return { rows, explained: await explainedRows(batch, rows, numeric, categorical, (matrix) => scorer.reconstruct(matrix)) };
        };
        let rows = 0;
        let repairs: TransformReport | null = null;
        let header = false;
        const pending: { batch: RecordBatch; first: number; read: () => Promise<Float32Array> }[] = [];
        const writing: Promise<Uint8Array>[] = [];
        /**
         * Writes out the bytes of the chunks handed to the writing threads, oldest first, until at
         * most `keep` are left; each chunk's buffer goes back to the threads once the output has
         * taken its bytes (a write resolves when the stream is done with them).
         */
        const drain = async (keep: number) => {
          while (writing.length > keep) {
            const bytes = await writing.shift()!;
            await out.write(bytes);
            writers!.giveBack(bytes);
          }
        };
        const flush = async () => {
          const oldest = pending.shift();
          if (oldest === undefined) return;
          const { batch, first, read } = oldest;
          const scores = await read();
          const chosen = await written(batch, scores);
          // The batch's matrix, on the GPU and explained, goes back to the decoding threads once no
          // chunk of it is left: a batch's chunks come one after another, and until the input ends a
          // later chunk is always pending here.
          if (!pending.some((later) => later.batch.matrix.buffer === batch.matrix.buffer)) decoding.giveBack(batch.matrix);
          const columns = layout!.texts.map((name) => batch.texts[name]);
          writers ??= new ScoreWriters({ layout: layout!, threshold: detector.threshold, features: explain === 0 ? null : features.toJSON(), tail: detectorTail(detector) }, writingThreads(threads), (bytes) => decoding.giveBackBlock(bytes));
          const scored = first - 1 + scores.length;
          const bytes = writers.bytes({ scores, firstRow: first, texts: columns, ...chosen });
          bytes.catch(() => undefined);
          writing.push(bytes);
          await drain(WRITE_DEPTH * writingThreads(threads));
          progress.rows('scored', scored);
        };
        for await (const batch of inChunks(resumed(firstRows, records), scorer.chunk)) {
          if (!header) {
            await out.write(scoreHeader(layout!));
            header = true;
          }
          repairs = addRepairs(repairs, batch.report);
          pending.push({ batch, first: rows + 1, read: await scorer.start(batch.matrix, batch.packed) });
          rows += batch.rows;
          if (pending.length > SCORING_DEPTH) await flush();
        }
        while (pending.length > 0) await flush();
        await drain(0);
        if (!header) throw new Error(`${fileName}: no records to score`);
        progress.stop();
        const lines = repairs ? repairLines(repairs.columns, detector.featurizer) : [];
        const scored = `${rows.toLocaleString('en-US')} rows scored; ${repairTotals(repairs ?? { repaired: 0, clipped: 0, unseen: 0 })}${blankRows > 0 ? `; ${blankRowsNote(blankRows)}` : ''}`;
        progress.note(lines.length ? [`${scored}:`, ...lines.map((l) => `  ${printable(l)}`)].join('\n') : scored);
      } finally {
        scorer.release();
        await writers?.close();
      }
    });
    await out.commit();
  } finally {
    // Where the GPU failed to start, the decoding stops once the first rows come, not waited for:
    // standard input may hold them back.
    records.return(undefined).catch(() => undefined);
    progress.stop();
  }
}

/** What an iterator gives from a `next()` already asked for (`first`) on; the iterator is closed when this one is. */
async function* resumed<T>(first: Promise<IteratorResult<T>>, rest: AsyncIterator<T>): AsyncGenerator<T> {
  try {
    for (let next = await first; next.done !== true; next = await rest.next()) yield next.value;
  } finally {
    await rest.return?.(undefined);
  }
}

/** The value of `make`, its Error a usage error (exit 2). */
function usage<T>(make: () => T): T {
  try {
    return make();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
