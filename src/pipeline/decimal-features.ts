import { encodeNumber, zeroCounts, type NumericFeature } from './features';

/** Decimals looked up have mantissas (their digits read as an integer, `0.05` → 5) below this… */
export const DECIMAL_MANTISSAS = 1024;
/** …and at most this many digits after the point. */
export const DECIMAL_FRACTION_DIGITS = 2;

/** A state: the value is not encoded yet. */
export const UNKNOWN = 0;
/** A state: the value is encoded and was not clipped. */
export const ENCODED = 1;
/** A state: the value is encoded and was clipped. */
export const CLIPPED = 2;

/**
 * The numeric features of short decimals, each encoded once by {@link encodeNumber} and then
 * looked up: a column of counts, flags or rates (`0`, `491`, `0.05`) holds few distinct values,
 * met over and over, whose signed log1p, scaling and clipping need not be done again. A decimal
 * is found by the feature's slot, its digits after the point and its mantissa
 * ({@link decimalIndex}); its value is `mantissa / 10^digits`, as the decoder reads it.
 */
export class DecimalFeatures {
  /** By index: the encoded value, once its state is not UNKNOWN. */
  readonly values: Float32Array;
  /** By index: UNKNOWN, ENCODED or CLIPPED. */
  readonly states: Uint8Array;
  private readonly features: readonly NumericFeature[];

  constructor(features: readonly NumericFeature[]) {
    this.features = features;
    const size = features.length * (DECIMAL_FRACTION_DIGITS + 1) * DECIMAL_MANTISSAS;
    this.values = new Float32Array(size);
    this.states = new Uint8Array(size);
  }

  /** Encodes `value`, the decimal at `index` of the feature in `slot`, and returns its state. */
  learn(index: number, value: number, slot: number): number {
    const counts = zeroCounts();
    this.values[index] = encodeNumber(value, this.features[slot], counts);
    return (this.states[index] = counts.clipped > 0 ? CLIPPED : ENCODED);
  }

  /** Whether the decimal `mantissa / 10^digits` is one that is looked up. */
  static holds(mantissa: number, digits: number): boolean {
    return mantissa < DECIMAL_MANTISSAS && digits <= DECIMAL_FRACTION_DIGITS;
  }
}

/** Where the decimal `mantissa / 10^digits` of the feature in `slot` is held. */
export function decimalIndex(slot: number, digits: number, mantissa: number): number {
  return (slot * (DECIMAL_FRACTION_DIGITS + 1) + digits) * DECIMAL_MANTISSAS + mantissa;
}
