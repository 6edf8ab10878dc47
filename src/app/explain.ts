import type { FeaturesJSON } from '../pipeline/features';
import { categoryKey } from '../pipeline/values';
import { featureScore } from '../model/row-score';

/**
 * Why a row scored high, relative to normal traffic: the input columns whose features the
 * model reconstructs worst, each with the row's value and the value the model expected.
 *
 * A row's score is the mean over its features of their scores (src/model/row-score.ts): their
 * squared reconstruction errors `eⱼ = (xⱼ − x̂ⱼ)²` (each already weighted by its gain², see
 * `FittedFeatures.weighted`), or `log(1 + eⱼ/τ)` for a model scoring by Student's t. A column's
 * error below is the sum of its features' scores.
 * A numeric column is one feature; a categorical column is one feature per category (one-hot)
 * plus one for categories not seen in training, so its error is the sum over those. The share
 * of a column is its error over the row's total error. What the model expected is its
 * reconstruction in the column's own units: for a numeric column x̂ unscaled (x̂ / gain / scale +
 * offset), clamped to the range seen in training and, where the column went through the signed
 * log1p, put back through its inverse sign(v)·(e^|v| − 1); for a categorical column the
 * category whose feature it reconstructs highest, relative to that feature's gain.
 */
export interface ColumnError {
  readonly column: string;
  /**
   * The feature an analyst reads: the column for a numeric one; for a categorical one
   * `column=category`, the row's category (`column=<unseen>` for one outside those kept in training).
   */
  readonly feature: string;
  /** The row's value: a number for a numeric column (NaN when missing), the category's text otherwise. */
  readonly value: number | string;
  /** The model's expectation in the column's units: a number, or a category (`<unseen>` for none seen in training). */
  readonly expected: number | string;
  /** This column's share of the row's score, in [0, 1]. */
  readonly share: number;
}

const UNSEEN = '<unseen>';

interface NumericSlot {
  readonly kind: 'numeric';
  readonly column: string;
  readonly at: number;
  readonly offset: number;
  readonly scale: number;
  readonly gain: number;
  readonly log1p: boolean;
  /** The range seen in fitting (after log1p), to which an expectation is clamped. */
  readonly low: number;
  readonly high: number;
}

interface CategoricalSlot {
  readonly kind: 'categorical';
  readonly column: string;
  readonly at: number;
  /** The categories in feature order, then `<unseen>`. */
  readonly categories: readonly string[];
  /** Each feature's value when its category is present. */
  readonly gains: readonly number[];
}

type Slot = NumericSlot | CategoricalSlot;

/**
 * The columns of largest error of one row, by rank (largest first), as {@link Explainer.rank}
 * leaves them: typed arrays, so that rows are explained without an object each.
 */
export interface RankedColumns {
  /** The column, an index of {@link Explainer.columns}: numeric columns come first. */
  readonly columns: Int32Array;
  /** The feature naming it, an index of {@link Explainer.names}. */
  readonly features: Int32Array;
  /** Its share of the row's score. */
  readonly shares: Float64Array;
  /**
   * What the model expected: for a numeric column its value in the column's units; for a
   * categorical one the feature (an index of names) of the category expected.
   */
  readonly expected: Float64Array;
}

/** Explains rows of one fitted feature pipeline: the columns in feature order, and how to unscale each. */
export class Explainer {
  private readonly slots: readonly Slot[];
  readonly width: number;
  /** Feature names in feature order: numeric columns, then `column=category` and `column=<unseen>`. */
  readonly names: readonly string[];
  /** The numeric columns, the first of {@link columns}. */
  readonly numericColumns: number;
  /** The last row ranked by {@link rank}. */
  readonly ranked: RankedColumns;
  /** Per feature, the category it stands for ('' for a numeric one). */
  private readonly categories: readonly string[];
  private readonly errors: Float64Array;
  private readonly keys: Int32Array;

  /** `tail`: τ of the model's row score (row-score.ts `tailScale`), 0 for the mean squared error. */
  constructor(features: FeaturesJSON, private readonly tail = 0) {
    const slots: Slot[] = features.numeric.map((e, j) => ({
      kind: 'numeric', column: e.column, at: j, offset: e.offset, scale: e.scale, gain: e.gain ?? 1, log1p: e.log1p, low: e.low, high: e.high,
    }));
    let at = features.numeric.length;
    for (const e of features.categorical) {
      slots.push({
        kind: 'categorical', column: e.column, at, categories: [...e.categories, UNSEEN], gains: e.gains ?? new Array<number>(e.categories.length + 1).fill(1),
      });
      at += e.categories.length + 1;
    }
    this.slots = slots;
    this.width = at;
    this.numericColumns = features.numeric.length;
    this.names = slots.flatMap((s) => (s.kind === 'numeric' ? [s.column] : s.categories.map((c) => `${s.column}=${c}`)));
    this.categories = slots.flatMap((s) => (s.kind === 'numeric' ? [''] : s.categories));
    this.errors = new Float64Array(slots.length);
    this.keys = new Int32Array(slots.length);
    const n = slots.length;
    this.ranked = { columns: new Int32Array(n), features: new Int32Array(n), shares: new Float64Array(n), expected: new Float64Array(n) };
  }

