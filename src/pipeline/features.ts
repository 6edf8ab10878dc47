import type { ColumnTable } from 'arquero';
import { columnValues, lineOf, type RowOrigin } from './columns';
import { InputError, quote } from './errors';
import { sortFloat64 } from './float-sort';
import { categoryKey, parseNumber } from './values';

/** Which columns become features, and how. */
export interface FeatureSpec {
  numeric: string[];
  categorical: string[];
  /** Numeric columns put through a signed log1p, `sign(x)·log(1+|x|)`, before fitting and scaling. */
  log1p?: string[];
  /** Keep this many most frequent categories per column (ties by name); the rest count as unseen. */
  maxCategories?: number;
}

export type Scaling = 'robust' | 'standard' | 'minmax';

/**
 * The scaling netae uses unless told otherwise: robust statistics fitted on normal rows, so a
 * handful of extreme normal values sets neither the centre nor the unit of a column (as they
 * set the mean and standard deviation, or the range). `bench/detection-cv.ts` compares it with
 * the others (docs/detection-cv.md).
 */
export const DEFAULT_SCALING: Scaling = 'robust';

/**
 * The bound on scaled values unless told otherwise, in units of the scaling (robust spreads,
 * standard deviations, fitted ranges; see `fitFeatures`).
 */
export const DEFAULT_BOUND = 3;

export interface FitOptions {
  /** `robust` (default): median and central quantile range; `minmax`: the fitted range to [0, 1]; `standard`: mean and standard deviation. */
  scaling?: Scaling;
  /**
   * The bound, in units of the scaling (default DEFAULT_BOUND). Robust and standard scaling map
   * ±clip units from the centre to ±1 and clip there; min-max scaling clips to ±clip.
   */
  clip?: number;
  /** `auto` (default): heavy-tailed columns go through signed log1p besides those the spec lists; `listed`: only those. */
  log1p?: 'auto' | 'listed';
}

interface NumericEncoder {
  column: string;
  log1p: boolean;
  /** Replacement for a missing value (the median), for +Infinity (the max), for -Infinity (the min); after log1p. */
  fill: number;
  high: number;
  low: number;
  /** Output = clip((value − offset) · scale) · gain. */
  offset: number;
  scale: number;
  /** The feature's weight in a row's squared error is gain² (see `FittedFeatures.weighted`); 1 when absent. */
  gain?: number;
}

interface CategoricalEncoder {
  column: string;
  /** One output per category, then one for categories not seen in fitting. */
  categories: string[];
  /** Distinct values in the fitting rows, when more than were kept (the rest go to the unseen slot). */
  distinct?: number;
  /** Each output's value when its category is present (one per category, then the unseen slot); 1 when absent. */
  gains?: number[];
}

export interface FeaturesJSON {
  kind: 'netae-features';
  version: 1;
  scaling: Scaling;
  /** Encoded numeric values are clipped to ±clip. */
  clip: number;
  /** The bound in units of the scaling, when the encoded values were divided by it (so that `clip` is 1). */
  bound?: number;
  numeric: NumericEncoder[];
  categorical: CategoricalEncoder[];
  dropped: { column: string; reason: string }[];
  /** What fitting did that a user should know (a column's range too wide to subtract in float64, say). */
  notes?: string[];
}

/** Per column: values repaired (missing, infinite), clipped, and categories not seen in fitting. */
export interface RepairCounts {
  missing: number;
  infinite: number;
  clipped: number;
  unseen: number;
}

export interface TransformReport {
  rows: number;
  /** Values replaced: missing + infinite, over all columns. */
  repaired: number;
  /** Scaled values beyond the bound, set to it, over all columns. */
  clipped: number;
  /** Values in categories not seen in fitting (they set the column's unseen slot). */
  unseen: number;
  /** Only columns with a non-zero count. */
  columns: Record<string, RepairCounts>;
}

export interface Transformed {
  /** Row-major [rows × width]. */
  matrix: Float32Array;
  rows: number;
  width: number;
  report: TransformReport;
}

const UNSEEN = '<unseen>';
/** The largest finite float32: features are float32, so no fitted factor or clip may exceed it. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * A column is heavy-tailed when its largest magnitude is at least this many times (1 + the
 * median magnitude of its non-zero values): its values span more than a decade above their
 * typical size, and reach well past 1, where signed log1p starts to compress (below 1 it is
 * nearly the identity, so rates and fractions keep their scale).
 */
