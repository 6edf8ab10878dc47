/**
 * How a text field reads as a number.
 *
 * - A decimal or exponent literal, with optional surrounding spaces, is that number.
 * - `Infinity`, `inf` (any letter case, optional sign) is ±Infinity.
 * - Missing, read as NaN: an empty or blank field, `-` (Zeek's unset field), `?`,
 *   `NA`, `NaN`, `null`, `None` (any letter case).
 * - Anything else is not a number: {@link parseNumber} returns `undefined`.
 *
 * NaN and ±Infinity are kept as read; the fitted features repair them (see features.ts).
 */
export function parseNumber(text: string): number | undefined {
  const value = +text;
  if (value === value) {
    if (value !== 0 || text === '0' || text.trim() !== '') return value;
    return NaN;
  }
  return SPECIAL.get(text.trim().toLowerCase());
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

/** True when the field holds an actual finite number (not a missing or infinite spelling). */
export function isFiniteText(text: string): boolean {
  const value = parseNumber(text);
  return value !== undefined && Number.isFinite(value);
}
