import { Scorer } from '../../model/scorer';
import type { Evaluation, ReadResult } from '../../pipeline';
import { quote } from '../../pipeline/errors';
import { readTableFile } from '../../pipeline/io-node';
import { report, scoreRows, type Detector, type Report } from '../detector';
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
  const records = await readTableFile(flags.data, detector.pipeline.readOptions(flags.data));
  const result = await withGpu((gpu) => evaluateRecords(gpu, detector, records));
  const text = `${JSON.stringify({ model: flags.model, data: flags.data, threshold, ...result }, null, 2)}\n`;
  if (json === stdout) {
    await writeAll(stdout, text);
    return;
  }
  await json?.write(text);
  await stdout.write(`threshold ${describeThreshold(threshold)}\n${formatReport(result, given ? 'given' : "model's")}\n`);
  await json?.commit();
}
