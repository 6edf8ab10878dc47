import type { Gpu } from '../../gpu/device';
import { BYTES, maxBindingBytes } from '../../gpu/tensor';
import type { HeldOutScores, Model, Threshold } from '../../model/model';
import { withGains } from '../../model/gains';
import { DeviceRowStore, rowCount, type DeviceRows, type RowBlocks } from '../../model/device-rows';
import { permutation, seededRandom } from '../../model/random';
import { SQUARED, STUDENT_NU, type RowScore } from '../../model/row-score';
import { Scorer } from '../../model/scorer';
import { defaultSpec, formatSpec, parseSpec } from '../../model/spec';
import { MIN_ROWS_HELD_OUT, TRAIN_DEFAULTS, train, type TrainOptions, type TrainResult } from '../../model/trainer';
import {
  DEFAULT_SCALING, Featurizer, fitFeaturizer, normalRows,
  type Dataset, type Scaling, type ThresholdRule, type TransformReport,
} from '../../pipeline';
import { quote } from '../../pipeline/errors';
import type { RowStore } from '../../pipeline/training-rows';
import type { Detector } from './detector';
import type { TrainingRecord } from './summary';
import { checkThresholdRule, DEFAULT_THRESHOLD, pickThreshold } from './threshold';

export interface DetectorOptions extends Omit<TrainOptions, 'spec' | 'initial'> {
  /** A layer spec or preset (`deep`, `seed`); default: `deep` for the data's width. */
  readonly layers?: string;
  readonly scaling?: Scaling;
  /** The bound on scaled numeric values (default: DEFAULT_BOUND with robust scaling). */
  readonly bound?: number;
  /** Default: DEFAULT_THRESHOLD. */
  readonly threshold?: ThresholdRule;
  /**
   * `standardised` (default): a row's score weighs each feature's squared error by the inverse of
   * its mean on held-out normal rows (see `standardiseErrors`); `plain`: the mean squared error,
   * which is also what a model whose output is not the identity (`:sigmoid`) gets.
   */
  readonly errors?: 'standardised' | 'plain';
  /**
   * With standardised errors, how a row's weighted errors make its score (src/model/row-score.ts):
   * their mean (`squared`, the default) or Student's t with ν = STUDENT_NU. Plain errors are always `squared`.
   */
  readonly rowScore?: RowScore['kind'];
  /** Told, as it is done, what was done that the user did not ask for: training on a sample of the normal rows that the device holds. */
  readonly onNote?: (note: string) => void;
  /**
   * The rows to train on, put on the GPU once the features are fitted on the dataset's normal rows:
   * at most `most` (what the device holds in one buffer) of the `normalRows` there were, the normal
   * rows of a larger sample of the file than the dataset, say, and the repairs made reading them.
   * Default: the dataset's normal rows.
   */
  readonly trainingRows?: (gpu: Gpu, featurizer: Featurizer, most: number) => Promise<{ rows: DeviceRows; report: TransformReport; normalRows: number }>;
}

/** Fewer Adam steps than this, or fewer held-out rows behind a threshold, and a warning says so. */
export const ENOUGH_STEPS = 300;
export const ENOUGH_THRESHOLD_ROWS = 1000;

export interface Fitted extends Detector {
  readonly threshold: number;
  readonly training: TrainResult;
  /** Repairs made while reading the training rows: in the normal rows transformed, or in every row read again (`trainingRows`). */
  readonly repairs: TransformReport;
  /** What the user should know: too few steps or rows, columns fitting had to treat specially. */
  readonly warnings: string[];
}

/**
 * Fits the featurizer on the normal rows of a dataset, trains an autoencoder on them,
 * and picks the threshold: everything `netae train` and the demo page do.
 */
