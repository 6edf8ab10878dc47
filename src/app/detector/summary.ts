import { rowScoreOf, type Model, type Threshold } from '../../model/model';
import type { RowScore } from '../../model/row-score';
import { formatSpec, parameterCount } from '../../model/spec';
import type { Scaling, TransformReport } from '../../pipeline';
import type { Detector } from './detector';

/** How a model was trained, as `fitDetector` records it in the model file (`meta.training`). */
export interface TrainingRecord {
  readonly layers: string;
  /** Normal rows the features were fitted on: trained on plus held out. */
  readonly rows: number;
  readonly trainRows: number;
  readonly validationRows: number;
  /** The share of normal rows held out. */
  readonly validation: number;
  readonly epochs: number;
  readonly bestEpoch: number;
  readonly stopped: string;
  readonly steps: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly weightDecay: number;
  readonly seed: number;
  readonly scaling: Scaling;
  readonly errors: 'standardised' | 'plain';
  readonly trainLoss: number | null;
  readonly valLoss: number | null;
  readonly seconds: number;
  readonly samplesPerSecond: number;
  /** The training file's name, without its folder. */
  readonly source: string;
  readonly repairs: TransformReport['columns'];
  readonly warnings: readonly string[];
}

/**
 * What a detector is and how it was trained, for a terminal, a JSON summary or the page. The
 * training fields come from the model file's record and are null where it lacks them (a model
 * written by an older netae, or not by netae).
 */
export interface DetectorSummary {
  readonly layers: string;
  readonly parameters: number;
  readonly features: number;
  readonly scaling: Scaling;
  readonly bound: number;
  readonly log1p: readonly string[];
  readonly dropped: readonly { column: string; reason: string }[];
  /** Columns of a generic file left out as identifiers, with why. */
  readonly leftOut: readonly { column: string; reason: string }[];
  readonly threshold: Threshold | undefined;
  /** Whether the threshold was set on the training rows, none held out (`thresholdOnTrainingRows`). */
  readonly thresholdOnTrainingRows: boolean;
  /** How rows are scored (src/model/row-score.ts). */
  readonly score: RowScore;
  readonly trainedOn: string | null;
  readonly trainRows: number | null;
  readonly validationRows: number | null;
  readonly epochs: number | null;
  readonly steps: number | null;
  readonly bestEpoch: number | null;
  readonly stopped: string | null;
  readonly trainLoss: number | null;
  readonly valLoss: number | null;
  readonly seconds: number | null;
  readonly samplesPerSecond: number | null;
}

function numberOr(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function textOr(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** The summary of a detector: its model, its features and the record of its training. */
export function summarize(detector: Detector): DetectorSummary {
  const { model, featurizer } = detector;
  const features = featurizer.features;
  const t: Readonly<Record<string, unknown>> = model.meta.training ?? {};
  return {
    layers: formatSpec(model.spec),
    parameters: parameterCount(model.spec),
    features: featurizer.width,
    scaling: features.scaling,
    bound: features.bound,
    log1p: features.log1p,
    dropped: features.dropped,
    leftOut: featurizer.schema.leftOut ?? [],
    threshold: model.meta.threshold,
    thresholdOnTrainingRows: thresholdOnTrainingRows(model),
    score: rowScoreOf(model),
    trainedOn: textOr(t.source),
    trainRows: numberOr(t.trainRows),
    validationRows: numberOr(t.validationRows),
    epochs: numberOr(t.epochs),
    steps: numberOr(t.steps),
    bestEpoch: numberOr(t.bestEpoch),
    stopped: textOr(t.stopped),
    trainLoss: numberOr(t.trainLoss),
    valLoss: numberOr(t.valLoss),
    seconds: numberOr(t.seconds),
    samplesPerSecond: numberOr(t.samplesPerSecond),
  };
}

/**
 * Whether a model's threshold was set on the rows it was trained on: none were held out
 * (`--validation 0`, or fewer than 10 normal rows), so the threshold's rule had only those. The
 * share of them it flags then says less than it does of held-out rows: new normal traffic, which
 * the model was not fitted to, scores higher.
 */
export function thresholdOnTrainingRows(model: Pick<Model, 'meta'>): boolean {
  return model.meta.training?.validationRows === 0;
}

/** A row score in words, for a summary: what a row's score is the mean of. */
export function describeRowScore(score: RowScore): string {
  if (score.kind === 'squared') return 'the mean squared error of the features';
  const tau = score.nu * score.unit;
  return `the mean over features of log(1 + e / ${tau.toPrecision(3)}), e a feature's squared error (Student's t, ν ${score.nu}, unit ${score.unit.toPrecision(3)})`;
}
