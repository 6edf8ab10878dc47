import type { ColumnTable } from 'arquero';
import type { RowBlocks } from '../../model/device-rows';
import type { HeldOutScores, Threshold } from '../../model/model';
import type { Scorer } from '../../model/scorer';
import {
  bestF1Threshold, fprThreshold, labelledScores, madThreshold, percentileThreshold, rankedScores, rateOf, unlabelledCount,
  type Dataset, type Featurizer, type ThresholdRule,
} from '../../pipeline';

/**
 * Flag 1 % of normal traffic: a rule that needs no labels and promises what it does, a false-
 * positive rate known to an interval from the number of held-out normal rows.
 */
export const DEFAULT_THRESHOLD: ThresholdRule = { kind: 'fpr', rate: 0.01 };

/** An Error before any work when a rule needs what the data lacks (best F1 needs labelled anomalies). */
export function checkThresholdRule(rule: ThresholdRule, dataset: Dataset): void {
  if (rule.kind === 'best-f1' && (!dataset.labels || dataset.labels.normalCount + unlabelledCount(dataset.labels) === dataset.labels.isAnomaly.length)) {
    throw new Error(`${dataset.file}: the best-F1 threshold needs labelled anomalies in the training file, and it has none; use --fpr instead`);
  }
}

/**
 * The threshold a rule picks from the scores of the held-out normal rows (`heldOut`, encoded by
 * `featurizer`; best F1 scores the whole labelled dataset instead, a chunk at a time), with the
 * share of normal rows it is expected to flag, and the highest held-out scores kept for picking
 * another later.
 */
export async function pickThreshold(
  rule: ThresholdRule, scorer: Scorer, featurizer: Featurizer, dataset: Dataset, heldOut: RowBlocks,
): Promise<{ threshold: Threshold; heldOut: HeldOutScores }> {
  const normal = await scorer.scoreBlocks(heldOut);
  const kept = rankedScores(normal);
  const rate = (value: number) => {
    const { expected, low, high, rows } = rateOf(value, normal);
    return { expected, low, high, rows };
  };
  const pick = async (): Promise<Threshold> => {
    switch (rule.kind) {
      case 'fpr': {
        const t = fprThreshold(normal, rule.rate);
        return { value: t.value, mode: 'fpr', rate: { target: rule.rate, expected: t.expected, low: t.low, high: t.high, rows: t.rows } };
      }
      case 'percentile': {
        const value = percentileThreshold(normal, rule.percentile);
        return { value, mode: 'percentile', percentile: rule.percentile, rate: rate(value) };
      }
      case 'mad': {
        const value = madThreshold(normal, rule.k).value;
        return { value, mode: 'mad', k: rule.k, rate: rate(value) };
      }
      case 'fixed':
        return { value: rule.value, mode: 'fixed', rate: rate(rule.value) };
      case 'best-f1': {
        const scores = await scoreTable(scorer, featurizer, dataset.table);
        const labelled = labelledScores(scores, dataset.labels!);
        const value = bestF1Threshold(labelled.scores, labelled.labels.isAnomaly).threshold;
        return { value, mode: 'best-f1', rate: rate(value) };
      }
    }
  };
  return { threshold: await pick(), heldOut: kept };
}

/** The score of each row of a table, encoded and scored a chunk at a time: memory holds a chunk's rows, not the table's. */
export async function scoreTable(scorer: Scorer, featurizer: Featurizer, rows: ColumnTable): Promise<Float32Array> {
  const scores = new Float32Array(rows.numRows());
  for (let r0 = 0; r0 < scores.length; r0 += scorer.chunk) {
    scores.set(await scorer.score(featurizer.transform(rows.slice(r0, r0 + scorer.chunk)).matrix), r0);
  }
  return scores;
}
