import type { ColumnTable } from 'arquero';
import type { Gpu } from '../gpu/device';
import type { Model, Threshold } from '../model/model';
import { Scorer } from '../model/scorer';
import { defaultSpec, formatSpec, parseSpec } from '../model/spec';
import { TRAIN_DEFAULTS, train, type TrainOptions, type TrainResult } from '../model/trainer';
import {
  DEFAULT_SCALING, FittedPipeline, bestF1Threshold, evaluate, fitPipeline, mergeReports, normalRows, percentileThreshold,
  type Dataset, type Evaluation, type Labels, type RowOrigin, type Scaling, type ThresholdRule, type TransformReport,
} from '../pipeline';

export interface DetectorOptions extends Omit<TrainOptions, 'spec' | 'initial'> {
  /** A layer spec or preset (`deep`, `seed`); default: `deep` for the data's width. */
  readonly layers?: string;
  readonly scaling?: Scaling;
  /** Default: the 99th percentile of the held-out normal rows' scores. */
  readonly threshold?: ThresholdRule;
}

export const DEFAULT_THRESHOLD: ThresholdRule = { kind: 'percentile', percentile: 99 };

/** A trained model with its feature pipeline, ready to score raw records. */
export interface Detector {
  readonly model: Model;
  readonly pipeline: FittedPipeline;
  readonly threshold: number;
}

export interface Fitted extends Detector {
  readonly training: TrainResult;
  /** Repairs made while transforming the training rows. */
  readonly repairs: TransformReport;
}

/**
 * Fits the feature pipeline on the normal rows of a dataset, trains an autoencoder on them,
 * and picks the threshold: everything `netae train` and the demo page do.
 */
export async function fitDetector(gpu: Gpu, dataset: Dataset, options: DetectorOptions = {}): Promise<Fitted> {
  const normal = normalRows(dataset.table, dataset.schema, dataset);
  const pipeline = fitPipeline(dataset.schema, normal.table, { scaling: options.scaling ?? DEFAULT_SCALING });
  if (pipeline.width === 0) {
    const rows = normal.table.numRows();
    throw new Error(`every feature is constant in the ${rows === 1 ? 'one normal row' : `${rows.toLocaleString('en-US')} normal rows`} of ${dataset.file}: nothing to learn`);
  }
  const features = pipeline.transform(normal.table, normal.origin);
  const spec = options.layers ? parseSpec(options.layers, pipeline.width) : defaultSpec(pipeline.width);
  const matrix = { values: features.matrix, rows: features.rows, cols: features.width };
  const { layers: _layers, scaling: _scaling, threshold: _threshold, ...trainOptions } = options;
  const training = await train(gpu, matrix, { ...trainOptions, spec });
  const rule = options.threshold ?? DEFAULT_THRESHOLD;
  const scorer = Scorer.create(gpu, spec, training.params);
  let threshold: Threshold;
  try {
    threshold = await pickThreshold(rule, scorer, pipeline, dataset, matrix, training.heldOut);
  } finally {
    scorer.release();
  }
  const model: Model = {
    spec,
    params: training.params,
    meta: {
      features: pipeline.toJSON(),
      threshold,
      training: {
        layers: formatSpec(spec),
        rows: features.rows,
        trainRows: training.trainRows,
        validationRows: training.validationRows,
        epochs: training.history.length,
        bestEpoch: training.bestEpoch,
        stopped: training.stopped,
        batchSize: options.batchSize ?? TRAIN_DEFAULTS.batchSize,
        lr: options.lr ?? TRAIN_DEFAULTS.lr,
        weightDecay: options.weightDecay ?? TRAIN_DEFAULTS.weightDecay,
        seed: options.seed ?? TRAIN_DEFAULTS.seed,
        scaling: options.scaling ?? DEFAULT_SCALING,
        trainLoss: training.history.at(-1)?.trainLoss ?? null,
        valLoss: training.history[training.bestEpoch - 1]?.valLoss ?? null,
        seconds: training.seconds,
        samplesPerSecond: training.samplesPerSecond,
        source: dataset.file,
      },
    },
  };
  return { model, pipeline, threshold: threshold.value, training, repairs: features.report };
}