const HEAVY_TAIL_RATIO = 10;

/**
 * Fits features on training rows: per numeric column its min, max and median over finite values
 * and, by scaling, its central quantile range (robust), its mean and population standard deviation
 * (standard) or its range (minmax); per categorical column its vocabulary.
 *
 * Min-max scaling: offset = min, scale = 1 / (max − min). Robust scaling: offset = median, scale =
 * 1 / spread, where the spread is the narrowest non-zero of the interquartile range, the 10–90 %
 * range, the 1–99 % range and the full range (a column that is mostly one value has no
 * interquartile range, but still a spread). Standard scaling: offset = mean, scale = 1 / standard
 * deviation. Scaled values are bounded by ±clip so that one extreme field cannot dominate a row's
 * error.
 *
 * The centred scalings (robust, standard) then divide by the bound, so that ±clip units from the
 * centre become ±1, the encoded bound: every numeric feature spans [−1, 1] and a one-hot slot
 * [0, 1], so no column can weigh in a row's squared error more than a few times another (a
 * numeric value saturates at 1 or 4, a category that changes adds 2). Left in scaled units, a
 * bound of 5 would let each numeric column add up to 100 against a category's 2, and deviations
 * of normal traffic in a few numeric columns would drown what the categories say (see
 * docs/detection-cv.md). Min-max scaling already maps the fitted range to [0, 1] and clips at
 * ±clip ranges.
 *
 * Signed log1p, `sign(x)·log(1+|x|)`, goes before scaling for the columns the spec lists and, with
 * `log1p: 'auto'`, for heavy-tailed ones (HEAVY_TAIL_RATIO), and always for a column whose range
 * exceeds float64's (whose difference `v − offset` would overflow).
 *
 * Statistics are computed without overflow for any finite input: quantiles by sorting, mean and
 * standard deviation on values divided by the largest magnitude.
 *
 * Repair rule (applied by `transform`, every repair counted): a missing number (empty, `-`, NaN…)
 * becomes the fitted median, +Infinity the fitted max, −Infinity the fitted min; then signed log1p
 * where chosen, then scaling, then clipping to ±clip, then the feature's gain (1 unless the
 * features were `weighted`). A column with a single value (or no finite
 * value) in the fitting rows is dropped, and listed in `dropped`.
 */
export function fitFeatures(rows: ColumnTable, spec: FeatureSpec, options: FitOptions = {}): FittedFeatures {
  const scaling = options.scaling ?? DEFAULT_SCALING;
  const clip = options.clip ?? DEFAULT_BOUND;
  if (rows.numRows() === 0) throw new Error('cannot fit features on zero rows');
  const dropped: { column: string; reason: string }[] = [];
  const notes: string[] = [];
  const listed = new Set(spec.log1p ?? []);
  const auto = (options.log1p ?? 'auto') === 'auto';
  const centred = scaling !== 'minmax';
  const numeric: NumericEncoder[] = [];
  for (const column of spec.numeric) {
    const encoder = fitNumeric(column, numbersOf(rows, column), scaling, centred ? clip : 1, listed.has(column), auto, dropped, notes);
    if (encoder !== null) numeric.push(encoder);
  }
  const categorical = fitCategorical(rows, spec, dropped);
  const bounds = centred ? { clip: 1, bound: clip } : { clip };
  return new FittedFeatures({
    kind: 'netae-features', version: 1, scaling, ...bounds, numeric, categorical, dropped, ...(notes.length ? { notes } : {}),
  });
}

/**
 * Sorted finite values of a column, optionally through signed log1p. Zeros, most of many network
 * columns, are counted rather than sorted (−0 before +0, as a Float64Array sorts them).
 */
function sortedFinite(values: ArrayLike<number>, log: boolean): Float64Array {
  let n = 0;
  let negativeZeros = 0;
  let zeros = 0;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === 0) {
      if (1 / v < 0) negativeZeros++;
      else zeros++;
    } else if (Number.isFinite(v)) {
      out[n++] = log ? signedLog1p(v) : v;
    }
  }
  sortFloat64(out.subarray(0, n));
  let split = 0;
  while (split < n && out[split] < 0) split++;
  out.copyWithin(split + negativeZeros + zeros, split, n);
  out.fill(-0, split, split + negativeZeros);
  out.fill(0, split + negativeZeros, split + negativeZeros + zeros);
  return out.subarray(0, n + negativeZeros + zeros);
}

