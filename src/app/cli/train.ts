import { createReadStream, statSync } from 'node:fs';
import type { ColumnTable } from 'arquero';
import type { Gpu } from '../../gpu/device';
import { DeviceRowStore, type DeviceRows } from '../../model/device-rows';
import { encodeModel } from '../../model/model';
import { TRAIN_DEFAULTS } from '../../model/trainer';
import { presetFeaturesIn, presetTitle, recognisePreset, unlabelledCount, type Dataset, type GenericSpec, type Scaling, type SchemaSpec, type ThresholdRule } from '../../pipeline';
import type { TransformReport } from '../../pipeline/features';
import type { SampleEdge } from '../../pipeline/row-sample';
import { presetColumns, readOptionsFor } from '../../pipeline/schema';
import { getPreset } from '../../pipeline/presets';
import { defaultThreads, parallelDecoding } from '../../pipeline/decode-pool-node';
import type { Featurizer } from '../../pipeline/featurizer';
import { firstRowsFile, readDatasetFile, readRecordsFile } from '../../pipeline/io-node';
import { readTrainingRows, TrainingSample } from '../../pipeline/training-rows';
import { InputError, quote } from '../../pipeline/errors';
import { distinctValues, plainCategory, plainLabel, rowValues } from '../../pipeline/guess-label';
import { toDataset } from '../../pipeline/dataset';
import { checkThresholdRule, DEFAULT_THRESHOLD, describeRowScore, fitDetector, summarize, type Fitted } from '../detector';
import { printableLines } from '../format';
import { blankRowsNote, repairLines, repairTotals } from '../repairs';
import { withGpu } from './gpu';
import { checkNamesFor, hasSchemaFlags, NO_CATEGORY, schemaSpec, type DataFlags } from './options';
import { Interrupted, UsageError } from './errors';
import { openOutput, standardOutput, type Output } from './output';
import { checkInputs } from './paths';
import { notice, reporter } from './progress';
import { spool } from './spool';
import { describeThreshold, thresholdRule, type ThresholdFlags } from './threshold';
import type { RowScore } from '../../model/row-score';

export interface TrainFlags extends DataFlags, ThresholdFlags {
  data: string;
  out: string;
  layers?: string;
  epochs?: number;
  batch?: number;
  lr?: number;
  weightDecay?: number;
  seed?: number;
  validation?: number;
  patience?: number;
  maxRows?: number;
  fitRows?: number;
  scaling?: Scaling;
  threads?: number;
  bound?: number;
  rowScore?: RowScore['kind'];
  json?: boolean;
}

/** What a run of `netae train` did, for the terminal or as JSON. */
export function trainSummary(fitted: Fitted, out: string | null) {
  const s = summarize(fitted);
  return {
    model: out,
    layers: s.layers,
    parameters: s.parameters,
    features: s.features,
    preset: fitted.featurizer.schema.preset,
    label: fitted.featurizer.schema.label,
    normal: fitted.featurizer.schema.normal,
    attack: fitted.featurizer.schema.attack ?? null,
    attackCategory: fitted.featurizer.schema.categoryColumn,
    scaling: s.scaling,
    bound: s.bound,
    log1p: s.log1p,
    score: s.score,
    trainRows: s.trainRows ?? 0,
    validationRows: s.validationRows ?? 0,
    epochs: s.epochs ?? 0,
    steps: s.steps ?? 0,
    bestEpoch: s.bestEpoch ?? 0,
    stopped: s.stopped,
    trainLoss: s.trainLoss,
    valLoss: s.valLoss,
    threshold: s.threshold,
    thresholdOnTrainingRows: s.thresholdOnTrainingRows,
    samplesPerSecond: Math.round(s.samplesPerSecond ?? 0),
    seconds: Number((s.seconds ?? 0).toFixed(2)),
    repaired: fitted.repairs.repaired,
    clipped: fitted.repairs.clipped,
    unseen: fitted.repairs.unseen,
    repairs: fitted.repairs.columns,
    dropped: s.dropped,
    leftOut: s.leftOut,
    warnings: fitted.warnings,
  };
}

/** The summary's repair lines, indented under a `repairs` heading; none when nothing was repaired. */
export function repairSection(fitted: Fitted): string[] {
  const lines = repairLines(fitted.repairs.columns, fitted.featurizer);
  const rows = fitted.repairs.rows.toLocaleString('en-US');
  return lines.length ? [`repairs    ${repairTotals(fitted.repairs)} in ${rows} rows:`, ...lines.map((l) => `             ${l}`)] : [];
}

