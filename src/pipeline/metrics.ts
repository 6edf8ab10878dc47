import { table, type ColumnTable } from 'arquero';
import { rates, type Confusion, type Rates } from './rates';

export { rates, type Confusion, type Rates } from './rates';

/**
 * Scores and labels: a row is flagged as an anomaly when its score is ≥ the threshold; label 1
 * means anomaly, 0 normal.
 *
 * All-one-class rule: ratio metrics whose denominator is zero are 0 (precision with nothing
 * flagged, recall with no anomaly, FPR with no normal row, F1 when precision + recall = 0).
 * ROC-AUC and the ROC curve need both classes, PR-AUC, the PR curve and bestF1Threshold need at
 * least one anomaly: those functions throw a MetricError saying which class is missing, and
 * `evaluate` reports them as null with a note. Empty input, a NaN score or a label other than
 * 0/1 is a MetricError too.
 */
export class MetricError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricError';
  }
}

type Scores = ArrayLike<number>;
type BinaryLabels = ArrayLike<number>;

export function confusionMatrix(scores: Scores, labels: BinaryLabels, threshold: number): Confusion {
  checkInputs(scores, labels);
  const c: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < scores.length; i++) {
    const flagged = scores[i] >= threshold;
    if (labels[i] === 1) flagged ? c.tp++ : c.fn++;
    else flagged ? c.fp++ : c.tn++;
  }
  return c;
}

/** ROC curve: `threshold`, `fpr`, `tpr`, from (0, 0) at threshold +Infinity to (1, 1). */
export function rocCurve(scores: Scores, labels: BinaryLabels): ColumnTable {
  const r = rank(scores, labels, 'the ROC curve', true);
  return table({
    threshold: [Infinity, ...r.threshold],
    fpr: [0, ...Array.from(r.fp, (fp) => fp / r.negatives)],
    tpr: [0, ...Array.from(r.tp, (tp) => tp / r.positives)],
  });
}

/** Precision–recall curve: `threshold`, `recall`, `precision`, one row per distinct score. */
export function prCurve(scores: Scores, labels: BinaryLabels): ColumnTable {
  const r = rank(scores, labels, 'the PR curve', false);
  return table({
    threshold: r.threshold,
    recall: Array.from(r.tp, (tp) => tp / r.positives),
    precision: Array.from(r.tp, (tp, k) => tp / (tp + r.fp[k])),
  });
}

/** Area under the ROC curve, exact: the probability that an anomaly outscores a normal row, ties counting half. */
export function rocAuc(scores: Scores, labels: BinaryLabels): number {
  return rocAucOf(rank(scores, labels, 'ROC-AUC', true));
}

/** PR-AUC as average precision: Σ over distinct thresholds of (recall gained) × precision. */
export function prAuc(scores: Scores, labels: BinaryLabels): number {
  return prAucOf(rank(scores, labels, 'PR-AUC', false));
}

function rocAucOf(r: RankCounts): number {
  let area = 0;
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < r.tp.length; k++) {
    area += (r.fp[k] - fp) * (r.tp[k] + tp);
    tp = r.tp[k];
    fp = r.fp[k];
  }
  return area / (2 * r.positives * r.negatives);
}

function prAucOf(r: RankCounts): number {
  let sum = 0;
  let tp = 0;
  for (let k = 0; k < r.tp.length; k++) {
    sum += ((r.tp[k] - tp) * r.tp[k]) / (r.tp[k] + r.fp[k]);
    tp = r.tp[k];
  }
  return sum / r.positives;
}

/** The threshold (one of the scores) that maximises F1; on a tie, the highest such threshold. */
export function bestF1Threshold(scores: Scores, labels: BinaryLabels): { threshold: number } & Rates {
  const r = rank(scores, labels, 'the best-F1 threshold', false);
  let best = 0;
  let bestF1 = -1;
  for (let k = 0; k < r.tp.length; k++) {
    const f1 = (2 * r.tp[k]) / (r.tp[k] + r.fp[k] + r.positives);
    if (f1 > bestF1) {
      bestF1 = f1;
      best = k;
    }
  }
  const tp = r.tp[best];
  const fp = r.fp[best];
  return { threshold: r.threshold[best], ...rates({ tp, fp, fn: r.positives - tp, tn: r.negatives - fp }) };
}

/** The given percentile (0–100) of normal scores, interpolating linearly between order statistics. */
export function percentileThreshold(normalScores: Scores, percentile: number): number {
  if (!(percentile >= 0 && percentile <= 100)) throw new MetricError(`percentile must be within 0–100, got ${percentile}`);
  if (normalScores.length === 0) throw new MetricError('no normal scores to take a percentile of');
  checkScores(normalScores);
  const q = table({ s: Float64Array.from(normalScores) }).rollup({ q: `op.quantile(d.s, ${percentile / 100})` });
  return Number(q.get('q', 0));
}

