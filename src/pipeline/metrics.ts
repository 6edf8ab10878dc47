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
  checkClasses(scores, labels, 'ROC-AUC', true);
  return summarise(scores, labels).rocAuc;
}

/** PR-AUC as average precision: Σ over distinct thresholds of (recall gained) × precision. */
export function prAuc(scores: Scores, labels: BinaryLabels): number {
  checkClasses(scores, labels, 'PR-AUC', false);
  return summarise(scores, labels).prAuc;
}

/** The threshold (one of the scores) that maximises F1; on a tie, the highest such threshold. */
export function bestF1Threshold(scores: Scores, labels: BinaryLabels): { threshold: number } & Rates {
  checkClasses(scores, labels, 'the best-F1 threshold', false);
  return summarise(scores, labels).best;
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

/**
 * Each row's category: its name, or a code per row into a list of distinct names (a few bytes a
 * row, for a file of many rows).
 */
export type Categories = ArrayLike<string> | CategoryCodes;

export interface CategoryCodes {
  readonly codes: ArrayLike<number>;
  readonly names: readonly string[];
}

/** Per category: rows, rows flagged (score ≥ threshold), and their share (`rate`); sorted by category. */
export function detectionByCategory(scores: Scores, categories: Categories, threshold: number): ColumnTable {
  checkScores(scores);
  const byCategory = byCategoryAt(groupsOf(scores, null, categories), threshold);
  return table({
    category: byCategory.map((c) => c.category),
    rows: byCategory.map((c) => c.rows),
    flagged: byCategory.map((c) => c.flagged),
    rate: byCategory.map((c) => c.rate),
  });
}

/** Category names as codes into the list of the names met, in the order met. */
export function codesOf(categories: ArrayLike<string>): { codes: Int32Array; names: string[] } {
  const codeOf = new Map<string, number>();
  const names: string[] = [];
  const codes = new Int32Array(categories.length);
  for (let i = 0; i < categories.length; i++) {
    let code = codeOf.get(categories[i]);
    if (code === undefined) {
      codeOf.set(categories[i], (code = names.length));
      names.push(categories[i]);
    }
    codes[i] = code;
  }
  return { codes, names };
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

/**
 * Scores of rows of one category and class, in parts: what an evaluation needs of a row, 4 bytes
 * for a float32 score.
 */
export interface ScoreGroup {
  readonly category: string;
  readonly anomaly: boolean;
  readonly parts: readonly ScoreArray[];
}

type ScoreArray = Float32Array | Float64Array;

/** Everything `netae eval` reports, as plain JSON. */
export function evaluate(
  scores: Scores,
  labels: BinaryLabels,
  options: { threshold: number; categories?: Categories },
): Evaluation {
  return evaluateAtBoth(scores, labels, options).atThreshold;
}

/**
 * {@link evaluate} at a given threshold and at the threshold of the best F1 (null without an
 * anomaly), the scores ranked once for both.
 */
export function evaluateAtBoth(
  scores: Scores,
  labels: BinaryLabels,
  options: { threshold: number; categories?: Categories },
): { atThreshold: Evaluation; atBestF1: Evaluation | null } {
  checkInputs(scores, labels);
  return evaluateGroups(groupsOf(scores, labels, options.categories), options.threshold, options.categories !== undefined);
}

/**
 * {@link evaluateAtBoth} of rows given as groups of scores, each group a category and class (per
 * category results when `categorised`). Each part is sorted in place, and the parts of each class
 * are ranked together in one walk that keeps no curve: memory holds the scores once, whatever the
 * number of distinct scores.
 */
export function evaluateGroups(
  groups: readonly ScoreGroup[],
  threshold: number,
  categorised = true,
): { atThreshold: Evaluation; atBestF1: Evaluation | null } {
  const { pos, neg } = sortedClasses(groups);
  if (pos.rows + neg.rows === 0) throw new MetricError('no scores to evaluate');
  const ranked = pos.rows > 0 ? summariseSorted(pos, neg) : null;
  const at = (t: number) => evaluationAt(groups, pos, neg, t, categorised, ranked);
  return { atThreshold: at(threshold), atBestF1: ranked === null ? null : at(ranked.best.threshold) };
}

/** What a walk down the distinct scores gives: the areas under both curves and the best F1 (at least one anomaly). */
interface Ranked {
  rocAuc: number;
  prAuc: number;
  best: { threshold: number } & Rates;
}

function summarise(scores: Scores, labels: BinaryLabels): Ranked {
  const { pos, neg } = byClass(scores, labels);
  return summariseSorted(pos, neg);
}

/**
 * The area under the ROC curve (pairs ranked right, ties counting half), the average precision
 * (Σ over distinct thresholds of recall gained × precision) and the threshold of the best F1 (the
 * highest on a tie), in one walk down the distinct scores of both classes. At least one
 * anomaly; the ROC area needs a normal row too.
 */
function summariseSorted(pos: SortedParts, neg: SortedParts): Ranked {
  const [positives, negatives] = [pos.rows, neg.rows];
  let area = 0;
  let precisions = 0;
  let best = { threshold: 0, tp: 0, fp: 0, f1: -1 };
  let [tBefore, fBefore] = [0, 0];
  walkDown(pos, neg, (score, t, f) => {
    area += (f - fBefore) * (t + tBefore);
    precisions += ((t - tBefore) * t) / (t + f);
    const f1 = (2 * t) / (t + f + positives);
    if (f1 > best.f1) best = { threshold: score, tp: t, fp: f, f1 };
    [tBefore, fBefore] = [t, f];
  });
  return {
    rocAuc: area / (2 * positives * negatives),
    prAuc: precisions / positives,
    best: { threshold: best.threshold, ...rates({ tp: best.tp, fp: best.fp, fn: positives - best.tp, tn: negatives - best.fp }) },
  };
}

/**
 * Visits the distinct scores of both classes from the highest down, with the anomalies (`t`) and
 * normal rows (`f`) that score at least each.
 */
function walkDown(pos: SortedParts, neg: SortedParts, visit: (score: number, t: number, f: number) => void): void {
  const [a, b] = [new Descending(pos.parts), new Descending(neg.parts)];
  let t = 0;
  let f = 0;
  while (!a.done || !b.done) {
    const score = a.done ? b.top : b.done ? a.top : Math.max(a.top, b.top);
    for (; !a.done && a.top === score; a.pop()) t++;
    for (; !b.done && b.top === score; b.pop()) f++;
    visit(score, t, f);
  }
}

/** One class's scores, in parts each sorted ascending. */
class SortedParts {
  readonly rows: number;

  constructor(readonly parts: readonly ArrayLike<number>[]) {
    this.rows = parts.reduce((n, part) => n + part.length, 0);
  }

  /** How many score at least `threshold`. */
  atLeast(threshold: number): number {
    let n = 0;
    for (const part of this.parts) {
      let [low, high] = [0, part.length];
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (part[mid] >= threshold) high = mid;
        else low = mid + 1;
      }
      n += part.length - low;
    }
    return n;
  }
}

/** The scores of parts each sorted ascending, merged from the highest down (a heap of the parts by their highest score left). */
class Descending {
  private readonly heap: number[] = [];
  private readonly next: Int32Array;

  constructor(private readonly parts: readonly ArrayLike<number>[]) {
    this.next = Int32Array.from(parts, (part) => part.length - 1);
    for (let k = 0; k < parts.length; k++) {
      if (parts[k].length > 0) {
        this.heap.push(k);
        this.up(this.heap.length - 1);
      }
    }
  }

  get done(): boolean {
    return this.heap.length === 0;
  }

  /** The highest score left; only while not done. */
  get top(): number {
    return this.value(0);
  }

  /** Lets the highest score left go. */
  pop(): void {
    const k = this.heap[0];
    if (--this.next[k] < 0) {
      const last = this.heap.pop()!;
      if (this.heap.length === 0) return;
      this.heap[0] = last;
    }
    this.down(0);
  }

  private value(i: number): number {
    const k = this.heap[i];
    return this.parts[k][this.next[k]];
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.value(parent) >= this.value(i)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const [l, r] = [2 * i + 1, 2 * i + 2];
      let largest = i;
      if (l < this.heap.length && this.value(l) > this.value(largest)) largest = l;
      if (r < this.heap.length && this.value(r) > this.value(largest)) largest = r;
      if (largest === i) return;
      this.swap(i, largest);
      i = largest;
    }
  }

  private swap(i: number, j: number): void {
    [this.heap[i], this.heap[j]] = [this.heap[j], this.heap[i]];
  }
}