export async function fitDetector(gpu: Gpu, dataset: Dataset, options: DetectorOptions = {}): Promise<Fitted> {
  const rule = options.threshold ?? DEFAULT_THRESHOLD;
  checkThresholdRule(rule, dataset);
  const scaling = options.scaling ?? DEFAULT_SCALING;
  const { featurizer, rows, report, notes } = await trainingData(gpu, dataset, options);
  const rowsTrainedOn = rowCount(rows);
  const {
    layers: _layers, scaling: _scaling, bound: _bound, threshold: _threshold, errors: _errors, rowScore: _rowScore, onNote: _onNote, trainingRows: _rows, ...trainOptions
  } = options;
  const validation = options.validation ?? heldOutShare(rowsTrainedOn);
  let spec: Model['spec'];
  let standardise: boolean;
  let training: TrainResult;
  let scored: { params: Float32Array; featurizer: Featurizer; heldOut: RowBlocks; unit: number };
  let score: RowScore;
  let picked: { threshold: Threshold; heldOut: HeldOutScores };
  try {
    for (const note of notes) options.onNote?.(note);
    spec = options.layers ? parseSpec(options.layers, featurizer.width) : defaultSpec(featurizer.width);
    standardise = (options.errors ?? 'standardised') === 'standardised' && spec.activations.at(-1) === 'identity';
    if (options.rowScore === 'student-t' && !standardise) {
      throw new Error(`a Student-t row score needs errors standardised per feature, which a model whose output is ${spec.activations.at(-1)} does not have: leave out --row-score or end the layers with the identity`);
    }
    training = await train(gpu, rows, { ...trainOptions, validation, spec });
    const heldOut = training.heldOutRows;
    scored = standardise
      ? await standardiseErrors(gpu, spec, training.params, featurizer, heldOut)
      : { params: training.params, featurizer, heldOut, unit: 0 };
    score = options.rowScore === 'student-t' && scored.unit > 0
      ? { kind: 'student-t', nu: STUDENT_NU, unit: scored.unit }
      : SQUARED;
    const scorer = Scorer.create(gpu, spec, scored.params, { chunkRows: FIT_CHUNK, score });
    try {
      picked = await pickThreshold(rule, scorer, scored.featurizer, dataset, scored.heldOut);
    } finally {
      scorer.release();
    }
  } finally {
    rows.tensor.buffer.destroy();
  }
  const batchSize = options.batchSize ?? TRAIN_DEFAULTS.batchSize;
  const warnings = [
    ...(featurizer.features.notes ?? []),
    ...fewRowsWarnings(training, batchSize, picked.heldOut.rows, rule, validation),
  ];
  const model: Model = {
    spec,
    params: scored.params,
    meta: {
      features: scored.featurizer.toJSON(),
      threshold: picked.threshold,
      heldOut: picked.heldOut,
      score,
      training: {
        layers: formatSpec(spec),
        rows: rowsTrainedOn,
        trainRows: training.trainRows,
        validationRows: training.validationRows,
        validation,
        epochs: training.history.length,
        bestEpoch: training.bestEpoch,
        stopped: training.stopped,
        steps: training.steps,
        batchSize,
        lr: options.lr ?? TRAIN_DEFAULTS.lr,
        weightDecay: options.weightDecay ?? TRAIN_DEFAULTS.weightDecay,
        seed: options.seed ?? TRAIN_DEFAULTS.seed,
        scaling,
        errors: standardise ? 'standardised' : 'plain',
        trainLoss: training.history.at(-1)?.trainLoss ?? null,
        valLoss: training.history[training.bestEpoch - 1]?.valLoss ?? null,
        seconds: training.seconds,
        samplesPerSecond: training.samplesPerSecond,
        source: fileName(dataset.file),
        repairs: report.columns,
        warnings,
      } satisfies TrainingRecord,
    },
  };
  return { model, featurizer: scored.featurizer, threshold: picked.threshold.value, training, repairs: report, warnings };
}

/**
 * Which of `rows` normal rows of `cols` features to train on: all of them (null) when they fit in
 * one buffer of `bindingBytes`, else a uniform sample, drawn by `seed`, of as many as fit, in their
 * order, and a note that says so.
 */