async function pickThreshold(
  rule: ThresholdRule, scorer: Scorer, pipeline: FittedPipeline, dataset: Dataset,
  matrix: { values: Float32Array; cols: number; rows: number }, heldOut: Uint32Array,
): Promise<Threshold> {
  if (rule.kind === 'fixed') return { value: rule.value, mode: 'fixed' };
  if (rule.kind === 'percentile') {
    const rows = heldOut.length ? heldOut : Uint32Array.from({ length: matrix.rows }, (_, i) => i);
    const values = new Float32Array(rows.length * matrix.cols);
    rows.forEach((r, i) => values.set(matrix.values.subarray(r * matrix.cols, (r + 1) * matrix.cols), i * matrix.cols));
    const scores = await scorer.score(values);
    return { value: percentileThreshold(scores, rule.percentile), mode: 'percentile', percentile: rule.percentile };
  }
  if (!dataset.labels || dataset.labels.normalCount === dataset.labels.isAnomaly.length) {
    throw new Error(`${dataset.file}: the best-F1 threshold needs labelled anomalies in the training file; use a percentile instead`);
  }
  const all = pipeline.transform(dataset.table, dataset);
  const scores = await scorer.score(all.matrix);
  return { value: bestF1Threshold(scores, dataset.labels.isAnomaly).threshold, mode: 'best-f1' };
}

/** A model file's detector; the file must hold netae's feature pipeline. */
export function detectorOf(model: Model, source = 'model file'): Detector {
  if (model.meta.features === undefined) {
    throw new Error(`${source} holds weights but no feature pipeline (not trained by netae), so it cannot read raw records`);
  }
  let pipeline: FittedPipeline;
  try {
    pipeline = FittedPipeline.fromJSON(model.meta.features);
  } catch (error) {
    throw new Error(`${source}: ${(error as Error).message}`);
  }
  if (pipeline.width !== model.spec.widths[0]) {
    throw new Error(`${source}: its feature pipeline gives ${pipeline.width} features but its model takes ${model.spec.widths[0]}`);
  }
  return { model, pipeline, threshold: model.meta.threshold?.value ?? Number.NaN };
}

export interface Scored {
  readonly scores: Float32Array;
  readonly labels: Labels | null;
  readonly repairs: TransformReport;
}

/** Transforms rows with the detector's pipeline and scores them; labels when the rows have them. */
export async function scoreRows(scorer: Scorer, detector: Detector, table: ColumnTable, origin?: RowOrigin): Promise<Scored> {
  const features = detector.pipeline.transform(table, origin);
  const label = detector.pipeline.schema.label;
  const labels = label !== null && table.columnNames().includes(label) ? detector.pipeline.labels(table) : null;
  return { scores: await scorer.score(features.matrix), labels, repairs: features.report };
}

export interface Report {
  /** Metrics at the model's threshold. */
  readonly atThreshold: Evaluation;
  /** Metrics at the threshold that maximises F1 on these labels (null with one class). */
  readonly atBestF1: Evaluation | null;
}

export function report(scores: Float32Array, labels: Labels, threshold: number): Report {
  const anomalies = labels.isAnomaly.reduce((n, a) => n + a, 0);
  const atThreshold = evaluate(scores, labels.isAnomaly, { threshold, categories: labels.category });
  const atBestF1 = anomalies > 0
    ? evaluate(scores, labels.isAnomaly, { threshold: bestF1Threshold(scores, labels.isAnomaly).threshold, categories: labels.category })
    : null;
  return { atThreshold, atBestF1 };
}

export function addRepairs(total: TransformReport | null, more: TransformReport): TransformReport {
  return total === null ? more : mergeReports(total, more);
}