/**
 * Rows `netae train` reads at most; of a longer file it keeps a uniform sample of this many. The
 * fit's medians and quartiles and a model of a few thousand parameters gain nothing measurable
 * from more rows of the same traffic, while memory would grow with the file.
 */
export const MAX_TRAINING_ROWS = 1_000_000;

/**
 * Rows the feature pipeline is fitted on at most. Of a file with more rows, the medians, quartiles
 * and kept categories come from a uniform sample of this many (the training sample's rows with
 * the smallest keys), held as a table, and the training rows are decoded straight into the feature
 * matrix in a second read: no table of the whole training sample is made.
 */
export const FIT_ROWS = 200_000;

/** How messages name the training data: its path, or `stdin`. */
function fileLabel(path: string): string {
  return path === '-' ? 'stdin' : path;
}

/** Rows read from the head of a file to recognise its data set or its label column. */
const HEAD_ROWS = 2000;

/**
 * The columns' roles: from the flags; without any, from a preset the file's columns match; where
 * no label is given, with a note, from a label column plain enough to take (see {@link rolesFrom}).
 */
async function trainSpec(flags: TrainFlags, path: string): Promise<SchemaSpec> {
  const spec = await schemaSpec(flags);
  if ('preset' in spec) return spec;
  const file = fileLabel(flags.data);
  const read = await firstRowsFile(path, HEAD_ROWS, readOptionsFor(spec, file));
  if (read === null) return spec;
  checkNamesFor(read.format, flags.names, file);
  if (spec.names !== undefined && spec.header === undefined && (read.headerLine ?? 0) > 0) {
    notice('note', `${file}: line ${read.headerLine} read as a header (all text, no number; or the columns numbered 0, 1, 2, …), its names those of --names ${flags.names}; --no-header to read it as a record`);
  }
  const head = read.table;
  if (!hasSchemaFlags(flags)) {
    const preset = recognisePreset(head.columnNames());
    if (preset !== null) {
      const own = ownLabel(head, preset);
      notice('note', `${file} recognised as ${presetTitle(preset)}; --preset ${preset} assumed${own === null ? ''
        : `, its rows labelled in column ${quote(own.label)}, ${quote(own.normal)} as normal traffic, as the preset's ${quote(getPreset(preset).label)} is not in the file`}`);
      return { preset, ...(own === null ? {} : { label: own.label, normal: [own.normal] }), ...(flags.attackCategory === NO_CATEGORY ? { categoryColumn: null } : {}) };
    }
  }
  const roles = rolesFrom(head, spec, flags, file, 'in its first rows');
  if (roles.label === undefined && spec.categoryColumn !== undefined) {
    throw new UsageError(`--attack-category ${quote(spec.categoryColumn)} needs --label COLUMN: no column of ${file} is plain enough to take as the label in its first rows`);
  }
  return roles;
}

/**
 * The label of a file with a preset's features but not its label column, where one is plain
 * enough to take among the other columns (`plainLabel`), else null.
 */
function ownLabel(rows: ColumnTable, name: string): { label: string; normal: string } | null {
  const preset = getPreset(name);
  const columns = rows.columnNames();
  if (columns.includes(preset.label)) return null;
  const features = new Set([...preset.numeric, ...preset.categorical]);
  const values = distinctValues(rows);
  return plainLabel(columns.filter((c) => !features.has(c) && c !== preset.categoryColumn), values);
}

/**
 * The roles `rows` (a file's first rows, or a uniform sample of them) show beside the flags'
 * `spec`: where no label is given, with a note, a label column plain enough to take
 * (`plainLabel`: `label`, `class`, … holding a value such as `normal`, `BENIGN` or 0); and where
 * no `--attack-category` is given, with a note, the column naming each attack's category beside
 * the label (`plainCategory`), among the columns --drop, --category and --log1p leave. `spec`
 * unchanged where no label is found.
 */
function rolesFrom(rows: ColumnTable, spec: GenericSpec, flags: TrainFlags, file: string, where: string): GenericSpec {
  const given = new Set([...(flags.drop ?? []), ...(flags.category ?? []), ...(flags.log1p ?? [])]);
  const columns = rows.columnNames().filter((c) => !given.has(c) && c !== spec.categoryColumn);
  const values = distinctValues(rows);
  const guess = spec.label === undefined ? plainLabel(columns, values) : null;
  const label = spec.label ?? guess?.label;
  if (label === undefined || !rows.columnNames().includes(label)) return spec;
  const normal = guess === null ? [spec.normal ?? []].flat() : [guess.normal];
  if (guess !== null) {
    const seen = values(guess.label);
    const others = guess.others.length === 0 ? ''
      : `; ${guess.others.map((v) => quote(v)).join(', ')} taken as ${guess.others.length === 1 ? 'an attack' : 'attacks'} (--attack VALUE names the attacks, the rest left out)`;
    notice('note', `${file}: column ${quote(guess.label)} taken as the label, ${quote(guess.normal)} as normal traffic (of ${seen.slice(0, 6).map((v) => quote(v)).join(', ')}${seen.length > 6 ? ', …' : ''} ${where})${others}; --label COLUMN --normal VALUE to say otherwise`);
  }
  const category = flags.attackCategory === NO_CATEGORY ? null : spec.categoryColumn ?? plainCategory(columns, label, rowValues(rows, label, normal, spec.attack === undefined ? undefined : [spec.attack].flat()));
  if (category !== null && spec.categoryColumn === undefined) {
    notice('note', `${file}: column ${quote(category)} taken as the attack category, which eval reports detections by and no feature uses; --attack-category COLUMN or none to say otherwise`);
  }
  const withCategory = category === null ? spec : { ...spec, categoryColumn: category };
  if (guess === null) return withCategory;
  const known = knownFeatures(rows.columnNames(), { label, category, given, drop: flags.drop ?? [] }, file);
  const categorical = [...new Set([...(known.categorical ?? []), ...(spec.categorical ?? [])])].filter((c) => c !== label && c !== category);
  return { ...withCategory, ...known, label, normal, categorical: categorical.length ? categorical : undefined };
}

/**
 * The roles of a headerless data set's features (NSL-KDD's) where a file names them all under a
 * header or names of its own: its features as the preset reads them, its attack families, and its
 * other columns left out (with `drop`), in a note, but the label, the attack category and those
 * the flags give a role (`given`); none otherwise.
 */
function knownFeatures(
  columns: readonly string[],
  { label, category, given, drop }: { label: string; category: string | null; given: ReadonlySet<string>; drop: readonly string[] },
  file: string,
): Pick<GenericSpec, 'categorical' | 'drop' | 'families'> {
  const known = presetFeaturesIn(columns);
  if (known === null) return {};
  const features = new Set([...known.numeric, ...known.categorical]);
  const others = columns.filter((c) => c !== label && c !== category && !features.has(c) && !given.has(c));
  notice('note', `${file} has the features of ${presetTitle(known.name)} under names of its own: they are read as --preset ${known.name} reads them${others.length ? `; ${others.map((c) => quote(c)).join(', ')} left out, as no feature of it` : ''}`);
  const left = [...drop, ...others];
  return { categorical: [...known.categorical], ...(left.length ? { drop: left } : {}), ...(known.families === undefined ? {} : { families: known.families }) };
}

/**
 * The normal rows of the uniform sample of `rows` of the file's `total` rows (those with the
 * smallest keys, up to `edge`, which the first read found), at most `most` of them (those of them
 * with the smallest keys), decoded straight into the fitted features on the decoding threads and
 * put on the GPU as they come, the other rows passed over; the second read of a file larger than
 * the table the features were fitted on; with the repairs made and how many normal rows the
 * sample held.
 */
async function sampleRows(
  gpu: Gpu, path: string, fileName: string, featurizer: Featurizer,
  o: { total: number; rows: number; edge: SampleEdge | null; most: number; seed: number; threads: number; onRows: (rows: number) => void },
): Promise<{ rows: DeviceRows; report: TransformReport; normalRows: number }> {
  const decoding = parallelDecoding(o.threads);
  const label = featurizer.schema.label;
  const sample = new TrainingSample(o.seed, o.edge);
  const batches = readRecordsFile(path, featurizer, {
    ...featurizer.readOptions(fileName), decoding, texts: () => (label === null ? [] : [label]), skipOutside: sample,
  });
  const store = new DeviceRowStore(gpu, Math.min(o.most, o.rows, o.total), featurizer.width);
  try {
    const read = await readTrainingRows(batches, featurizer.schema, { sample, store, spent: (matrix) => decoding.giveBack(matrix), onRows: o.onRows });
    const count = (n: number) => n.toLocaleString('en-US');
    if (read.rowsRead !== o.total) {
      throw new InputError({ file: fileName }, `the file changed while it was read: ${count(o.total)} rows, then ${count(read.rowsRead)} read again; train on a copy that does not change`);
    }
    return { rows: store.rows(read.slots), report: read.report, normalRows: read.normalRows };
  } catch (error) {
    store.release();
    throw error;
  }
}

/**
 * Says what about the training data a user should know before trusting the model: a sample, no
 * labels, columns left out. `trainingSample`: the rows of the sample whose normal rows are read
 * again for training, when it is larger than the dataset.
 */
function dataNotices(dataset: Dataset, trainingSample: number | null): void {
  if (dataset.sampledFrom !== undefined) {
    const [kept, all] = [dataset.table.numRows(), dataset.sampledFrom].map((n) => n.toLocaleString('en-US'));
    if (trainingSample === null) {
      notice('note', `${dataset.file} holds ${all} rows; training reads a uniform sample of ${kept} of them (--max-rows N sets how many)`);
    } else {
      const trained = trainingSample === dataset.sampledFrom ? 'its normal rows' : `the normal rows of a uniform sample of ${trainingSample.toLocaleString('en-US')} of them (--max-rows N)`;
      notice('note', `${dataset.file} holds ${all} rows; the features are fitted on a uniform sample of ${kept} of them (--fit-rows N) and the model trained on ${trained}, read again`);
    }
  }
  if (dataset.labels === null) {
    const rows = (dataset.sampledFrom ?? dataset.table.numRows()).toLocaleString('en-US');
    notice('warning', `${dataset.file} has no label column: all ${rows} rows are taken as normal traffic, attacks included; `
      + 'name the label with --label COLUMN --normal VALUE (or use --preset)');
  }
  const { label, attack } = dataset.schema;
  const labels = dataset.labels;
  const unlabelled = labels === null ? 0 : unlabelledCount(labels);
  if (labels !== null && label !== null && unlabelled > 0) {
    const sampled = dataset.sampledFrom === undefined ? '' : ' of the sample';
    notice('note', `${dataset.file}: ${unlabelled.toLocaleString('en-US')} of the ${dataset.table.numRows().toLocaleString('en-US')} rows${sampled} have no label (-, empty or NA) in column ${quote(label)}`
      + `${attack ? `, or one neither normal nor an attack's (${attack.join(', ')})` : ''}: neither normal traffic nor attacks, they are left out`);
    const attacks = labels.isAnomaly.reduce((n, a) => n + a, 0) - unlabelled;
    if (attack !== undefined && attacks === 0) {
      notice('warning', `${dataset.file}: no label of the rows read is an attack's (${attack.join(', ')}): every row not normal is left out, and eval will have no attacks to measure`);
    }
  }
  if (dataset.blankRows > 0) notice('note', `${dataset.file}: ${blankRowsNote(dataset.blankRows)}`);
  const leftOut = dataset.schema.leftOut ?? [];
  if (leftOut.length > 0) {
    notice('note', `left out as identifiers: ${leftOut.map((l) => `${l.column} (${l.reason})`).join(', ')}; --category COLUMN keeps one as categories, --log1p COLUMN as numbers`);
  }
}

/** Whether `path` is a regular file, which can be read twice (not a named pipe or `/dev/stdin`). */
function isRegularFile(path: string): boolean {
  return statSync(path).isFile();
}

export async function trainCommand(flags: TrainFlags, signal: AbortSignal): Promise<void> {
  const rule = thresholdRule(flags) ?? DEFAULT_THRESHOLD;
  if (flags.out === '-') throw new UsageError('--out -: a model is a binary file; name the .safetensors file to write');
  const inputs = [{ flag: '--data', path: flags.data }, ...(flags.names === undefined ? [] : [{ flag: '--names', path: flags.names }])];
  checkInputs(inputs);
  const model = openOutput(flags.out, '--out', inputs);
  const stdout = standardOutput(inputs);
  const copy = flags.data === '-' ? await spool(process.stdin) : isRegularFile(flags.data) ? null : await spool(createReadStream(flags.data), flags.data);
  try {
    await train(flags, rule, copy?.path ?? flags.data, model, stdout, signal);
  } finally {
    copy?.remove();
  }
}

/** Trains on the file at `path` (a copy of standard input for `--data -`, or of a named pipe) and writes the model and its summary. */
async function train(flags: TrainFlags, rule: ThresholdRule, path: string, model: Output, stdout: Output, signal: AbortSignal): Promise<void> {
  const fileName = fileLabel(flags.data);
  const spec = await trainSpec(flags, path);
  const seed = flags.seed ?? TRAIN_DEFAULTS.seed;
  const maxRows = flags.maxRows ?? MAX_TRAINING_ROWS;
  const threads = flags.threads ?? defaultThreads();
  const fitRows = Math.min(maxRows, flags.fitRows ?? FIT_ROWS);
  const larger = maxRows > fitRows ? { larger: maxRows } : {};
  const progress = reporter(flags.json === true);
  try {
    const read = await readDatasetFile(path, spec, {
      select: presetColumns(spec), sample: { rows: fitRows, seed, ...larger }, threads, fileName, onRows: (rows) => progress.rows('read', rows),
    });
    progress.stop();
    const where = read.sampledFrom === undefined ? 'in all its rows' : 'in a uniform sample of its rows';
    const roles = read.labels === null && !('preset' in spec) && spec.label === undefined
      ? rolesFrom(read.table, spec, flags, fileName, `${where}, none normal in its first rows`)
      : spec;
    const dataset = roles === spec ? read : toDataset(read, roles);
    checkThresholdRule(rule, dataset);
    const total = dataset.sampledFrom;
    const secondRead = total !== undefined && maxRows > fitRows;
    dataNotices(dataset, secondRead ? Math.min(maxRows, total) : null);
    const fitted = await withGpu((gpu) => fitDetector(gpu, dataset, {
      layers: flags.layers,
      epochs: flags.epochs,
      batchSize: flags.batch,
      lr: flags.lr,
      weightDecay: flags.weightDecay,
      seed: flags.seed,
      validation: flags.validation,
      patience: flags.patience,
      scaling: flags.scaling,
      bound: flags.bound,
      rowScore: flags.rowScore,
      threshold: rule,
      onProgress: (e) => progress.training(e),
      onNote: (note) => {
        progress.stop();
        notice('note', note);
      },
      ...(secondRead ? { trainingRows: (gpu: Gpu, featurizer: Featurizer, most: number) => sampleRows(gpu, path, fileName, featurizer, {
        total, rows: maxRows, edge: dataset.largerSample ?? null, most, seed, threads, onRows: (rows) => progress.rows('read again', rows),
      }) } : {}),
      signal,
    }));
    progress.stop();
    if (fitted.training.stopped === 'aborted') throw new Interrupted();
    for (const warning of fitted.warnings) notice('warning', warning);
    await model.write(encodeModel(fitted.model));
    await stdout.write(summaryText(fitted, flags.out, flags.json === true));
    await model.commit();
  } finally {
    progress.stop();
  }
}

/** The summary for the terminal, or as JSON. */
function summaryText(fitted: Fitted, out: string, json: boolean): string {
  const summary = trainSummary(fitted, out);
  if (json) return `${JSON.stringify(summary, null, 2)}\n`;
  const count = (n: number) => n.toLocaleString('en-US');
  return printableLines([
    `model      ${summary.model} (${summary.layers}, ${count(summary.parameters)} parameters, ${summary.features} features)`,
    `features   ${summary.scaling} scaling, bound ±${summary.bound}; signed log1p on ${summary.log1p.length ? summary.log1p.join(', ') : 'no column'}`,
    `trained    ${count(summary.trainRows)} normal rows, ${summary.epochs} epochs, ${count(summary.steps)} steps (best epoch ${summary.bestEpoch}, ${summary.stopped}), ${summary.seconds} s, ${count(summary.samplesPerSecond)} samples/s`,
    `score      ${describeRowScore(summary.score)}`,
    `loss       train ${summary.trainLoss?.toExponential(3)}, validation ${summary.valLoss?.toExponential(3) ?? '—'} (${summary.validationRows ? `${count(summary.validationRows)} held-out rows` : 'no rows held out'})`,
    `threshold  ${summary.threshold ? describeThreshold(summary.threshold, summary.thresholdOnTrainingRows) : '—'}`,
    ...repairSection(fitted),
    ...(summary.dropped.length ? [`dropped    ${summary.dropped.map((d) => `${d.column} (${d.reason})`).join(', ')}`] : []),
  ]);
}
