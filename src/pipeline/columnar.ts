import type { Column, ColumnKind } from './columns';
import { InputError, quote } from './errors';
import { parseNumber } from './values';

/** How a columnar file is read: column kinds, the columns wanted, and the text of a null text value. */
export interface ColumnarOptions {
  types?: Record<string, ColumnKind>;
  select?: (names: readonly string[]) => string[];
  unset?: string;
  /**
   * Whether a column read as numbers is handed back as text too, under {@link textTwin}: its
   * exact digits, and a null as `unset`, for a column both copied out and read as a feature.
   */
  alsoText?: (name: string) => boolean;
}

/** The key of a column's text, beside the column read as numbers, where `alsoText` asks for it. */
export function textTwin(name: string): string {
  return `${name}\u0000text`;
}

/** Puts column `name` into `into` as {@link columnOf} reads it, and its text twin where `alsoText` asks for one. */
export function putColumn(into: Record<string, Column>, values: ArrayLike<unknown>, name: string, options: ColumnarOptions, file: string, firstRow = 0): void {
  const column = columnOf(values, options.types?.[name], file, name, firstRow, options.unset);
  into[name] = column;
  if (column instanceof Float64Array && options.alsoText?.(name) === true) into[textTwin(name)] = columnOf(values, 'string', file, name, firstRow, options.unset);
}

/**
 * A column of a columnar file (Arrow, Parquet) as netae reads it: numbers, booleans (0/1), big
 * integers and dates (ms) become a Float64Array with null as NaN; text stays text with null as
 * `unset` (the empty string unless said). A typed array of numbers is taken as it is, without a value-by-value pass
 * where it already is a Float64Array. `kind` forces the column's kind; errors name the row.
 */
export function columnOf(values: ArrayLike<unknown>, kind: ColumnKind | undefined, file: string, name: string, firstRow = 0, unset = ''): Column {
  const numeric = ArrayBuffer.isView(values) || isNumeric(values);
  if ((kind ?? (numeric ? 'number' : 'string')) === 'string') return Array.from(values, (value) => toText(value, unset));
  if (values instanceof Float64Array) return values;
  if (ArrayBuffer.isView(values) && !(values instanceof BigInt64Array) && !(values instanceof BigUint64Array)) {
    return Float64Array.from(values as ArrayLike<number>);
  }
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const n = v === null || v === undefined ? NaN : typeof v === 'string' ? parseNumber(v) : Number(v);
    if (n === undefined) throw new InputError({ file, line: firstRow + i + 1, unit: 'row', column: name }, `expected a number, found ${quote(v)}`);
    out[i] = n;
  }
  return out;
}

function isNumeric(values: ArrayLike<unknown>): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && v !== undefined && typeof v !== 'number' && typeof v !== 'bigint' && typeof v !== 'boolean' && !(v instanceof Date)) {
      return false;
    }
  }
  return true;
}

/** A value as text: null as `unset`, a date as its milliseconds (as when read as a number), a big integer exactly. */
function toText(value: unknown, unset: string): string {
  if (value === null || value === undefined) return unset;
  return value instanceof Date ? String(value.getTime()) : String(value);
}
