import { fromArrow, table, type ColumnTable } from 'arquero';
import type { Column, ColumnKind } from './columns';
import { InputError, quote } from './errors';
import { parseNumber } from './values';

/** "ARROW1": the Arrow IPC file magic. */
export function isArrowFile(head: Uint8Array): boolean {
  const magic = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31];
  return magic.every((byte, i) => head[i] === byte);
}

/** An Arrow IPC stream starts with a continuation marker (0xFFFFFFFF) before its schema message. */
export function isArrowStream(head: Uint8Array): boolean {
  return head.length >= 8 && head[0] === 0xff && head[1] === 0xff && head[2] === 0xff && head[3] === 0xff;
}

/**
 * Reads Arrow IPC bytes (file or stream format) into a table of Float64Array and string columns:
 * numbers, booleans (0/1), big integers and dates (ms) become numbers with null as NaN; text stays
 * text with null as the empty string. A `types` entry forces a column's kind.
 */
export function readArrow(bytes: Uint8Array, file: string, types: Record<string, ColumnKind> = {}): ColumnTable {
  let source: ColumnTable;
  try {
    source = fromArrow(bytes);
  } catch (error) {
    throw new InputError({ file }, `not a readable Arrow IPC file: ${(error as Error).message}`);
  }
  const names = source.columnNames();
  const data: Record<string, Column> = {};
  for (const name of names) {
    const values = source.array(name) as ArrayLike<unknown>;
    const kind = types[name] ?? (isNumeric(values) ? 'number' : 'string');
    data[name] = kind === 'number' ? toNumbers(values, file, name) : Array.from(values, toText);
  }
  return table(data, names);
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

function toNumbers(values: ArrayLike<unknown>, file: string, column: string): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const n = v === null || v === undefined ? NaN : typeof v === 'string' ? parseNumber(v) : Number(v);
    if (n === undefined) throw new InputError({ file, line: i + 1, unit: 'row', column }, `expected a number, found ${quote(v)}`);
    out[i] = n;
  }
  return out;
}

function toText(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}
