import type { Evaluation } from '../../pipeline';
import { defaultThreads } from '../../pipeline/decode-pool-node';
import { readRecordsFile } from '../../pipeline/io-node';
import { rowTexts } from '../../pipeline/text-column';
import { inChunks } from '../../pipeline/records';
import { labelsOfValues } from '../../pipeline/schema';
import { detectorScorer, Evaluator, labelColumn, thresholdOnTrainingRows, type EvalResult, type Flagging, type Report } from '../detector';
import { formatDrivers, type CategoryDrivers } from '../explain';
import type { Gpu } from '../../gpu/device';
import { printable } from '../../pipeline/errors';
import { formatTable } from '../format';
import { withGpu } from './gpu';
import { readDetector } from './model-file';
import { openOutput, standardOutput, writeAll } from './output';
import { checkInputs } from './paths';
import { describeThreshold, withThreshold } from './threshold';

export interface EvalFlags {
  model: string;
  data: string;
  json?: string;
  threshold?: number;
  fpr?: number;
  threads?: number;
}

/** Drivers shown per category in the table (the JSON lists all the evaluation keeps). */
const DRIVERS_SHOWN = 3;

/** Rows scored at a time, as `netae score` scores them: the GPU's buffers stay small whatever the file. */
const EVAL_CHUNK = 8192;

/**
 * Scores a labelled file chunk by chunk, decoded on `threads` threads as `netae score` does, and
 * measures the detector on it. Memory holds one chunk of features at a time, and per row only its
 * score, whether it is an anomaly and its category. `model` names the model file in errors.
 */
export async function evaluateFile(gpu: Gpu, detector: Flagging, data: string, threads: number, model: string): Promise<EvalResult> {
  const { schema } = detector.featurizer;
  const fileName = data === '-' ? 'stdin' : data;
  const label = labelColumn(detector, fileName);
  const category = schema.categoryColumn;
  const scorer = detectorScorer(gpu, detector, { chunkRows: EVAL_CHUNK, source: model });
  const evaluator = new Evaluator(detector, scorer, fileName);
  try {
    const records = readRecordsFile(data, detector.featurizer, {
      ...detector.featurizer.readOptions(fileName),
      threads,
      onBlankRows: (rows) => evaluator.blankRows(rows),
      texts: (names) => {
        labelColumn(detector, fileName, names);
        return category !== null && names.includes(category) ? [label, category] : [label];
      },
    });
    let pending: { add: (scores: Float32Array) => Promise<void>; read: () => Promise<Float32Array> } | null = null;
    const finish = async () => {
      if (!pending) return;
      const { add, read } = pending;
      pending = null;
      await add(await read());
    };
    for await (const batch of inChunks(records, scorer.chunk)) {
      const read = await scorer.start(batch.matrix);
      await finish();
      const categories = category === null ? undefined : batch.texts[category];
      const labels = labelsOfValues(rowTexts(batch.texts[label]), categories === undefined ? null : rowTexts(categories), schema);
      pending = { add: (scores) => evaluator.add(batch.matrix, scores, labels, batch.report), read };
    }
    await finish();
  } finally {
    scorer.release();
  }
  return evaluator.result();
}

function metricRow(name: string, e: Evaluation) {
  return {
    threshold: name,
    value: e.threshold,
    precision: e.precision,
    recall: e.recall,
    F1: e.f1,
    accuracy: e.accuracy,
    FPR: e.fpr,
    TP: e.confusion.tp,
    FP: e.confusion.fp,
    TN: e.confusion.tn,
    FN: e.confusion.fn,
  };
}

/**
 * The evaluation as text tables for a terminal. `which` names the threshold measured ("model's",
 * or "given" for one set by --threshold or --fpr).
 */
export function formatReport(r: Report & { drivers?: readonly CategoryDrivers[] }, which = "model's"): string {
  const e = r.atThreshold;
  const rows = [metricRow(which, e), ...(r.atBestF1 ? [metricRow('best F1 (oracle)', r.atBestF1)] : [])];
  const drivers = new Map(r.drivers?.map((d) => [d.category, d]));
  const categories = e.byCategory.map((c) => {
    const d = drivers.get(c.category);
    return {
      category: c.category === 'normal' ? 'normal (false positives)' : c.category,
      rows: c.rows,
      flagged: c.flagged,
      'flagged share': c.rate,
      ...(r.drivers ? { 'drivers (mean share of error)': d ? formatDrivers({ ...d, features: d.features.slice(0, DRIVERS_SHOWN) }) : '—' } : {}),
    };
  });
  return [
    `rows ${e.rows.toLocaleString('en-US')} (${e.anomalies.toLocaleString('en-US')} anomalies, ${e.normals.toLocaleString('en-US')} normal)   ROC-AUC ${e.rocAuc?.toFixed(4) ?? '—'}   PR-AUC ${e.prAuc?.toFixed(4) ?? '—'}`,
    '',
    formatTable(rows),
    ...(r.atBestF1 ? ['the best-F1 (oracle) row picks its threshold on these very labels: an upper bound for this model, not a result a threshold set without them can promise'] : []),
    '',
    `by category, at the ${which} threshold: the share flagged is the detection rate of each attack category, and the false-positive rate of normal rows`
      + (r.drivers ? '; the drivers are the features with the largest mean share of the row score over the flagged rows' : ''),
    formatTable(categories),
    ...e.notes.map((n) => `note: ${printable(n)}`),
  ].join('\n');
}

export async function evalCommand(flags: EvalFlags): Promise<void> {
  const inputs = [{ flag: '--model', path: flags.model }, { flag: '--data', path: flags.data }];
  checkInputs(inputs);
  const json = flags.json === undefined ? null : openOutput(flags.json, '--json', inputs);
  const stdout = flags.json === '-' ? json! : standardOutput(inputs);
  const { detector, threshold } = withThreshold(await readDetector(flags.model), flags, flags.model);
  const given = flags.threshold !== undefined || flags.fpr !== undefined;
  const result = await withGpu((gpu) => evaluateFile(gpu, detector, flags.data, flags.threads ?? defaultThreads(), flags.model));
  const { label, categoryColumn } = detector.featurizer.schema;
  const text = `${JSON.stringify({ model: flags.model, data: flags.data, label, attackCategory: categoryColumn, threshold, ...result }, null, 2)}\n`;
  if (json === stdout) {
    await writeAll(stdout, text);
    return;
  }
  await json?.write(text);
  await stdout.write(`threshold ${describeThreshold(threshold, thresholdOnTrainingRows(detector.model))}\n${formatReport(result, given ? 'given' : "model's")}\n`);
  await json?.commit();
}
