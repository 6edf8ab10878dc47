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

export interface EvalFlags {
  model: string;
  data: string;
  json?: string;
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

/** The evaluation as text tables for a terminal. */
export function formatReport(r: Report): string {
  const e = r.atThreshold;
  const rows = [metricRow("model's", e), ...(r.atBestF1 ? [metricRow('best F1', r.atBestF1)] : [])];
  const categories = e.byCategory.map((c) => ({ category: c.category, rows: c.rows, flagged: c.flagged, 'detection rate': c.rate }));
  return [
    `rows ${e.rows.toLocaleString('en-US')} (${e.anomalies.toLocaleString('en-US')} anomalies, ${e.normals.toLocaleString('en-US')} normal)   ROC-AUC ${e.rocAuc?.toFixed(4) ?? '—'}   PR-AUC ${e.prAuc?.toFixed(4) ?? '—'}`,
    '',
    formatTable(rows),
    '',
    'detection by category, at the model\'s threshold',
    formatTable(categories),
    ...e.notes.map((n) => `note: ${n}`),
  ].join('\n');
}

export async function evalCommand(flags: EvalFlags): Promise<void> {
  const inputs = [{ flag: '--model', path: flags.model }, { flag: '--data', path: flags.data }];
  checkInputs(inputs);
  const json = flags.json === undefined ? null : openOutput(flags.json, '--json', inputs);
  const stdout = flags.json === '-' ? json! : standardOutput(inputs);
  const detector = await readDetector(flags.model);
  if (!Number.isFinite(detector.threshold)) throw new Error(`${flags.model} has no threshold; train it with netae train`);
  const records = await readTableFile(flags.data, detector.pipeline.readOptions(flags.data));
  const result = await withGpu((gpu) => evaluateRecords(gpu, detector, records));
  const text = `${JSON.stringify({ model: flags.model, data: flags.data, ...result }, null, 2)}\n`;
  if (json === stdout) {
    await writeAll(stdout, text);
    return;
  }
  await json?.write(text);
  await stdout.write(`${formatReport(result)}\n`);
  await json?.commit();
}
