import { MetricError } from './metrics';

type Scores = ArrayLike<number>;

/**
 * A threshold set on held-out normal scores to flag a chosen fraction of them, with what is
 * known about the fraction of *new* normal rows (from the same traffic) it will flag.
 *
 * With n held-out scores, flagging rows scoring ≥ the k-th largest of them flags, on new normal
 * rows, a fraction distributed as Beta(k, n + 1 − k) whatever the scores' distribution (the
 * k-th largest of n uniform order statistics): mean k / (n + 1). `low` and `high` are its 2.5 %
 * and 97.5 % quantiles.
 */
export interface RateThreshold {
  value: number;
  /** The fraction asked for. */
  target: number;
  /** Held-out normal rows at or above `value`. */
  flagged: number;
  rows: number;
  /** The expected fraction of new normal rows flagged, and its 95 % interval. */
  expected: number;
  low: number;
  high: number;
}

/** The threshold that flags a fraction `rate` of normal rows, from n held-out normal scores. */
export function fprThreshold(normalScores: Scores, rate: number): RateThreshold {
  if (!(rate > 0 && rate < 1)) throw new MetricError(`the false-positive rate must be within (0, 1), got ${rate}`);
  const sorted = descending(normalScores, 'a false-positive-rate threshold');
  return fromTop(sorted, sorted.length, rate);
}

/** The highest of n scores kept at ranks 1 … 1,000, then at ranks 1 % apart: what a model file keeps. */
export interface RankedScores {
  rows: number;
  ranks: number[];
  scores: number[];
}

const DENSE_RANKS = 1000;

/** Ranks 1 … 1,000, then each 1 % above the last, up to n. */
function keptRanks(n: number): number[] {
  const ranks: number[] = [];
  for (let k = 1; k <= n; k = k < DENSE_RANKS ? k + 1 : Math.ceil(k * 1.01)) ranks.push(k);
  return ranks;
}

/** The scores a model keeps of its held-out normal rows (see RankedScores). */
export function rankedScores(normalScores: Scores): RankedScores {
  const sorted = descending(normalScores, 'a false-positive-rate threshold');
  const ranks = keptRanks(sorted.length);
  return { rows: sorted.length, ranks, scores: ranks.map((k) => sorted[k - 1]) };
}

/**
 * As fprThreshold, from kept scores: at the kept rank nearest the one the rate asks for (exact up
 * to rank 1,000, within 0.5 % beyond); `expected` and the interval are those of the rank used,
 * or of the last kept rank that ties with it.
 */
export function fprThresholdFromRanks(kept: RankedScores, rate: number): RateThreshold {
  if (!(rate > 0 && rate < 1)) throw new MetricError(`the false-positive rate must be within (0, 1), got ${rate}`);
  const want = flaggedCount(kept.rows, rate);
  let at = 0;
  for (let i = 1; i < kept.ranks.length; i++) if (Math.abs(kept.ranks[i] - want) < Math.abs(kept.ranks[at] - want)) at = i;
  const value = kept.scores[at];
  while (at + 1 < kept.ranks.length && kept.scores[at + 1] === value) at++;
  return atRank(value, kept.ranks[at], kept.rows, rate);
}

function flaggedCount(rows: number, rate: number): number {
  return Math.min(rows, Math.max(1, Math.round(rate * (rows + 1))));
}

/**
 * The k-th highest score as the threshold, k as the rate asks; the scores tied with it are at
 * the threshold too, and flagged: the rate and its interval are those of all the rows flagged.
 */
function fromTop(top: ArrayLike<number>, rows: number, rate: number): RateThreshold {
  let k = flaggedCount(rows, rate);
  const value = top[k - 1];
  while (k < top.length && top[k] === value) k++;
  return atRank(value, k, rows, rate);
}

/** The rate interval of the k-th highest of n held-out scores as a threshold. */
function atRank(value: number, k: number, rows: number, rate: number): RateThreshold {
  const [low, high] = [betaQuantile(k, rows + 1 - k, 0.025), betaQuantile(k, rows + 1 - k, 0.975)];
  return { value, target: rate, flagged: k, rows, expected: k / (rows + 1), low, high };
}

/** The rate interval of any threshold, from the n held-out normal scores it was set on. */
export function rateOf(value: number, normalScores: Scores): Omit<RateThreshold, 'target'> {
  const n = normalScores.length;
  let k = 0;
  for (let i = 0; i < n; i++) if (normalScores[i] >= value) k++;
  const a = Math.max(k, 1);
  const [low, high] = [k === 0 ? 0 : betaQuantile(a, n + 1 - a, 0.025), betaQuantile(a, n + 1 - a, 0.975)];
  return { value, flagged: k, rows: n, expected: k / (n + 1), low, high };
}

/**
 * The robust rule: median + k · 1.4826 · MAD of normal scores (MAD scaled to estimate the
 * standard deviation of normally distributed scores, so k counts standard deviations).
 */
export function madThreshold(normalScores: Scores, k: number): { value: number; median: number; mad: number } {
  if (!(k >= 0)) throw new MetricError(`k must be ≥ 0, got ${k}`);
  const sorted = descending(normalScores, 'a median + k·MAD threshold').reverse();
  const median = middle(sorted);
  const deviations = sorted.map((s) => Math.abs(s - median)).sort();
  const mad = 1.4826 * middle(deviations);
  return { value: median + k * mad, median, mad };
}

/** The scores sorted highest first; a MetricError if there are none or one is NaN. */
export function descending(scores: Scores, what: string): Float64Array {
  if (scores.length === 0) throw new MetricError(`no normal scores for ${what}`);
  const sorted = Float64Array.from(scores);
  for (const s of sorted) if (Number.isNaN(s)) throw new MetricError(`a normal score is NaN; cannot set ${what}`);
  return sorted.sort().reverse();
}

function middle(sorted: Float64Array): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/**
 * The p-quantile of Beta(a, b) for whole a, b ≥ 1, by bisection on the identity
 * P(Beta(a, b) ≤ x) = P(Binomial(a + b − 1, x) ≥ a).
 */
export function betaQuantile(a: number, b: number, p: number): number {
  const n = a + b - 1;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const x = (lo + hi) / 2;
    if (1 - binomialCdf(a - 1, n, x) < p) lo = x;
    else hi = x;
  }
  return (lo + hi) / 2;
}

/** P(Binomial(n, x) ≤ k), summed in log space so that large n neither overflows nor underflows. */
export function binomialCdf(k: number, n: number, x: number): number {
  if (k < 0) return 0;
  if (k >= n || x <= 0) return 1;
  if (x >= 1) return 0;
  const logs = new Float64Array(k + 1);
  logs[0] = n * Math.log1p(-x);
  const ratio = Math.log(x) - Math.log1p(-x);
  let max = logs[0];
  for (let j = 1; j <= k; j++) {
    logs[j] = logs[j - 1] + Math.log((n - j + 1) / j) + ratio;
    if (logs[j] > max) max = logs[j];
  }
  let sum = 0;
  for (const l of logs) sum += Math.exp(l - max);
  return Math.min(1, Math.exp(max) * sum);
}
