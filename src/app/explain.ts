import { categoryKey } from '../pipeline/features';
import type { FeaturesJSON } from '../pipeline/features';

/**
 * Why a row scored high, relative to normal traffic: the input columns whose features the
 * model reconstructs worst, each with the row's value and the value the model expected.
 *
 * A row's score is the mean of its squared reconstruction errors `(xⱼ − x̂ⱼ)²` over its features
 * (each already weighted by its gain², see `FittedFeatures.weighted`).
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
  /** The row's value: a number for a numeric column (NaN when missing), the category's text otherwise. */
  readonly value: number | string;
  /** The model's expectation in the column's units: a number, or a category (`<unseen>` for none seen in training). */
  readonly expected: number | string;
  /** This column's share of the row's squared reconstruction error, in [0, 1]. */
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

/** Explains rows of one fitted feature pipeline: the columns in feature order, and how to unscale each. */
export class Explainer {
  private readonly slots: readonly Slot[];
  readonly width: number;

  constructor(features: FeaturesJSON) {
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
  }

  /** The input columns, in feature order. */
  get columns(): string[] {
    return this.slots.map((s) => s.column);
  }

  /**
   * The `k` columns with the largest share of one row's error, largest first. `x` and `recon`
   * are the row's features and their reconstruction (length `width`); `raw(column)` is the
   * row's value of a column as read.
   */
  explain(x: ArrayLike<number>, recon: ArrayLike<number>, raw: (column: string) => unknown, k: number): ColumnError[] {
    const errors = this.slots.map((slot) => {
      const n = slot.kind === 'numeric' ? 1 : slot.categories.length;
      let sum = 0;
      for (let j = slot.at; j < slot.at + n; j++) sum += (x[j] - recon[j]) ** 2;
      return sum;
    });
    const total = errors.reduce((a, b) => a + b, 0);
    const order = errors.map((_, s) => s).sort((a, b) => errors[b] - errors[a]).slice(0, k);
    return order.map((s) => {
      const slot = this.slots[s];
      const share = total > 0 ? errors[s] / total : 0;
      if (slot.kind === 'numeric') {
        return { column: slot.column, value: numberOf(raw(slot.column)), expected: unscale(slot, recon[slot.at]), share };
      }
      return { column: slot.column, value: categoryKey(raw(slot.column)), expected: expectedCategory(slot, recon), share };
    });
  }
}

function unscale(slot: NumericSlot, reconstructed: number): number {
  const v = Math.min(slot.high, Math.max(slot.low, reconstructed / slot.gain / slot.scale + slot.offset));
  return slot.log1p ? Math.sign(v) * Math.expm1(Math.abs(v)) : v;
}

function expectedCategory(slot: CategoricalSlot, recon: ArrayLike<number>): string {
  let best = 0;
  const on = (c: number) => recon[slot.at + c] / slot.gains[c];
  for (let c = 1; c < slot.categories.length; c++) if (on(c) > on(best)) best = c;
  return slot.categories[best];
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