/** The scores of the anomalies and of the normal rows, each sorted ascending (float32 scores stay float32). */
function byClass(scores: Scores, labels: BinaryLabels): { pos: SortedParts; neg: SortedParts } {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i];
  const Make = scores instanceof Float32Array ? Float32Array : Float64Array;
  const pos = new Make(positives);
  const neg = new Make(scores.length - positives);
  for (let i = 0, p = 0, q = 0; i < scores.length; i++) {
    if (labels[i] === 1) pos[p++] = scores[i];
    else neg[q++] = scores[i];
  }
  return { pos: new SortedParts([pos.sort()]), neg: new SortedParts([neg.sort()]) };
}

function evaluationAt(
  groups: readonly ScoreGroup[],
  pos: SortedParts,
  neg: SortedParts,
  threshold: number,
  categorised: boolean,
  ranked: Ranked | null,
): Evaluation {
  const tp = pos.atLeast(threshold);
  const fp = neg.atLeast(threshold);
  const confusion: Confusion = { tp, fp, tn: neg.rows - fp, fn: pos.rows - tp };
  const [anomalies, normals] = [pos.rows, neg.rows];
  const notes: string[] = [];
  if (anomalies === 0) notes.push('no anomalies in the labels: recall, F1, ROC-AUC and PR-AUC are undefined (reported as 0 / null)');
  if (normals === 0) notes.push('no normal rows in the labels: FPR and ROC-AUC are undefined (reported as 0 / null)');
  return {
    threshold,
    rows: anomalies + normals,
    anomalies,
    normals,
    confusion,
    ...rates(confusion),
    rocAuc: ranked !== null && normals > 0 ? ranked.rocAuc : null,
    prAuc: ranked !== null ? ranked.prAuc : null,
    byCategory: categorised ? byCategoryAt(groups, threshold) : [],
    notes,
  };
}

