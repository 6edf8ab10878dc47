import type { Threshold } from '../../model/model';
import { fprThresholdFromRanks, type ThresholdRule } from '../../pipeline';
import { requireThreshold, type Detector, type Flagging } from '../detector';
import { UsageError } from './errors';

/** The threshold flags of `netae train`. */
export interface ThresholdFlags {
  thresholdMode?: string;
  fpr?: number;
  percentile?: number;
  mad?: number;
  threshold?: number;
}

/** The flag that gives each mode its number. */
const MODE_FLAG = { fpr: 'fpr', percentile: 'percentile', mad: 'mad', fixed: 'threshold' } as const;

/**
 * The rule the flags ask for; undefined for the default. A number flag implies its mode
 * (`--fpr 0.02` is `--threshold-mode fpr --fpr 0.02`); two rules at once are refused.
 */
export function thresholdRule(flags: ThresholdFlags): ThresholdRule | undefined {
  const given = (Object.entries(MODE_FLAG) as [keyof typeof MODE_FLAG, keyof ThresholdFlags][]).filter(([, flag]) => flags[flag] !== undefined);
  if (given.length > 1) throw new UsageError(`${given.map(([, f]) => `--${f}`).join(' and ')} set two thresholds; give one`);
  const implied = given[0]?.[0];
  const mode = flags.thresholdMode ?? implied;
  if (flags.thresholdMode !== undefined && implied !== undefined && implied !== flags.thresholdMode) {
    throw new UsageError(`--threshold-mode ${flags.thresholdMode} does not take --${MODE_FLAG[implied]}`);
  }
  switch (mode) {
    case undefined: return undefined;
    case 'fpr': return { kind: 'fpr', rate: flags.fpr ?? 0.01 };
    case 'percentile': return { kind: 'percentile', percentile: flags.percentile ?? 99 };
    case 'mad': return { kind: 'mad', k: flags.mad ?? 3 };
    case 'best-f1': return { kind: 'best-f1' };
    case 'fixed':
      if (flags.threshold === undefined) throw new UsageError('--threshold-mode fixed needs --threshold X');
      return { kind: 'fixed', value: flags.threshold };
    default: throw new UsageError(`unknown --threshold-mode "${mode}"; expected fpr, percentile, mad, best-f1 or fixed`);
  }
}

function percent(x: number): string {
  return `${(100 * x).toPrecision(x < 0.001 ? 2 : 3)}%`;
}

/**
 * How a threshold was chosen and what it promises, in words. `onTrainingRows`: it was set on the
 * rows the model was trained on, none held out (`thresholdOnTrainingRows`); the share of them it
 * flags is then no estimate of the share of new normal traffic, and is given without an interval.
 */
export function describeThreshold(t: Threshold, onTrainingRows = false): string {
  const rows = onTrainingRows ? 'normal' : 'held-out normal';
  const how = t.mode === 'fpr' ? `set to flag ${percent(t.rate?.target ?? t.rate?.expected ?? 0)} of ${rows} rows`
    : t.mode === 'percentile' ? `percentile ${t.percentile} of ${rows} scores`
      : t.mode === 'mad' ? `median + ${t.k}·MAD of ${rows} scores`
        : t.mode === 'best-f1' ? 'best F1 on the training labels'
          : t.mode;
  const rate = t.rate === undefined ? '' : onTrainingRows ? `; ${trainingRowsFlagged(t.rate, t.mode)}`
    : `; flags about ${percent(t.rate.expected)} of normal traffic like the training data (95% interval ${percent(t.rate.low)}–${percent(t.rate.high)}, from ${t.rate.rows.toLocaleString('en-US')} held-out rows)`;
  return `${t.value.toPrecision(6)} (${how}${rate})`;
}

/**
 * The training rows a threshold flags where none were held out. Its rate's `expected` is k / (n + 1)
 * of the k of n rows at or above it (src/pipeline/thresholds.ts), an estimate for new rows only when
 * the n were held out. A rule on scores (a rate, a percentile, median + k·MAD) was set on those rows.
 */
function trainingRowsFlagged(rate: NonNullable<Threshold['rate']>, mode: Threshold['mode']): string {
  const flagged = Math.round(rate.expected * (rate.rows + 1));
  const setOn = mode === 'fpr' || mode === 'percentile' || mode === 'mad' ? ' it was set on' : '';
  return `flags ${flagged.toLocaleString('en-US')} of the ${rate.rows.toLocaleString('en-US')} training rows${setOn} (${percent(flagged / rate.rows)}), none held out: `
    + 'the rate it flags on new normal traffic is likely higher';
}

/**
 * The detector with the threshold `--threshold X` or `--fpr X` asks for (the model's own without
 * either), and that threshold described.
 */
export function withThreshold(detector: Detector, flags: { threshold?: number; fpr?: number }, modelPath: string): { detector: Flagging; threshold: Threshold } {
  if (flags.threshold !== undefined && flags.fpr !== undefined) throw new UsageError('--threshold and --fpr set two thresholds; give one');
  const own = detector.model.meta.threshold;
  if (flags.threshold !== undefined) {
    return { detector: { ...detector, threshold: flags.threshold }, threshold: { value: flags.threshold, mode: 'fixed' } };
  }
  if (flags.fpr !== undefined) {
    const kept = detector.model.meta.heldOut;
    if (kept === undefined) throw new Error(`${modelPath} keeps no held-out normal scores (an older netae wrote it), so --fpr cannot be applied; give --threshold X`);
    const t = fprThresholdFromRanks({ rows: kept.rows, ranks: [...kept.ranks], scores: [...kept.scores] }, flags.fpr);
    return {
      detector: { ...detector, threshold: t.value },
      threshold: { value: t.value, mode: 'fpr', rate: { target: flags.fpr, expected: t.expected, low: t.low, high: t.high, rows: t.rows } },
    };
  }
  const flagging = requireThreshold(detector, modelPath, 'give --threshold X or train it with netae train');
  return { detector: flagging, threshold: own ?? { value: flagging.threshold, mode: 'fixed' } };
}
