import { fromArrow, table, type ColumnTable } from 'arquero';
import type { Column } from './columns';
import { InputError } from './errors';
import { putColumn, type ColumnarOptions } from './columnar';

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
 * Reads Arrow IPC bytes (file or stream format) into a table of Float64Array and string columns,
 * each column as `columnOf` reads it, only those `select` chooses when given. A `types` entry
 * forces a column's kind; `unset` is the text of a null text value; `alsoText` asks for text
 * twins (`putColumn`). 64-bit integers are read as BigInt, so that any value reads (as a number,
 * rounded, or as its exact text).
 */
export function readArrow(bytes: Uint8Array, file: string, options: ColumnarOptions = {}): ColumnTable {
  let source: ColumnTable;
  try {
    source = fromArrow(bytes, { useBigInt: true });
  } catch (error) {
    throw new InputError({ file }, `not a readable Arrow IPC file: ${(error as Error).message}`);
  }
  const names = options.select === undefined ? source.columnNames() : options.select(source.columnNames());
  const data: Record<string, Column> = {};
  for (const name of names) putColumn(data, source.array(name) as ArrayLike<unknown>, name, options, file);
  return table(data);
}
