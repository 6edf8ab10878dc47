import { table, type ColumnTable } from 'arquero';
import { columnValues, lineOf, type RowOrigin } from './columns';
import { InputError } from './errors';
import { parseNumber } from './values';

/** Which columns become features, and how. */
export interface FeatureSpec {
  numeric: string[];
  categorical: string[];
  /** Numeric columns put through a signed log1p, `sign(x)·log(1+|x|)`, before fitting and scaling. */
  log1p?: string[];
  /** Keep this many most frequent categories per column (ties by name); the rest count as unseen. */
  maxCategories?: number;
}

export type Scaling = 'minmax' | 'standard';

/** The scaling netae uses unless told otherwise. */
export const DEFAULT_SCALING: Scaling = 'standard';

export interface FitOptions {
  /** `minmax` (default) maps the fitted range to [0, 1]; `standard` subtracts the mean, divides by the standard deviation. */
  scaling?: Scaling;
  /** Scaled values are clipped to [-clip, clip] (default 1e6), so no output overflows float32. */
  clip?: number;
}

interface NumericEncoder {
  column: string;
  log1p: boolean;
  /** Replacement for a missing value (the median), for +Infinity (the max), for -Infinity (the min); after log1p. */
  fill: number;
  high: number;
  low: number;
  /** Output = (value − offset) · scale. */
  offset: number;
  scale: number;
}

interface CategoricalEncoder {
  column: string;
  /** One output per category, then one for categories not seen in fitting. */
  categories: string[];
}

export interface FeaturesJSON {
  kind: 'netae-features';
  version: 1;
  scaling: Scaling;
  clip: number;
  numeric: NumericEncoder[];
  categorical: CategoricalEncoder[];
  dropped: { column: string; reason: string }[];
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
  /** Values replaced: missing + infinite + clipped, over all columns. */
  repaired: number;
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
const DEFAULT_CLIP = 1e6;

/**
 * Fits features on training rows with Arquero: per numeric column its min, max, median, mean and
 * (population) standard deviation over finite values; per categorical column its vocabulary.
 *
 * Repair rule (applied by `transform`, every repair counted): a missing number (empty, `-`, NaN…)
 * becomes the fitted median, +Infinity the fitted max, −Infinity the fitted min; then signed log1p
 * where asked, then scaling, then clipping to ±clip. A column with a single value (or no finite
 * value) in the fitting rows is dropped, and listed in `dropped`.
 */
export function fitFeatures(rows: ColumnTable, spec: FeatureSpec, options: FitOptions = {}): FittedFeatures {
  const scaling = options.scaling ?? 'minmax';
  const clip = options.clip ?? DEFAULT_CLIP;
  if (rows.numRows() === 0) throw new Error('cannot fit features on zero rows');
  const dropped: { column: string; reason: string }[] = [];
  const numeric = fitNumeric(rows, spec, scaling, dropped);
  const categorical = fitCategorical(rows, spec, dropped);
  return new FittedFeatures({ kind: 'netae-features', version: 1, scaling, clip, numeric, categorical, dropped });
}

function fitNumeric(rows: ColumnTable, spec: FeatureSpec, scaling: Scaling, dropped: FeaturesJSON['dropped']): NumericEncoder[] {
  const log = new Set(spec.log1p ?? []);
  const clean: Record<string, Float64Array> = {};
  spec.numeric.forEach((name, j) => {
    const values = numbersOf(rows, name);
    const finite = new Float64Array(values.length);
    const useLog = log.has(name);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      finite[i] = Number.isFinite(v) ? (useLog ? signedLog1p(v) : v) : NaN;
    }
    clean[`c${j}`] = finite;
  });
  const aggregates: Record<string, string> = {};
  spec.numeric.forEach((_, j) => {
    for (const stat of ['min', 'max', 'median', 'mean', 'stdevp']) aggregates[`${stat}${j}`] = `op.${stat}(d.c${j})`;
  });
  const stats = spec.numeric.length === 0 ? {} : (table(clean).rollup(aggregates).object() as Record<string, number | undefined>);
  const encoders: NumericEncoder[] = [];
  spec.numeric.forEach((column, j) => {
    const low = stats[`min${j}`];
    const high = stats[`max${j}`];
    if (low === undefined || high === undefined || !Number.isFinite(low) || !Number.isFinite(high)) {
      dropped.push({ column, reason: 'no finite value in the fitting rows' });
      return;
    }
    if (!(high > low)) {
      dropped.push({ column, reason: `constant (${low}) in the fitting rows` });
      return;
    }
    const fill = stats[`median${j}`]!;
    const [offset, scale] = scaling === 'minmax' ? [low, 1 / (high - low)] : [stats[`mean${j}`]!, 1 / stats[`stdevp${j}`]!];
    encoders.push({ column, log1p: log.has(column), fill, high, low, offset, scale });
  });
  return encoders;
}