export function rowsTheDeviceHolds(bindingBytes: number, rows: number, cols: number, seed: number): { kept: Uint32Array | null; notes: string[] } {
  const most = rowsThatFit(bindingBytes, cols);
  if (rows <= most) return { kept: null, notes: [] };
  return {
    kept: permutation(rows, seededRandom(seed)).subarray(0, most).sort(),
    notes: [deviceSampleNote(most, rows, bindingBytes, cols)],
  };
}

/** Rows of `cols` features that one buffer of `bindingBytes` holds. */
function rowsThatFit(bindingBytes: number, cols: number): number {
  return Math.floor(bindingBytes / (cols * BYTES));
}

/** What training on `kept` of `normalRows` rows, as many of `cols` features as one buffer of `bindingBytes` holds, says. */
function deviceSampleNote(kept: number, normalRows: number, bindingBytes: number, cols: number): string {
  return `training on a uniform sample of ${count(kept)} of the ${count(normalRows)} normal rows: this device holds at most ${count(bindingBytes)} bytes `
    + `in one buffer, ${count(kept)} rows of ${count(cols)} features (--max-rows N reads fewer rows)`;
}

/** The featurizer fitted on a dataset's normal rows, and those rows. */
export function fitNormal(dataset: Dataset, options: Pick<DetectorOptions, 'scaling' | 'bound'>) {
  const normal = normalRows(dataset.table, dataset.schema, dataset);
  const scaling = options.scaling ?? DEFAULT_SCALING;
  const featurizer = fitFeaturizer(dataset.schema, normal.table, { scaling, ...(options.bound === undefined ? {} : { clip: options.bound }) });
  if (featurizer.width === 0) throw new Error(noFeatures(dataset, normal.table.numRows()));
  return { featurizer, normal };
}

/**
 * Why a dataset's normal rows give no feature: every column is the label, dropped (`--drop`) or
 * left out as an identifier, or every feature left is constant in them.
 */
function noFeatures(dataset: Dataset, rows: number): string {
  const { schema } = dataset;
  const features = new Set([...schema.features.numeric, ...schema.features.categorical]);
  const leftOut = (schema.leftOut ?? []).map((l) => l.column);
  const others = new Set([schema.label, schema.categoryColumn, ...leftOut]);
  const dropped = schema.preset === null ? dataset.table.columnNames().filter((c) => !features.has(c) && !others.has(c)) : [];
  const names = (columns: readonly string[]) => `${columns.map((c) => quote(c)).join(', ')} ${columns.length === 1 ? 'is' : 'are'}`;
  const why = [
    ...(dropped.length ? [`${names(dropped)} dropped with --drop`] : []),
    ...(leftOut.length ? [`${names(leftOut)} left out as identifiers (--category COLUMN keeps one as categories, --log1p COLUMN as numbers)`] : []),
  ];
  if (features.size === 0) {
    const label = schema.label === null ? [] : [`${names([schema.label])} the label`];
    return `${dataset.file}: no column is left to be a feature: ${[...label, ...why].join('; ')}`;
  }
  const normal = rows === 1 ? 'one normal row' : `${count(rows)} normal rows`;
  return `every feature${why.length ? ' left' : ''} is constant in the ${normal} of ${dataset.file}: nothing to learn${why.length ? ` (${why.join('; ')})` : ''}`;
}

/**
 * The featurizer, the rows to train on as the GPU holds them (as many as fit in one buffer), the
 * repairs made reading them, and notes on what was left out to make them fit. The rows are the
 * caller's to release; the host keeps no copy of them.
 */