/**
 * Sorted values through a non-decreasing function, sorted. The mapped values are already in order
 * unless rounding in `f` breaks a tie the wrong way, which a pass checks for (sorting then).
 */
function sortedMap(sorted: Float64Array, f: (v: number) => number): Float64Array {
  const out = sorted.map(f);
  for (let i = 1; i < out.length; i++) {
    const a = out[i - 1];
    const b = out[i];
    if (a > b || (a === 0 && b === 0 && 1 / a > 1 / b)) return sortFloat64(out);
  }
  return out;
}

/** The q-quantile of sorted values, interpolating linearly between order statistics; safe from overflow. */
function quantile(sorted: Float64Array, q: number): number {
  const at = (sorted.length - 1) * q;
  const i = Math.floor(at);
  const f = at - i;
  if (f === 0 || i + 1 >= sorted.length) return sorted[i];
  return sorted[i] * (1 - f) + sorted[i + 1] * f;
}

/** The narrowest non-zero of the central quantile ranges (see fitFeatures); 0 for a constant column. */
function robustSpread(sorted: Float64Array): number {
  for (const tail of [0.25, 0.1, 0.01, 0]) {
    const spread = halfDifference(quantile(sorted, 1 - tail), quantile(sorted, tail)) * 2;
    if (spread > 0) return spread;
  }
  return 0;
}

/**
 * Whether sorted finite values are heavy-tailed by the HEAVY_TAIL_RATIO rule. The magnitudes of
 * the non-zero values are two sorted runs, the negatives read backwards and the positives
 * forwards; their median is found by merging the runs up to it, without sorting again.
 */
function heavyTailed(sorted: Float64Array): boolean {
  let negatives = 0;
  while (negatives < sorted.length && sorted[negatives] < 0) negatives++;
  let positive = negatives;
  while (positive < sorted.length && sorted[positive] === 0) positive++;
  const count = negatives + sorted.length - positive;
  if (count === 0) return false;
  const largest = Math.max(negatives > 0 ? -sorted[0] : 0, positive < sorted.length ? sorted[sorted.length - 1] : 0);
  const at = (count - 1) * 0.5;
  const i = Math.floor(at);
  let n = negatives - 1;
  let p = positive;
  const next = () => (n >= 0 && (p >= sorted.length || -sorted[n] <= sorted[p]) ? -sorted[n--] : sorted[p++]);
  for (let k = 0; k < i; k++) next();
  const low = next();
  const median = at === i ? low : low * 0.5 + next() * 0.5;
  return largest >= HEAVY_TAIL_RATIO * (1 + median);
}

/** (a − b) / 2, without overflow. */
function halfDifference(a: number, b: number): number {
  return a / 2 - b / 2;
}

/** Mean and population standard deviation of finite values, computed on values divided by the largest magnitude. */
function meanAndDeviation(sorted: Float64Array): [number, number] {
  const m = Math.max(Math.abs(sorted[0]), Math.abs(sorted[sorted.length - 1]));
  let sum = 0;
  for (const v of sorted) sum += v / m;
  const mean = sum / sorted.length;
  let squares = 0;
  for (const v of sorted) squares += (v / m - mean) ** 2;
  return [mean * m, Math.sqrt(squares / sorted.length) * m];
}

/** `unit`: the number of the scaling's units that become 1 (the bound, for the centred scalings). */
function fitNumeric(
  column: string, values: ArrayLike<number>, scaling: Scaling, unit: number, listed: boolean, auto: boolean,
  dropped: FeaturesJSON['dropped'], notes: string[],
): NumericEncoder | null {
  let sorted = sortedFinite(values, listed);
  if (sorted.length === 0) {
    dropped.push({ column, reason: 'no finite value in the fitting rows' });
    return null;
  }
  let low = sorted[0];
  let high = sorted[sorted.length - 1];
  if (!(high > low)) {
    dropped.push({ column, reason: `constant (${listed ? Math.sign(low) * Math.expm1(Math.abs(low)) : low}) in the fitting rows` });
    return null;
  }
  let log = listed;
  if (!log) {
    const wide = !Number.isFinite(high - low);
    if (wide) notes.push(`${column}: its values span more than float64 can subtract (${low} to ${high}), so it is put through signed log1p`);
    if (wide || (auto && heavyTailed(sorted))) {
      log = true;
      sorted = sortedMap(sorted, signedLog1p);
      low = sorted[0];
      high = sorted[sorted.length - 1];
    }
  }
  const fill = quantile(sorted, 0.5);
  let offset: number;
  let spread: number;
  if (scaling === 'robust') [offset, spread] = [fill, robustSpread(sorted)];
  else if (scaling === 'standard') [offset, spread] = meanAndDeviation(sorted);
  else [offset, spread] = [low, halfDifference(high, low) * 2];
  const scale = 1 / spread / unit;
  if (!Number.isFinite(scale)) {
    dropped.push({ column, reason: `its spread (${spread}) is too small to scale in float64` });
    return null;
  }
  return { column, log1p: log, fill, high, low, offset, scale };
}