/** Per category, over its groups: rows, rows flagged, and their share; sorted by category. */
function byCategoryAt(groups: readonly ScoreGroup[], threshold: number): Evaluation['byCategory'] {
  const counts = new Map<string, { rows: number; flagged: number }>();
  for (const { category, parts } of groups) {
    const count = counts.get(category) ?? { rows: 0, flagged: 0 };
    for (const part of parts) {
      count.rows += part.length;
      for (let i = 0; i < part.length; i++) if (part[i] >= threshold) count.flagged++;
    }
    counts.set(category, count);
  }
  return [...counts]
    .filter(([, { rows }]) => rows > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([category, { rows, flagged }]) => ({ category, rows, flagged, rate: flagged / rows }));
}

/**
 * Rows as groups of one category and class (labels null: every row normal; categories undefined:
 * one unnamed category), the scores copied per group (float32 scores stay float32).
 */
function groupsOf(scores: Scores, labels: BinaryLabels | null, categories: Categories | undefined): ScoreGroup[] {
  const { codes, names } =
    categories === undefined ? { codes: null, names: [''] } : 'codes' in categories ? categories : codesOf(categories);
  if (codes !== null && codes.length !== scores.length) throw new MetricError(`${codes.length} categories for ${scores.length} scores`);
  const keyOf = (i: number) => (codes === null ? 0 : codes[i]) * 2 + (labels === null ? 0 : labels[i]);
  const sizes = new Float64Array(names.length * 2);
  for (let i = 0; i < scores.length; i++) sizes[keyOf(i)]++;
  const Make = scores instanceof Float32Array ? Float32Array : Float64Array;
  const parts = Array.from(sizes, (size) => new Make(size));
  const filled = new Float64Array(sizes.length);
  for (let i = 0; i < scores.length; i++) {
    const key = keyOf(i);
    parts[key][filled[key]++] = scores[i];
  }
  return parts.flatMap((part, key) => (part.length === 0 ? [] : [{ category: names[key >> 1], anomaly: (key & 1) === 1, parts: [part] }]));
}

/** The parts of the anomalies and of the normal rows, each part sorted in place; a NaN score is a MetricError. */
function sortedClasses(groups: readonly ScoreGroup[]): { pos: SortedParts; neg: SortedParts } {
  for (const part of groups.flatMap((g) => g.parts)) {
    for (let i = 0; i < part.length; i++) if (Number.isNaN(part[i])) throw new MetricError('a score is NaN');
    part.sort();
  }
  const of = (anomaly: boolean) => new SortedParts(groups.filter((g) => g.anomaly === anomaly).flatMap((g) => g.parts));
  return { pos: of(true), neg: of(false) };
}

interface RankCounts {
  /** Distinct scores, highest first, and the anomalies (tp) and normal rows (fp) scoring at least each. */
  threshold: Float64Array;
  tp: Float64Array;
  fp: Float64Array;
  positives: number;
  negatives: number;
}

function rank(scores: Scores, labels: BinaryLabels, what: string, needNegatives: boolean): RankCounts {
  const { positives, negatives } = checkClasses(scores, labels, what, needNegatives);
  const { pos, neg } = byClass(scores, labels);
  let distinct = 0;
  const threshold = new Float64Array(scores.length);
  const tp = new Float64Array(scores.length);
  const fp = new Float64Array(scores.length);
  walkDown(pos, neg, (score, t, f) => {
    threshold[distinct] = score;
    tp[distinct] = t;
    fp[distinct++] = f;
  });
  return { threshold: threshold.slice(0, distinct), tp: tp.slice(0, distinct), fp: fp.slice(0, distinct), positives, negatives };
}

/** Counts each class, throwing a MetricError naming `what` when it needs a class the labels lack. */
function checkClasses(scores: Scores, labels: BinaryLabels, what: string, needNegatives: boolean): { positives: number; negatives: number } {
  checkInputs(scores, labels);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i];
  const negatives = scores.length - positives;
  if (positives === 0) throw new MetricError(`${what} is undefined: the labels hold no anomaly (all 0)`);
  if (needNegatives && negatives === 0) throw new MetricError(`${what} is undefined: the labels hold no normal row (all 1)`);
  return { positives, negatives };
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