function fitCategorical(rows: ColumnTable, spec: FeatureSpec, dropped: FeaturesJSON['dropped']): CategoricalEncoder[] {
  const encoders: CategoricalEncoder[] = [];
  for (const column of spec.categorical) {
    const keys = Array.from(columnValues(rows, column), categoryKey);
    const counts = table({ key: keys }).groupby('key').count({ as: 'n' });
    const vocabulary = counts.objects() as { key: string; n: number }[];
    if (vocabulary.length < 2) {
      dropped.push({ column, reason: `constant ("${vocabulary[0]?.key ?? ''}") in the fitting rows` });
      continue;
    }
    vocabulary.sort((a, b) => b.n - a.n || compare(a.key, b.key));
    const kept = vocabulary.slice(0, spec.maxCategories ?? vocabulary.length).map((v) => v.key);
    encoders.push({ column, categories: kept.sort(compare) });
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
    this.numeric = spec.numeric.map((encoder, slot) => ({ column: encoder.column, slot, encoder, clip: spec.clip }));
    let base = spec.numeric.length;
    this.categorical = spec.categorical.map((e) => {
      const feature = { column: e.column, base, lookup: new Map(e.categories.map((c, k) => [c, k])), unseen: e.categories.length };
      base += e.categories.length + 1;
      return feature;
    });
  }

  get dropped(): readonly { column: string; reason: string }[] {
    return this.spec.dropped;
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
    this.requireColumns(rows.columnNames(), origin?.file);
    const numeric = this.numeric.map((f) => ({ f, values: numbersOf(rows, f.column, origin), counts: zeroCounts() }));
    const categorical = this.categorical.map((f) => ({ f, values: columnValues(rows, f.column), counts: zeroCounts() }));
    for (let start = 0; start < n; start += BLOCK_ROWS) {
      const end = Math.min(n, start + BLOCK_ROWS);
      for (const { f, values, counts } of numeric) {
        for (let i = start, at = start * width + f.slot; i < end; i++, at += width) matrix[at] = encodeNumber(values[i], f, counts);
      }
      for (const { f, values, counts } of categorical) {
        for (let i = start, at = start * width + f.base; i < end; i++, at += width) {
          const v = values[i];
          matrix[at + categorySlot(typeof v === 'string' ? v : categoryKey(v), f, counts)] = 1;
        }
      }
    }
    const report = emptyReport(n);
    for (const { f, counts } of [...numeric, ...categorical]) count(report, f.column, counts);
    return { matrix, rows: n, width, report };
  }

  toJSON(): FeaturesJSON {
    return structuredClone(this.spec);
  }

  /** Rebuilds a fitted pipeline from `toJSON()` output; an Error saying what is wrong otherwise. */
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
        `the fitted features need column(s) the data lacks: ${missing.map((c) => `"${c}"`).join(', ')}`,
      );
    }
  }
}

/** Rows encoded per pass over the columns, so a block of output stays in cache. */
const BLOCK_ROWS = 256;

/**
 * One value of a numeric column as its feature: a missing value becomes the fill, ±Infinity the
 * fitted max/min, a finite value goes through signed log1p where fitted so; then scaled and
 * clipped. Each repair is counted in `counts`. `transform` and the byte decoder both call this.
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
  return v;
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

/** Repairs made in one column. */
export function zeroCounts(): RepairCounts {
  return { missing: 0, infinite: 0, clipped: 0, unseen: 0 };
}

/** A report of `rows` rows with no repairs yet. */
export function emptyReport(rows = 0): TransformReport {
  return { rows, repaired: 0, unseen: 0, columns: {} };
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
  const sum = add.missing + add.infinite + add.clipped;
  if (sum === 0 && add.unseen === 0) return;
  const counts = (report.columns[column] ??= zeroCounts());
  counts.missing += add.missing;
  counts.infinite += add.infinite;
  counts.clipped += add.clipped;
  counts.unseen += add.unseen;
  report.repaired += sum;
  report.unseen += add.unseen;
}

function signedLog1p(v: number): number {
  if (v === 0) return v;
  return v < 0 ? -Math.log1p(-v) : Math.log1p(v);
}

/** The text a categorical value is looked up by: text as is, a number in its shortest form, missing as the empty string. */
export function categoryKey(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value))) return '';
  return String(value);
}

/** A numeric column as numbers; text (e.g. from Arrow) is read by the parseNumber rule. */
function numbersOf(rows: ColumnTable, column: string, origin?: RowOrigin): ArrayLike<number> {
  const values = columnValues(rows, column);
  if (values instanceof Float64Array) return values;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const n = typeof v === 'number' ? v : typeof v === 'string' ? parseNumber(v) : v === null || v === undefined ? NaN : Number(v);
    if (n === undefined) {
      throw new InputError({ ...lineOf(origin, i), column }, `expected a number, found "${String(v)}"`);
    }
    out[i] = n;
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkFeaturesJSON(json: unknown): FeaturesJSON {
  const fail = (why: string): never => {
    throw new Error(`not a netae feature pipeline: ${why}`);
  };
  if (typeof json !== 'object' || json === null) return fail('expected an object');
  const j = json as Partial<FeaturesJSON>;
  if (j.kind !== 'netae-features') fail(`kind is ${JSON.stringify(j.kind)}, expected "netae-features"`);
  if (j.version !== 1) fail(`version ${JSON.stringify(j.version)} is not supported (expected 1)`);
  if (j.scaling !== 'minmax' && j.scaling !== 'standard') fail(`scaling ${JSON.stringify(j.scaling)}`);
  if (typeof j.clip !== 'number' || !(j.clip > 0)) fail('clip must be a positive number');
  if (!Array.isArray(j.numeric) || !Array.isArray(j.categorical) || !Array.isArray(j.dropped)) fail('numeric, categorical and dropped must be arrays');
  for (const e of j.numeric!) {
    const fields = [e.fill, e.high, e.low, e.offset, e.scale];
    if (typeof e.column !== 'string' || typeof e.log1p !== 'boolean' || !fields.every(Number.isFinite)) {
      fail(`numeric encoder ${JSON.stringify(e.column)} needs a column name, log1p and finite fill/high/low/offset/scale`);
    }
  }
  for (const e of j.categorical!) {
    if (typeof e.column !== 'string' || !Array.isArray(e.categories) || !e.categories.every((c) => typeof c === 'string')) {
      fail(`categorical encoder ${JSON.stringify(e.column)} needs a column name and string categories`);
    }
  }
  return j as FeaturesJSON;
}
