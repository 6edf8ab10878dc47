/**
 * How a text field reads as a number.
 *
 * - A decimal or exponent literal, with optional surrounding spaces, is that number
 *   (`0x1F`, `0b1`, `0o7` are not numbers).
 * - `Infinity`, `inf` (any letter case, optional sign) is ±Infinity.
 * - Missing, read as NaN: an empty or blank field, `-` (Zeek's unset field) or more dashes
 *   (CIDDS-001's `---`), `?`, `NA`, `NaN`, `null`, `None` (any letter case).
 * - A count scaled as nfdump prints one, a number with one decimal, a space and `K`, `M`, `G` or
 *   `T` for 10^3, 10^6, 10^9 or 10^12 (`1.2 M`, as CIDDS-001's `Bytes` holds large flows), is
 *   that count, to the nearest whole number.
 * - Anything else is not a number: {@link parseNumber} returns `undefined`.
 *
 * NaN and ±Infinity are kept as read; the fitted features repair them (see features.ts).
 */
export function parseNumber(text: string): number | undefined {
  const value = +text;
  if (value === value) {
    if (hasRadixPrefix(text)) return undefined;
    if (value !== 0 || text === '0' || text.trim() !== '') return value;
    return NaN;
  }
  return missingOrInfinite(text) ?? scaledCount(text);
}

/** NaN for a spelling of a missing value, ±Infinity for one of an infinite value, else undefined. */
function missingOrInfinite(text: string): number | undefined {
  const key = text.trim().toLowerCase();
  return SPECIAL.get(key) ?? (DASHES.test(key) ? NaN : undefined);
}

const DASHES = /^-+$/;

const SCALED = /^\s*(\d+\.\d) ([KMGT])\s*$/;
const SCALES: Record<string, number> = { K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

function scaledCount(text: string): number | undefined {
  const match = SCALED.exec(text);
  return match === null ? undefined : Math.round(Number(match[1]) * SCALES[match[2]]);
}

const RADIX_PREFIX = /^\s*[+-]?0[xob]/i;

/**
 * Whether the text starts like `0x1F`, `0b1` or `0o7`, which `+text` reads but are not decimal.
 * `+text` reads no signed such literal, so text starting with a sign, a point or a digit other
 * than 0 is a decimal, and the pattern is only tried on text starting otherwise (a space).
 */
function hasRadixPrefix(text: string): boolean {
  const first = text.charCodeAt(0);
  if (first === 0x30) {
    const second = text.charCodeAt(1) | 0x20;
    return second === 0x78 || second === 0x6f || second === 0x62;
  }
  const decimalStart = (first > 0x30 && first <= 0x39) || first === 0x2b || first === 0x2d || first === 0x2e;
  return !decimalStart && RADIX_PREFIX.test(text);
}

const SPECIAL = new Map<string, number>([
  ['', NaN],
  ['-', NaN],
  ['?', NaN],
  ['na', NaN],
  ['nan', NaN],
  ['null', NaN],
  ['none', NaN],
  ['inf', Infinity],
  ['+inf', Infinity],
  ['infinity', Infinity],
  ['+infinity', Infinity],
  ['-inf', -Infinity],
  ['-infinity', -Infinity],
]);

/** Whether a field's text is a spelling of a missing value (`-`, `?`, `NA`, empty, … as {@link parseNumber} reads them). */
export function isMissingText(text: string): boolean {
  return Number.isNaN(missingOrInfinite(text));
}

/** True when the field holds a number, finite or infinite (not a missing value's spelling). */
export function isNumberText(text: string): boolean {
  const value = parseNumber(text);
  return value !== undefined && !Number.isNaN(value);
}

/** The text a categorical value is looked up by: text as is, a number in its shortest form, missing as the empty string. */
export function categoryKey(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value))) return '';
  return String(value);
}