async function trainingData(gpu: Gpu, dataset: Dataset, options: DetectorOptions): Promise<{ featurizer: Featurizer; rows: DeviceRows; report: TransformReport; notes: string[] }> {
  const bindingBytes = maxBindingBytes(gpu);
  if (options.trainingRows === undefined) {
    const { featurizer, normal } = fitNormal(dataset, options);
    const { kept, notes } = rowsTheDeviceHolds(bindingBytes, normal.table.numRows(), featurizer.width, options.seed ?? TRAIN_DEFAULTS.seed);
    const store = new DeviceRowStore(gpu, kept?.length ?? normal.table.numRows(), featurizer.width);
    try {
      const report = putNormalRows(featurizer, normal, kept, store);
      return { featurizer, rows: store.rows(), report, notes };
    } catch (error) {
      store.release();
      throw error;
    }
  }
  const { featurizer } = fitNormal(dataset, options);
  const { rows, report, normalRows } = await options.trainingRows(gpu, featurizer, rowsThatFit(bindingBytes, featurizer.width));
  const kept = rowCount(rows);
  if (kept === 0) {
    rows.tensor.buffer.destroy();
    throw new Error(`${dataset.file}: no normal row was read to train on`);
  }
  const notes = normalRows > kept ? [deviceSampleNote(kept, normalRows, bindingBytes, featurizer.width)] : [];
  return { featurizer, rows, report, notes };
}

/**
 * The normal rows transformed a block at a time into the store, those `kept` (all when null) in
 * slots 0, 1, …: the host never holds them all. Returns the repairs made in all of them.
 */
export function putNormalRows(featurizer: Featurizer, normal: ReturnType<typeof fitNormal>['normal'], kept: Uint32Array | null, store: Pick<RowStore, 'put'>): TransformReport {
  const width = featurizer.width;
  let k = 0;
  return featurizer.transformInBlocks(normal.table, normal.origin, (block, first, count) => {
    if (kept === null) {
      for (let i = 0; i < count; i++) store.put(first + i, block, i * width);
      return;
    }
    for (; k < kept.length && kept[k] < first + count; k++) store.put(k, block, (kept[k] - first) * width);
  });
}

/**
 * A feature's held-out error below this share of the mean over features counts as this share:
 * a feature the model reconstructs almost exactly on normal traffic then weighs at most
 * 1 / ERROR_FLOOR times the average, so that a small shift in it cannot swamp the rest.
 */
export const ERROR_FLOOR = 0.1;

/**
 * Per-feature weights from the mean squared error of each feature on held-out normal rows:
 * w_f = 1 / max(e_f, ERROR_FLOOR · mean e), scaled to mean 1. A row's weighted error
 * Σ w_f (x_f − x̂_f)² / n counts each feature in units of what the model gets wrong on normal
 * traffic for it: a feature that normal traffic leaves unpredictable (a busy categorical
 * column, a noisy count) weighs less, one the model predicts closely weighs more. It is the
 * Gaussian log-likelihood of the residuals with a variance per feature, up to constants.
 */
export function errorWeights(meanErrors: ArrayLike<number>): Float64Array {
  const n = meanErrors.length;
  let mean = 0;
  for (let f = 0; f < n; f++) mean += meanErrors[f] / n;
  const floor = ERROR_FLOOR * mean;
  const inverse = Float64Array.from(meanErrors, (e) => 1 / Math.max(e, floor));
  if (!(mean > 0) || !inverse.every(Number.isFinite)) return new Float64Array(n).fill(1);
  const average = inverse.reduce((a, b) => a + b, 0) / n;
  return inverse.map((w) => w / average);
}

/** The mean squared error of each feature over the rows, reconstructed by the scorer's model. */
async function meanFeatureErrors(scorer: Scorer, rows: RowBlocks): Promise<Float64Array> {
  const { cols } = rows;
  const errors = new Float64Array(cols);
  for (let r0 = 0; r0 < rows.rows; r0 += scorer.chunk) {
    const x = await rows.read(r0, Math.min(scorer.chunk, rows.rows - r0));
    const y = await scorer.reconstruct(x);
    for (let i = 0; i < x.length; i++) errors[i % cols] += (y[i] - x[i]) ** 2;
  }
  return errors.map((e) => e / rows.rows);
}

/**
 * Weighs each feature's error by `errorWeights` of its error on the held-out normal rows, by
 * folding √w into the features' gains and the model's first and last layers (`withGains`): the
 * kernels compute the plain mean squared error of the weighted model, which is the weighted
 * error of the trained one. Returns the weighted parameters and featurizer, the held-out rows
 * as the weighted featurizer encodes them, and `unit`, the mean weighted error of a feature on
 * them, Σ_f w_f·e_f / F (the unit of the Student-t row score, src/model/row-score.ts).
 */