/**
 * How a model's threshold is set: flag a fraction of held-out normal rows (`fpr`), a percentile
 * of their scores, median + k·MAD of their scores, the best F1 on labelled training rows, or a
 * given value.
 */
export type ThresholdRule =
  | { kind: 'fpr'; rate: number }
  | { kind: 'percentile'; percentile: number }
  | { kind: 'mad'; k: number }
  | { kind: 'best-f1' }
  | { kind: 'fixed'; value: number };

/** Per category: rows, rows flagged (score ≥ threshold), and their share (`rate`); sorted by category. */
export function detectionByCategory(scores: Scores, categories: ArrayLike<string>, threshold: number): ColumnTable {
  if (categories.length !== scores.length) {
    throw new MetricError(`${categories.length} categories for ${scores.length} scores`);
  }
  checkScores(scores);
  const flagged = Uint8Array.from(scores as ArrayLike<number>, (s) => (s >= threshold ? 1 : 0));
  return table({ category: Array.from(categories), flagged })
    .groupby('category')
    .rollup({ rows: 'op.count()', flagged: 'op.sum(d.flagged)' })
    .derive({ rate: 'd.flagged / d.rows' })
    .orderby('category');
}

export interface Evaluation extends Rates {
  threshold: number;
  rows: number;
  anomalies: number;
  normals: number;
  confusion: Confusion;
  /** Null when labels hold one class only (see `notes`). */
  rocAuc: number | null;
  prAuc: number | null;
  byCategory: { category: string; rows: number; flagged: number; rate: number }[];
  notes: string[];
}

/** Everything `netae eval` reports, as plain JSON. */
export function evaluate(
  scores: Scores,
  labels: BinaryLabels,
  options: { threshold: number; categories?: ArrayLike<string> },
): Evaluation {
  const { threshold } = options;
  const confusion = confusionMatrix(scores, labels, threshold);
  const anomalies = confusion.tp + confusion.fn;
  const normals = confusion.fp + confusion.tn;
  const notes: string[] = [];
  if (anomalies === 0) notes.push('no anomalies in the labels: recall, F1, ROC-AUC and PR-AUC are undefined (reported as 0 / null)');
  if (normals === 0) notes.push('no normal rows in the labels: FPR and ROC-AUC are undefined (reported as 0 / null)');
  const byCategory =
    options.categories === undefined
      ? []
      : (detectionByCategory(scores, options.categories, threshold).objects() as Evaluation['byCategory']);
  const ranked = anomalies > 0 ? rank(scores, labels, 'ROC-AUC and PR-AUC', false) : null;
  return {
    threshold,
    rows: scores.length,
    anomalies,
    normals,
    confusion,
    ...rates(confusion),
    rocAuc: ranked !== null && normals > 0 ? rocAucOf(ranked) : null,
    prAuc: ranked !== null ? prAucOf(ranked) : null,
    byCategory,
    notes,
  };
}

interface RankCounts {
  /** Distinct scores, highest first, and the anomalies (tp) and normal rows (fp) scoring at least each. */
  threshold: number[];
  tp: number[];
  fp: number[];
  positives: number;
  negatives: number;
}

function rank(scores: Scores, labels: BinaryLabels, what: string, needNegatives: boolean): RankCounts {
  checkInputs(scores, labels);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i];
  const negatives = scores.length - positives;
  if (positives === 0) throw new MetricError(`${what} is undefined: the labels hold no anomaly (all 0)`);
  if (needNegatives && negatives === 0) throw new MetricError(`${what} is undefined: the labels hold no normal row (all 1)`);
  const pos = new Float64Array(positives);
  const neg = new Float64Array(negatives);
  for (let i = 0, p = 0, q = 0; i < scores.length; i++) {
    if (labels[i] === 1) pos[p++] = scores[i];
    else neg[q++] = scores[i];
  }
  pos.sort();
  neg.sort();
  const threshold: number[] = [];
  const tp: number[] = [];
  const fp: number[] = [];
  let i = positives - 1;
  let j = negatives - 1;
  let t = 0;
  let f = 0;
  while (i >= 0 || j >= 0) {
    const score = i < 0 ? neg[j] : j < 0 ? pos[i] : Math.max(pos[i], neg[j]);
    while (i >= 0 && pos[i] === score) {
      t++;
      i--;
    }
    while (j >= 0 && neg[j] === score) {
      f++;
      j--;
    }
    threshold.push(score);
    tp.push(t);
    fp.push(f);
  }
  return { threshold, tp, fp, positives, negatives };
}

function checkInputs(scores: Scores, labels: BinaryLabels): void {
  if (scores.length !== labels.length) throw new MetricError(`${scores.length} scores but ${labels.length} labels`);
  if (scores.length === 0) throw new MetricError('no scores to evaluate');
  checkScores(scores);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new MetricError(`label ${i} is ${labels[i]}, expected 0 or 1`);
  }
}

function checkScores(scores: Scores): void {
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) throw new MetricError(`score ${i} is NaN`);
  }
}
