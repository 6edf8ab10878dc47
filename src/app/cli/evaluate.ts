import { Scorer } from '../../model/scorer';
import type { Evaluation, Labels, ReadResult, TransformReport } from '../../pipeline';
import { quote } from '../../pipeline/errors';
import { defaultThreads } from '../../pipeline/decode-pool-node';
import { readRecordsFile } from '../../pipeline/io-node';
import type { TextColumn } from '../../pipeline/record-decoder';
import { regroup } from '../../pipeline/records';
import { labelsOfValues } from '../../pipeline/schema';
import { addRepairs, report, scoreRows, type Detector, type Report } from '../detector';
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

/** Scores labelled records and measures the detector on them. */
export async function evaluateRecords(gpu: Gpu, detector: Detector, records: ReadResult): Promise<Report & { repaired: number; unseen: number }> {
  const scorer = Scorer.create(gpu, detector.model.spec, detector.model.params);
  try {
    const scored = await scoreRows(scorer, detector, records.table, records);
    if (!scored.labels) {
      const label = detector.pipeline.schema.label;
      throw new Error(`${records.file}: ${label === null ? 'the model was trained without labels' : `no label column ${quote(label)}`}, so there is nothing to evaluate against`);
    }
    return { ...report(scored.scores, scored.labels, detector.threshold), repaired: scored.repairs.repaired, unseen: scored.repairs.unseen };
  } finally {
    scorer.release();
  }
}

/**
 * Scores a labelled file chunk by chunk, decoded on `threads` threads as `netae score` does, and
 * measures the detector on it. Memory holds one chunk of features at a time, and per row only its
 * score, whether it is an anomaly and its category.
 */
export async function evaluateFile(gpu: Gpu, detector: Detector, data: string, threads: number): Promise<Report & { repaired: number; unseen: number }> {
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
  const scores: Float32Array[] = [];
  const labels: Labels[] = [];
  let repairs: TransformReport | null = null;
  try {
    let pending: (() => Promise<Float32Array>) | null = null;
    for await (const batch of regroup(records, scorer.chunk)) {
      const read = await scorer.start(batch.matrix);
      if (pending) scores.push(await pending());
      pending = read;
      const categories = category === null ? undefined : batch.texts[category];
      labels.push(labelsOfValues(expand(batch.texts[label]), categories === undefined ? null : expand(categories), schema));
      repairs = addRepairs(repairs, batch.report);
    }
    if (pending) scores.push(await pending());
  } finally {
    scorer.release();
  }
  const all: Labels = {
    isAnomaly: concat(labels.map((l) => l.isAnomaly), Uint8Array),
    category: labels.flatMap((l) => l.category),
    normalCount: labels.reduce((n, l) => n + l.normalCount, 0),
  };
  return { ...report(concat(scores, Float32Array), all, detector.threshold), repaired: repairs?.repaired ?? 0, unseen: repairs?.unseen ?? 0 };
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
export function formatReport(r: Report, which = "model's"): string {
  const e = r.atThreshold;
  const rows = [metricRow(which, e), ...(r.atBestF1 ? [metricRow('best F1 (oracle)', r.atBestF1)] : [])];
  const categories = e.byCategory.map((c) => ({
    category: c.category === 'normal' ? 'normal (false positives)' : c.category,
    rows: c.rows,
    flagged: c.flagged,
    'flagged share': c.rate,
  }));
  return [
    `rows ${e.rows.toLocaleString('en-US')} (${e.anomalies.toLocaleString('en-US')} anomalies, ${e.normals.toLocaleString('en-US')} normal)   ROC-AUC ${e.rocAuc?.toFixed(4) ?? '—'}   PR-AUC ${e.prAuc?.toFixed(4) ?? '—'}`,
    '',
    formatTable(rows),
    ...(r.atBestF1 ? ['the best-F1 (oracle) row picks its threshold on these very labels: an upper bound for this model, not a result a threshold set without them can promise'] : []),
    '',
    `by category, at the ${which} threshold: the share flagged is the detection rate of each attack category, and the false-positive rate of normal rows`,
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