export async function standardiseErrors(
  gpu: Gpu, spec: Model['spec'], params: Float32Array, featurizer: Featurizer, heldOut: RowBlocks,
): Promise<{ params: Float32Array; featurizer: Featurizer; heldOut: RowBlocks; weights: Float64Array; unit: number }> {
  const scorer = Scorer.create(gpu, spec, params, { chunkRows: FIT_CHUNK });
  let errors: Float64Array;
  try {
    errors = await meanFeatureErrors(scorer, heldOut);
  } finally {
    scorer.release();
  }
  const weights = errorWeights(errors);
  const unit = weights.reduce((sum, w, f) => sum + w * errors[f], 0) / weights.length;
  const gains = weights.map(Math.sqrt);
  const cols = heldOut.cols;
  return {
    params: withGains(spec, params, gains),
    featurizer: new Featurizer(featurizer.schema, featurizer.features.weighted(weights)),
    heldOut: { ...heldOut, read: async (first, count) => (await heldOut.read(first, count)).map((v, i) => v * gains[i % cols]) },
    weights,
    unit: Number.isFinite(unit) ? unit : 0,
  };
}

/**
 * The share of normal rows held out by default: 10 %, or enough for ENOUGH_THRESHOLD_ROWS
 * rows to set the threshold on, as long as 70 % are left to train on.
 */
export function heldOutShare(rows: number): number {
  return Math.max(TRAIN_DEFAULTS.validation, Math.min(0.3, ENOUGH_THRESHOLD_ROWS / rows));
}

/**
 * Rows a scorer takes at a time while fitting. Its buffers (two input slots, every layer's output,
 * the reconstruction and its read-back) are made at this size, so that scoring the held-out rows,
 * or a whole training file for best F1, holds a few MiB of them however many rows there are.
 */
const FIT_CHUNK = 8192;

function fewRowsWarnings(training: TrainResult, batchSize: number, thresholdRows: number, rule: ThresholdRule, validation: number): string[] {
  const warnings: string[] = [];
  if (training.stopped !== 'aborted' && training.steps < ENOUGH_STEPS) {
    const batch = Math.min(batchSize, training.trainRows);
    warnings.push(
      `only ${training.steps} training steps (${count(training.trainRows)} normal rows in batches of ${batch}, ${training.history.length} epochs): `
      + `the model may not have learnt normal traffic; give more normal rows, or a smaller --batch or more --epochs, for at least ${ENOUGH_STEPS} steps`,
    );
  }
  if (rule.kind === 'fixed' || rule.kind === 'best-f1') return warnings;
  if (training.validationRows === 0) {
    const why = validation === 0 ? '--validation 0' : `fewer than ${MIN_ROWS_HELD_OUT} normal rows`;
    warnings.push(
      `the threshold is set on the ${count(thresholdRows)} training rows, none held out (${why}): the rate it flags on new normal traffic is likely higher than on them; `
      + (validation === 0 ? 'give a --validation share to hold some out' : 'give more normal rows'),
    );
  } else if (thresholdRows < ENOUGH_THRESHOLD_ROWS) {
    warnings.push(
      `the threshold comes from ${count(thresholdRows)} held-out normal rows (fewer than ${count(ENOUGH_THRESHOLD_ROWS)}): the rate of normal rows it flags is known only roughly; `
      + 'give more normal rows or a larger --validation share',
    );
  }
  return warnings;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * The last part of a path: a model records the name of its training file, not where it lay. A
 * descriptor's path (`/dev/fd/63`, which `--data <(zcat …)` passes) names no file: it is a pipe.
 */
function fileName(path: string): string {
  return /^\/(?:dev|proc\/self)\/fd\/\d+$/.test(path) ? 'pipe' : path.replace(/^.*[\\/]/, '');
}
