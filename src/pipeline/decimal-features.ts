import { encodeNumber, zeroCounts, type NumericFeature } from './features';

/** Decimals held have mantissas (their digits read as an integer: `0.05` → 5) below this… */
export const DECIMAL_MANTISSAS = 1024;
/** …and at most this many digits after the point. */
export const DECIMAL_FRACTION_DIGITS = 2;
/**
 * Decimals held per feature. The decimal `mantissa / 10^digits` of the feature in slot `s` is at
 * `s * DECIMALS_PER_FEATURE + digits * DECIMAL_MANTISSAS + mantissa`.
 */
export const DECIMALS_PER_FEATURE = (DECIMAL_FRACTION_DIGITS + 1) * DECIMAL_MANTISSAS;

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
  /** By place (see DECIMALS_PER_FEATURE): the encoded value, once its state is not UNKNOWN. */
  readonly values: Float32Array;
  /** By place: UNKNOWN, ENCODED or CLIPPED. */
  readonly states: Uint8Array;
  private readonly features: readonly NumericFeature[];

  constructor(features: readonly NumericFeature[]) {
    this.features = features;
    this.values = new Float32Array(features.length * DECIMALS_PER_FEATURE);
    this.states = new Uint8Array(features.length * DECIMALS_PER_FEATURE);
  }

  /** Encodes the decimal `mantissa / 10^digits` held at `place` for the feature in `slot`; returns its state. */
  learn(place: number, slot: number, mantissa: number, digits: number): number {
    const counts = zeroCounts();
    this.values[place] = encodeNumber(decimalValue(mantissa, digits), this.features[slot], counts);
    return (this.states[place] = counts.clipped > 0 ? CLIPPED : ENCODED);
  }
}
