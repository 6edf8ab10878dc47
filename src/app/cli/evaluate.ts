import { Scorer } from '../../model/scorer';
import type { Evaluation, Labels, ReadResult, TransformReport } from '../../pipeline';
import { quote } from '../../pipeline/errors';
import { defaultThreads } from '../../pipeline/decode-pool-node';
import { readRecordsFile } from '../../pipeline/io-node';
import type { TextColumn } from '../../pipeline/record-decoder';
import { regroup } from '../../pipeline/records';
import { labelsOfValues } from '../../pipeline/schema';
import { addRepairs, report, scoreRows, type Detector, type Report } from '../detector';
import { tallyFlagged } from '../drivers';
import { DriverTally, Explainer, formatDrivers, type CategoryDrivers } from '../explain';
import type { Gpu } from '../../gpu/device';
import { withGpu } from './gpu';
import { readDetector } from './model-file';
import { openOutput, standardOutput, writeAll } from './output';
import { checkInputs } from './paths';
import { formatTable } from './table';
import { describeThreshold, withThreshold } from './threshold';

export interface EvalFlags {
  model: string;
  data: string;
  json?: string;
  threshold?: number;
  fpr?: number;
  threads?: number;
}

/** Features listed per category in the evaluation's JSON; the table shows the first DRIVERS_SHOWN. */
const DRIVERS = 5;
const DRIVERS_SHOWN = 3;

/**
 * An evaluation: the metrics, the repairs made reading the records, and per category the features
 * that drive its detections (the largest mean shares of error over its flagged rows).
 */
export type EvalResult = Report & { repaired: number; unseen: number; drivers: CategoryDrivers[] };

/** Scores labelled records and measures the detector on them. */
export async function evaluateRecords(gpu: Gpu, detector: Detector, records: ReadResult): Promise<EvalResult> {
  const scorer = Scorer.create(gpu, detector.model.spec, detector.model.params);
  try {
    const scored = await scoreRows(scorer, detector, records.table, records);
    if (!scored.labels) {
      const label = detector.pipeline.schema.label;
      throw new Error(`${records.file}: ${label === null ? 'the model was trained without labels' : `no label column ${quote(label)}`}, so there is nothing to evaluate against`);
    }
    const explainer = new Explainer(detector.pipeline.features.toJSON());
    const tally = new DriverTally(explainer.names);
    await tallyFlagged(tally, scorer, explainer, scored.matrix, scored.scores, detector.threshold, scored.labels.category);
    return {
      ...report(scored.scores, scored.labels, detector.threshold),
      repaired: scored.repairs.repaired,
      unseen: scored.repairs.unseen,
      drivers: tally.drivers(DRIVERS),
    };
  } finally {
    scorer.release();
  }
}

/**
 * Scores a labelled file chunk by chunk, decoded on `threads` threads as `netae score` does, and
 * measures the detector on it. Memory holds one chunk of features at a time, and per row only its
 * score, whether it is an anomaly and its category.
 */
export async function evaluateFile(gpu: Gpu, detector: Detector, data: string, threads: number): Promise<EvalResult> {
  const { schema } = detector.pipeline;
  const fileName = data === '-' ? 'stdin' : data;
  const label = schema.label;
  if (label === null) throw new Error(`${fileName}: the model was trained without labels, so there is nothing to evaluate against`);
  const category = schema.categoryColumn;
  const records = readRecordsFile(data, detector.pipeline, {
    ...detector.pipeline.readOptions(fileName),
    threads,
    texts: (names) => {
      if (!names.includes(label)) throw new Error(`${fileName}: no label column ${quote(label)}, so there is nothing to evaluate against`);
      return category !== null && names.includes(category) ? [label, category] : [label];
    },
  });
  const scorer = Scorer.create(gpu, detector.model.spec, detector.model.params);
  const explainer = new Explainer(detector.pipeline.features.toJSON());
  const tally = new DriverTally(explainer.names);
  const scores: Float32Array[] = [];
  const labels: Labels[] = [];
  let repairs: TransformReport | null = null;
  try {
    let pending: { matrix: Float32Array; labels: Labels; read: () => Promise<Float32Array> } | null = null;
    const finish = async () => {
      if (!pending) return;
      const { matrix, labels, read } = pending;
      pending = null;
      const chunk = await read();
      scores.push(chunk);
      await tallyFlagged(tally, scorer, explainer, matrix, chunk, detector.threshold, labels.category);
    };
    for await (const batch of regroup(records, scorer.chunk)) {
      const read = await scorer.start(batch.matrix);
      await finish();
      const categories = category === null ? undefined : batch.texts[category];
      const batchLabels = labelsOfValues(expand(batch.texts[label]), categories === undefined ? null : expand(categories), schema);
      labels.push(batchLabels);
      pending = { matrix: batch.matrix, labels: batchLabels, read };
      repairs = addRepairs(repairs, batch.report);
    }
    await finish();
  } finally {
    scorer.release();
  }
  const all: Labels = {
    isAnomaly: concat(labels.map((l) => l.isAnomaly), Uint8Array),
    category: labels.flatMap((l) => l.category),
    normalCount: labels.reduce((n, l) => n + l.normalCount, 0),
  };
  return {
    ...report(concat(scores, Float32Array), all, detector.threshold),
    repaired: repairs?.repaired ?? 0,
    unseen: repairs?.unseen ?? 0,
    drivers: tally.drivers(DRIVERS),
  };
}

function expand(column: TextColumn): string[] {
  return Array.from(column.codes, (code) => column.values[code]);
}

function concat<T extends Float32Array | Uint8Array>(parts: T[], Make: new (n: number) => T): T {
  const out = new Make(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
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
      + (r.drivers ? '; the drivers are the features with the largest mean share of the squared reconstruction error over the flagged rows' : ''),
    formatTable(categories),
    ...e.notes.map((n) => `note: ${n}`),
  ].join('\n');
}

export async function evalCommand(flags: EvalFlags): Promise<void> {
  const inputs = [{ flag: '--model', path: flags.model }, { flag: '--data', path: flags.data }];
  checkInputs(inputs);
  const json = flags.json === undefined ? null : openOutput(flags.json, '--json', inputs);
  const stdout = flags.json === '-' ? json! : standardOutput(inputs);
  const { detector, threshold } = withThreshold(await readDetector(flags.model), flags, flags.model);
  const given = flags.threshold !== undefined || flags.fpr !== undefined;
  const result = await withGpu((gpu) => evaluateFile(gpu, detector, flags.data, flags.threads ?? defaultThreads()));
  const text = `${JSON.stringify({ model: flags.model, data: flags.data, threshold, ...result }, null, 2)}\n`;
  if (json === stdout) {
    await writeAll(stdout, text);
    return;
  }
  await json?.write(text);
  await stdout.write(`threshold ${describeThreshold(threshold)}\n${formatReport(result, given ? 'given' : "model's")}\n`);
  await json?.commit();
}