  /** The input columns, in feature order. */
  get columns(): string[] {
    return this.slots.map((s) => s.column);
  }

  /** The category a categorical feature (an index of {@link names}) stands for. */
  category(feature: number): string {
    return this.categories[feature];
  }

  /**
   * One row's error by input column: `errors[at + s]` is column s's error
   * (a categorical column's summed over its one-hot features) and `keys[at + s]` the feature that
   * names it (the numeric column's own; for a categorical column the category the row holds, its
   * largest one-hot input). Returns the row's total error, the sum of the features' scores
   * (`(xⱼ − x̂ⱼ)²`, or `log(1 + (xⱼ − x̂ⱼ)²/τ)`).
   * The row starts at `offset` in `x` and `recon` (rows of a matrix are read in place).
   */
  columnErrors(x: ArrayLike<number>, recon: ArrayLike<number>, errors: Float64Array | Float32Array, keys: Int32Array, at = 0, offset = 0): number {
    let total = 0;
    for (let s = 0; s < this.slots.length; s++) {
      const slot = this.slots[s];
      let sum: number;
      let key = offset + slot.at;
      if (slot.kind === 'numeric') {
        sum = featureScore((x[key] - recon[key]) ** 2, this.tail);
      } else {
        sum = 0;
        for (let j = offset + slot.at; j < offset + slot.at + slot.categories.length; j++) {
          sum += featureScore((x[j] - recon[j]) ** 2, this.tail);
          if (x[j] > x[key]) key = j;
        }
      }
      errors[at + s] = sum;
      keys[at + s] = key - offset;
      total += sum;
    }
    return total;
  }

  /**
   * One row's share of error by input column, `shares[at + s]` = column s's error over the row's
   * total (all 0 when the row is reconstructed exactly), with the features naming them as in
   * {@link columnErrors}: what {@link DriverTally} adds up.
   */
  contributions(x: ArrayLike<number>, recon: ArrayLike<number>, shares: Float64Array | Float32Array, keys: Int32Array, at = 0): void {
    const total = this.columnErrors(x, recon, shares, keys, at);
    for (let s = 0; s < this.slots.length; s++) shares[at + s] = total > 0 ? shares[at + s] / total : 0;
  }

  /**
   * Ranks one row's columns by their share of its error into {@link ranked}: the `k` largest
   * (all columns when there are fewer), largest first, ties in feature order, each with the
   * feature naming it (as in {@link columnErrors}), its share (0 when the row is reconstructed
   * exactly) and what the model expected. Returns how many were ranked. `x` and `recon` are
   * the row's features and their reconstruction, the row starting at `offset` in both.
   */
  rank(x: ArrayLike<number>, recon: ArrayLike<number>, k: number, offset = 0): number {
    const { errors, keys, ranked } = this;
    const total = this.columnErrors(x, recon, errors, keys, 0, offset);
    const count = largest(errors, Math.min(k, errors.length), ranked.columns);
    for (let r = 0; r < count; r++) {
      const s = ranked.columns[r];
      const slot = this.slots[s];
      ranked.features[r] = keys[s];
      ranked.shares[r] = total > 0 ? errors[s] / total : 0;
      ranked.expected[r] = slot.kind === 'numeric' ? unscale(slot, recon[offset + slot.at]) : slot.at + expectedCategory(slot, recon, offset);
    }
    return count;
  }

  /**
   * The `k` columns with the largest share of one row's error, as {@link rank} ranks them.
   * `raw(column)` is the row's value of a column as read (for a categorical column, undefined
   * takes the category its features hold).
   */
  explain(x: ArrayLike<number>, recon: ArrayLike<number>, raw: (column: string) => unknown, k: number, offset = 0): ColumnError[] {
    const count = this.rank(x, recon, k, offset);
    const { columns, features, shares, expected } = this.ranked;
    return Array.from({ length: count }, (_, r) => {
      const { column } = this.slots[columns[r]];
      const feature = this.names[features[r]];
      const share = shares[r];
      if (columns[r] < this.numericColumns) return { column, feature, value: numberOf(raw(column)), expected: expected[r], share };
      const value = raw(column);
      return { column, feature, value: value === undefined ? this.category(features[r]) : categoryKey(value), expected: this.category(expected[r]), share };
    });
  }
}

