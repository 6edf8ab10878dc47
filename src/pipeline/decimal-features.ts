import { encodeNumber, zeroCounts, type NumericFeature } from './features';

/** Decimals held have at most this many digits after the point… */
export const DECIMAL_FRACTION_DIGITS = 2;
/** …and mantissas (their digits read as an integer: `0.05` → 5) below this, with few features… */
const MOST_MANTISSAS = 1024;
/** …or fewer, so that all features together hold at most this many per number of digits (a wide file's table stays small). */
const MANTISSA_BUDGET = 1 << 16;

/** A decimal's state: not encoded yet. */
export const UNKNOWN = 0;
/** A decimal's state: encoded, not clipped. */
export const ENCODED = 1;
/** A decimal's state: encoded, and clipped. */
export const CLIPPED = 2;

/**
 * Powers of ten that doubles hold exactly: an exact mantissa times or over one of them is rounded
 * once, as `Number` rounds the decimal.
 */
export const POW10 = Float64Array.from({ length: 23 }, (_, k) => 10 ** k);

/** The largest exponent of POW10, so the most digits after the point that {@link decimalValue} reads exactly. */
export const MAX_POWER = POW10.length - 1;

/**
 * The value of a decimal read as its mantissa (below 2^53) and its digits after the point (at
 * most MAX_POWER): the mantissa over an exact power of ten, rounded once, which is what
 * `Number` reads from the same text.
 */
export function decimalValue(mantissa: number, digits: number): number {
  return digits === 0 ? mantissa : mantissa / POW10[digits];
}

/**
 * The numeric features of short decimals, each encoded once by {@link encodeNumber} and then
 * looked up: a column of counts, flags or rates (`0`, `491`, `0.05`) holds few distinct values,
 * met over and over, whose signed log1p, scaling and clipping need not be done again.
 */
export class DecimalFeatures {
  /** Decimals held have mantissas below this (and at most DECIMAL_FRACTION_DIGITS digits after the point). */
  readonly mantissas: number;
  /**
   * Places per decimal: one per feature. The decimal `mantissa / 10^digits` of the feature in slot
   * `s` is at the place `(digits * mantissas + mantissa) * stride + s`, so the features of one
   * decimal sit side by side and the few decimals met most (`0`, `0.00`, `1.00`) take a few cache
   * lines for all features.
   */
  readonly stride: number;
  /** By place: the encoded value, once its state is not UNKNOWN. */
  readonly values: Float32Array;
  /** By place: UNKNOWN, ENCODED or CLIPPED. */
  readonly states: Uint8Array;
  private readonly features: readonly NumericFeature[];

  constructor(features: readonly NumericFeature[]) {
    this.features = features;
    this.mantissas = Math.min(MOST_MANTISSAS, Math.floor(MANTISSA_BUDGET / Math.max(1, features.length)));
    this.stride = features.length;
    const places = (DECIMAL_FRACTION_DIGITS + 1) * this.mantissas * this.stride;
    this.values = new Float32Array(places);
    this.states = new Uint8Array(places);
  }

  /** Encodes the decimal `mantissa / 10^digits` held at `place` for the feature in `slot`; returns its state. */
  learn(place: number, slot: number, mantissa: number, digits: number): number {
    const counts = zeroCounts();
    this.values[place] = encodeNumber(decimalValue(mantissa, digits), this.features[slot], counts);
    return (this.states[place] = counts.clipped > 0 ? CLIPPED : ENCODED);
  }
}
