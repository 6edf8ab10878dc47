import type { ColumnTable } from 'arquero';
import { quote } from './errors';

/** How a column is read: numbers into a Float64Array, text into a string array. */
export type ColumnKind = 'number' | 'string';

/** A column as io produces it. */
export type Column = Float64Array | string[];

/** Where each row of a table came from, for error messages. */
export interface RowOrigin {
  file: string;
  /** 1-based source line of each row (record number for Arrow input). */
  lines: Int32Array;
  unit?: 'line' | 'row';
}

/** The values of a column in row order; the backing array itself when the table is neither filtered nor ordered. */
export function columnValues(table: ColumnTable, name: string): ArrayLike<unknown> {
  const column = table.column(name);
  if (column === undefined) throw new Error(`no column ${quote(name)}`);
  if (!table.isFiltered() && !table.isOrdered()) {
    if (column instanceof Float64Array || Array.isArray(column)) return column;
  }
  return table.array(name);
}

/** The origin line of a row, or the row number (1-based) when no origin is known. */
export function lineOf(origin: RowOrigin | undefined, row: number): { file?: string; line: number; unit: 'line' | 'row' } {
  if (origin === undefined) return { line: row + 1, unit: 'row' };
  return { file: origin.file, line: origin.lines[row] ?? row + 1, unit: origin.unit ?? 'line' };
}