/** The features that drive a category's detections: their mean share of error over its flagged rows. */
export interface CategoryDrivers {
  readonly category: string;
  /** The rows added for this category: its flagged rows. */
  readonly flagged: number;
  /** The features with the largest mean share, largest first. */
  readonly features: readonly { readonly feature: string; readonly share: number }[];
}

/**
 * Adds up rows' shares of error by feature, per category: a feature's mean share over a
 * category's rows says how much of their error, on average, it carries. Shares are by the
 * features of {@link Explainer.contributions}, so a categorical column's error counts under the
 * row's own category (`flag=S0`), and the shares of each row sum to 1.
 */
export class DriverTally {
  private readonly sums = new Map<string, { rows: number; shares: Float64Array }>();

  constructor(private readonly names: readonly string[]) {}

  /** One row of a category: `shares[at + s]` of its error goes to feature `keys[at + s]`, for its `columns` columns. */
  add(category: string, shares: ArrayLike<number>, keys: ArrayLike<number>, at: number, columns: number): void {
    let sum = this.sums.get(category);
    if (sum === undefined) this.sums.set(category, (sum = { rows: 0, shares: new Float64Array(this.names.length) }));
    sum.rows++;
    for (let s = at; s < at + columns; s++) sum.shares[keys[s]] += shares[s];
  }

  /** Per category (in name order), its `top` features by mean share. */
  drivers(top: number): CategoryDrivers[] {
    return [...this.sums].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([category, { rows, shares }]) => {
      const order = Array.from(shares.keys()).filter((j) => shares[j] > 0).sort((a, b) => shares[b] - shares[a] || a - b);
      return { category, flagged: rows, features: order.slice(0, top).map((j) => ({ feature: this.names[j], share: shares[j] / rows })) };
    });
  }
}

/**
 * The indices of the `k` largest values into `top`, largest first, ties in index order (a sort's
 * first `k`, without sorting); returns how many (`k`, or fewer when there are fewer values).
 */
function largest(values: Float64Array, k: number, top: Int32Array): number {
  if (k <= 0) return 0;
  let count = 0;
  for (let s = 0; s < values.length; s++) {
    const v = values[s];
    if (count === k && !(v > values[top[k - 1]])) continue;
    let at = Math.min(count, k - 1);
    while (at > 0 && v > values[top[at - 1]]) at--;
    if (count < k) count++;
    for (let j = count - 1; j > at; j--) top[j] = top[j - 1];
    top[at] = s;
  }
  return count;
}

function unscale(slot: NumericSlot, reconstructed: number): number {
  const v = Math.min(slot.high, Math.max(slot.low, reconstructed / slot.gain / slot.scale + slot.offset));
  return slot.log1p ? Math.sign(v) * Math.expm1(Math.abs(v)) : v;
}

/** The category (its index in the slot) whose feature the row's reconstruction holds highest, relative to the feature's gain. */
function expectedCategory(slot: CategoricalSlot, recon: ArrayLike<number>, offset: number): number {
  let best = 0;
  let high = recon[offset + slot.at] / slot.gains[0];
  for (let c = 1; c < slot.categories.length; c++) {
    const on = recon[offset + slot.at + c] / slot.gains[c];
    if (on > high) {
      best = c;
      high = on;
    }
  }
  return best;
}

function numberOf(value: unknown): number {
  if (typeof value === 'number') return value;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : NaN;
}

/** A number as an analyst reads it: whole numbers with thousands separators, others to four significant digits. */
export function formatValue(value: number | string): string {
  if (typeof value === 'string') return value === '' ? '(empty)' : value;
  if (Number.isNaN(value)) return 'missing';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const abs = Math.abs(value);
  if (abs >= 1e6 || abs < 1e-3) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

/**
 * What the model expected, as text: `≈ 137` for a number (rounded to a whole number when the
 * row's value is one: counts stay counts), the category otherwise.
 */
export function expectedText(e: ColumnError): string {
  if (typeof e.expected === 'string') return formatValue(e.expected);
  const whole = typeof e.value === 'number' && Number.isInteger(e.value) && Number.isFinite(e.expected);
  return `≈ ${formatValue(whole ? Math.round(e.expected) : e.expected)}`;
}

/** One column error as a line: `resp_bytes 181,540 (expected ≈ 137) 62%`. */
export function formatColumnError(e: ColumnError): string {
  return `${e.column} ${formatValue(e.value)} (expected ${expectedText(e)}) ${(e.share * 100).toFixed(0)}%`;
}

/** A category's drivers as one line: `conn_state=REJ 41%, id.resp_p=<unseen> 22%`. */
export function formatDrivers(d: CategoryDrivers): string {
  return d.features.map((f) => `${f.feature} ${(f.share * 100).toFixed(0)}%`).join(', ');
}