function fitCategorical(rows: ColumnTable, spec: FeatureSpec, dropped: FeaturesJSON['dropped']): CategoricalEncoder[] {
  const encoders: CategoricalEncoder[] = [];
  for (const column of spec.categorical) {
    const counts = new Map<string, number>();
    const values = columnValues(rows, column);
    for (let i = 0; i < values.length; i++) {
      const key = categoryKey(values[i]);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const vocabulary = Array.from(counts, ([key, n]) => ({ key, n }));
    if (vocabulary.length < 2) {
      dropped.push({ column, reason: `constant (${quote(vocabulary[0]?.key ?? '')}) in the fitting rows` });
      continue;
    }
    vocabulary.sort((a, b) => b.n - a.n || compare(a.key, b.key));
    const kept = vocabulary.slice(0, spec.maxCategories ?? vocabulary.length).map((v) => v.key);
    encoders.push({ column, categories: kept.sort(compare), ...(kept.length < vocabulary.length ? { distinct: vocabulary.length } : {}) });
  }
  return encoders;
}

/**
 * A fitted numeric column as {@link encodeNumber} reads it: its encoder and the clip bound.
 * `slot` is the column's place in an output row.
 */
export interface NumericFeature {
  readonly column: string;
  readonly slot: number;
  readonly encoder: NumericEncoder;
  readonly clip: number;
  /** The encoder's gain (1 unless weighted). */
  readonly gain: number;
}

/**
 * A fitted categorical column as {@link categorySlot} reads it: category text → place in the
 * column's one-hot block (`unseen`, the last place, for categories not seen in fitting).
 * `base` is the block's first place in an output row.
 */
export interface CategoricalFeature {
  readonly column: string;
  readonly base: number;
  readonly lookup: ReadonlyMap<string, number>;
  readonly unseen: number;
  /** Each place's value when its category is present: 1, or its gain once weighted. */
  readonly hot: Float32Array;
}

/** A fitted feature pipeline: turns rows into a row-major Float32Array. */
export class FittedFeatures {
  readonly width: number;
  /** Output feature names: numeric columns by name, then `column=category` and `column=<unseen>`. */
  readonly names: string[];
  /** The per-value encoders of {@link transform}, in output order; the byte decoder uses the same. */
  readonly numeric: readonly NumericFeature[];
  readonly categorical: readonly CategoricalFeature[];
  private readonly spec: FeaturesJSON;

  constructor(spec: FeaturesJSON) {
    this.spec = spec;
    this.names = [
      ...spec.numeric.map((e) => e.column),
      ...spec.categorical.flatMap((e) => [...e.categories.map((c) => `${e.column}=${c}`), `${e.column}=${UNSEEN}`]),
    ];
    this.width = this.names.length;
    this.numeric = spec.numeric.map((encoder, slot) => ({ column: encoder.column, slot, encoder, clip: spec.clip, gain: encoder.gain ?? 1 }));
    let base = spec.numeric.length;
    this.categorical = spec.categorical.map((e) => {
      const hot = e.gains ? Float32Array.from(e.gains) : new Float32Array(e.categories.length + 1).fill(1);
      const feature = { column: e.column, base, lookup: new Map(e.categories.map((c, k) => [c, k])), unseen: e.categories.length, hot };
      base += e.categories.length + 1;
      return feature;
    });
  }

  get dropped(): readonly { column: string; reason: string }[] {
    return this.spec.dropped;
  }

  /** What fitting did that a user should know (see FeaturesJSON). */
  get notes(): readonly string[] | undefined {
    return this.spec.notes;
  }

  get scaling(): Scaling {
    return this.spec.scaling;
  }

  /** The bound on scaled numeric values, in units of the scaling. */
  get bound(): number {
    return this.spec.bound ?? this.spec.clip;
  }

  /** Numeric columns put through signed log1p. */
  get log1p(): string[] {
    return this.spec.numeric.filter((e) => e.log1p).map((e) => e.column);
  }

  /** Per categorical column: the categories kept, and the distinct values fitted when more. */
  get categories(): { column: string; kept: number; distinct?: number }[] {
    return this.spec.categorical.map((e) => ({ column: e.column, kept: e.categories.length, distinct: e.distinct }));
  }

  /** The input columns the features read, numeric first. */
  get columns(): string[] {
    return [...this.numeric, ...this.categorical].map((f) => f.column);
  }

  /**
   * Rows → Float32Array [rows × width], repairing and counting as fitFeatures describes.
   * `origin` (a chunk or read result) lets errors name the file and line.
   */
  transform(rows: ColumnTable, origin?: RowOrigin): Transformed {
    const n = rows.numRows();
    const width = this.width;
    const matrix = new Float32Array(n * width);
    const report = this.encode(rows, origin, (start, end) => matrix.subarray(start * width, end * width));
    return { matrix, rows: n, width, report };
  }

  /**
   * As `transform`, a few hundred rows at a time into one reused block: `each` is given the block,
   * the index of its first row and how many rows it holds, before the next rows are encoded into
   * it. Memory holds one block, not the matrix.
   */
  transformInBlocks(rows: ColumnTable, origin: RowOrigin | undefined, each: (block: Float32Array, first: number, count: number) => void): TransformReport {
    const width = this.width;
    const block = new Float32Array(BLOCK_ROWS * width);
    return this.encode(rows, origin, (start, end) => block.fill(0).subarray(0, (end - start) * width), (encoded, start, end) => each(encoded, start, end - start));
  }

  /** Encodes the rows a block at a time into the zeroed rows `into` gives for them, then tells `done`. */
  private encode(
    rows: ColumnTable, origin: RowOrigin | undefined,
    into: (start: number, end: number) => Float32Array, done?: (encoded: Float32Array, start: number, end: number) => void,
  ): TransformReport {
    const n = rows.numRows();
    const width = this.width;
    this.requireColumns(rows.columnNames(), origin?.file);
    const numeric = this.numeric.map((f) => ({ f, values: numbersOf(rows, f.column, origin), counts: zeroCounts() }));
    const categorical = this.categorical.map((f) => ({ f, values: columnValues(rows, f.column), counts: zeroCounts() }));
    for (let start = 0; start < n; start += BLOCK_ROWS) {
      const end = Math.min(n, start + BLOCK_ROWS);
      const matrix = into(start, end);
      for (const { f, values, counts } of numeric) {
        for (let i = start, at = f.slot; i < end; i++, at += width) matrix[at] = encodeNumber(values[i], f, counts);
      }
      for (const { f, values, counts } of categorical) {
        for (let i = start, at = f.base; i < end; i++, at += width) {
          const v = values[i];
          encodeCategory(matrix, at, typeof v === 'string' ? v : categoryKey(v), f, counts);
        }
      }
      done?.(matrix, start, end);
    }
    const report = emptyReport(n);
    for (const { f, counts } of [...numeric, ...categorical]) count(report, f.column, counts);
    return report;
  }

  /** Per output feature, what its encoded value is multiplied by (the square root of its weight). */
  get gains(): Float64Array {
    return Float64Array.from([
      ...this.spec.numeric.map((e) => e.gain ?? 1),
      ...this.spec.categorical.flatMap((e) => e.gains ?? new Array<number>(e.categories.length + 1).fill(1)),
    ]);
  }

  /**
   * The same features with output f multiplied by √weights[f]: a model's plain squared error on
   * them is Σ weights[f]·(error of f) on these (see `src/model/gains.ts` for the model's side).
   */
  weighted(weights: ArrayLike<number>): FittedFeatures {
    if (weights.length !== this.width) throw new Error(`${weights.length} weights for ${this.width} features`);
    for (let f = 0; f < weights.length; f++) {
      if (!(weights[f] > 0 && Number.isFinite(weights[f]))) throw new Error(`feature weights must be positive and finite; ${this.names[f]} has ${weights[f]}`);
    }
    const gains = this.gains.map((g, f) => g * Math.sqrt(weights[f]));
    const spec = structuredClone(this.spec);
    spec.numeric.forEach((e, j) => (e.gain = gains[j]));
    let at = spec.numeric.length;
    for (const e of spec.categorical) {
      e.gains = Array.from(gains.subarray(at, at + e.categories.length + 1));
      at += e.categories.length + 1;
    }
    return new FittedFeatures(spec);
  }

  toJSON(): FeaturesJSON {
    return structuredClone(this.spec);
  }

  /** Rebuilds a fitted featurizer from `toJSON()` output; an Error saying what is wrong otherwise. */
  static fromJSON(json: unknown): FittedFeatures {
    return new FittedFeatures(checkFeaturesJSON(json));
  }

  /** An InputError naming the columns the features need that `names` lacks. */
  requireColumns(names: readonly string[], file: string | undefined): void {
    const has = new Set(names);
    const missing = this.columns.filter((c) => !has.has(c));
    if (missing.length > 0) {
      throw new InputError(
        { file },
        `the fitted features need column(s) the data lacks: ${missing.slice(0, 12).map((c) => quote(c)).join(', ')}${missing.length > 12 ? `, … (${missing.length} in all)` : ''}`,
      );
    }
  }
}

/** Rows encoded per pass over the columns, so a block of output stays in cache. */
const BLOCK_ROWS = 256;

/**
 * One value of a numeric column as its feature: a missing value becomes the fill, ±Infinity the
 * fitted max/min, a finite value goes through signed log1p where fitted so; then scaled,
 * clipped, rounded to float32 and multiplied by the gain. Each repair is counted in `counts`.
 * `transform` and the byte decoder both call this. The rounding before the gain makes a weighted
 * feature what training's held-out rows became when weighted, float32 features times their gains
 * (detector/fit.ts): the rows that set the threshold score as `score` scores them, ties and all.
 */
export function encodeNumber(value: number, f: NumericFeature, counts: RepairCounts): number {
  const e = f.encoder;
  let v = value;
  if (v !== v) {
    v = e.fill;
    counts.missing++;
  } else if (v === Infinity || v === -Infinity) {
    v = v > 0 ? e.high : e.low;
    counts.infinite++;
  } else if (e.log1p) {
    v = signedLog1p(v);
  }
  v = (v - e.offset) * e.scale;
  const clip = f.clip;
  if (v > clip || v < -clip) {
    v = v > 0 ? clip : -clip;
    counts.clipped++;
  }
  return Math.fround(v) * f.gain;
}

/**
 * The place of a category within its column's one-hot block: its fitted place, or the unseen
 * place (counted in `counts`) for a category not seen in fitting. Shared like {@link encodeNumber}.
 */
export function categorySlot(key: string, f: CategoricalFeature, counts: RepairCounts): number {
  const k = f.lookup.get(key);
  if (k !== undefined) return k;
  counts.unseen++;
  return f.unseen;
}

/**
 * Sets a category's feature in the one-hot block that starts at `matrix[at]`: its place
 * ({@link categorySlot}) gets the place's value (1, or its gain once weighted). The block must
 * be zero before. `transform` and the byte decoder both call this.
 */
export function encodeCategory(matrix: Float32Array, at: number, key: string, f: CategoricalFeature, counts: RepairCounts): void {
  const k = categorySlot(key, f, counts);
  matrix[at + k] = f.hot[k];
}

/** Repairs made in one column. */
export function zeroCounts(): RepairCounts {
  return { missing: 0, infinite: 0, clipped: 0, unseen: 0 };
}

/** A report of `rows` rows with no repairs yet. */
export function emptyReport(rows = 0): TransformReport {
  return { rows, repaired: 0, clipped: 0, unseen: 0, columns: {} };
}

/** Adds one column's repair counts into a report. */
export function addCounts(report: TransformReport, column: string, counts: RepairCounts): TransformReport {
  count(report, column, counts);
  return report;
}

/** Adds one report's counts into another (for streamed chunks). */
export function mergeReports(into: TransformReport, from: TransformReport): TransformReport {
  into.rows += from.rows;
  for (const [column, counts] of Object.entries(from.columns)) count(into, column, counts);
  return into;
}

function count(report: TransformReport, column: string, add: RepairCounts): void {
  const sum = add.missing + add.infinite;
  if (sum === 0 && add.clipped === 0 && add.unseen === 0) return;
  const counts = (report.columns[column] ??= zeroCounts());
  counts.missing += add.missing;
  counts.infinite += add.infinite;
  counts.clipped += add.clipped;
  counts.unseen += add.unseen;
  report.repaired += sum;
  report.clipped += add.clipped;
  report.unseen += add.unseen;
}

function signedLog1p(v: number): number {
  if (v === 0) return v;
  return v < 0 ? -Math.log1p(-v) : Math.log1p(v);
}

/** A numeric column as numbers; text (e.g. from Arrow) is read by the parseNumber rule. */
export function numbersOf(rows: ColumnTable, column: string, origin?: RowOrigin): ArrayLike<number> {
  const values = columnValues(rows, column);
  if (values instanceof Float64Array) return values;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const n = typeof v === 'number' ? v : typeof v === 'string' ? parseNumber(v) : v === null || v === undefined ? NaN : Number(v);
    if (n === undefined) {
      throw new InputError({ ...lineOf(origin, i), column }, `expected a number, found ${quote(v)}`);
    }
    out[i] = n;
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function positive(x: unknown): boolean {
  return typeof x === 'number' && x > 0 && Number.isFinite(x);
}

/** A value of a JSON field for a message: text quoted (at most 80 characters), anything else as JSON. */
function shown(value: unknown): string {
  return typeof value === 'string' ? quote(value) : String(JSON.stringify(value)).slice(0, 80);
}

function checkFeaturesJSON(json: unknown): FeaturesJSON {
  const fail = (why: string): never => {
    throw new Error(`not a netae feature pipeline: ${why}`);
  };
  if (typeof json !== 'object' || json === null) return fail('expected an object');
  const j = json as Partial<FeaturesJSON>;
  if (j.kind !== 'netae-features') fail(`kind is ${shown(j.kind)}, expected "netae-features"`);
  if (j.version !== 1) fail(`version ${shown(j.version)} is not supported (expected 1)`);
  if (j.scaling !== 'minmax' && j.scaling !== 'standard' && j.scaling !== 'robust') fail(`scaling ${shown(j.scaling)}`);
  if (typeof j.clip !== 'number' || !(j.clip > 0)) fail('clip must be a positive number');
  if (j.bound !== undefined && (typeof j.bound !== 'number' || !(j.bound > 0))) fail('bound must be a positive number');
  if (j.clip! > FLOAT32_MAX) fail(`clip ${j.clip} is beyond float32's range (${FLOAT32_MAX.toPrecision(3)}): features would overflow`);
  if (!Array.isArray(j.numeric) || !Array.isArray(j.categorical) || !Array.isArray(j.dropped)) fail('numeric, categorical and dropped must be arrays');
  for (const e of j.numeric!) {
    if (typeof e !== 'object' || e === null || typeof e.column !== 'string' || typeof e.log1p !== 'boolean') {
      fail('a numeric encoder needs a column name and log1p');
    }
    for (const field of ['fill', 'high', 'low', 'offset', 'scale'] as const) {
      if (typeof e[field] !== 'number' || !Number.isFinite(e[field])) fail(`numeric encoder ${quote(e.column)}: ${field} must be a finite number`);
    }
    if (!(e.scale > 0)) fail(`numeric encoder ${quote(e.column)}: scale must be > 0, found ${e.scale}`);
    if (e.scale > FLOAT32_MAX) fail(`numeric encoder ${quote(e.column)}: scale ${e.scale} is beyond float32's range (${FLOAT32_MAX.toPrecision(3)})`);
    if (e.gain !== undefined && !positive(e.gain)) fail(`numeric encoder ${quote(e.column)}: gain must be a positive number`);
    if (e.gain !== undefined && e.gain * j.clip! > FLOAT32_MAX) fail(`numeric encoder ${quote(e.column)}: gain ${e.gain} takes its features beyond float32's range (${FLOAT32_MAX.toPrecision(3)})`);
  }
  for (const e of j.categorical!) {
    if (typeof e !== 'object' || e === null || typeof e.column !== 'string' || !Array.isArray(e.categories) || !e.categories.every((c) => typeof c === 'string')) {
      fail(`categorical encoder ${quote(e?.column)} needs a column name and string categories`);
    }
    if (e.gains !== undefined && !(Array.isArray(e.gains) && e.gains.length === e.categories.length + 1 && e.gains.every((g) => positive(g) && g <= FLOAT32_MAX))) {
      fail(`categorical encoder ${quote(e.column)}: gains must be ${e.categories.length + 1} positive numbers within float32's range (one per category, then the unseen slot)`);
    }
  }
  return j as FeaturesJSON;
}
