import { table } from 'arquero';
import { parquetMetadataAsync, parquetRead, parquetSchema, type AsyncBuffer, type DecodedArray, type FileMetaData } from 'hyparquet';
import { putColumn } from './columnar';
import type { Column, ColumnKind } from './columns';
import { InputError } from './errors';
import type { Chunk } from './text-table';

/** "PAR1": the magic number a Parquet file starts (and ends) with. */
export function isParquet(head: Uint8Array): boolean {
  return head[0] === 0x50 && head[1] === 0x41 && head[2] === 0x52 && head[3] === 0x31;
}

/** Random access to bytes held in memory or in a Blob (a browser File, or Node's `openAsBlob`). */
export function asyncBuffer(source: Uint8Array | Blob): AsyncBuffer {
  if (source instanceof Uint8Array) {
    return { byteLength: source.length, slice: (start, end) => source.slice(start, end).buffer as ArrayBuffer };
  }
  return { byteLength: source.size, slice: (start, end) => source.slice(start, end).arrayBuffer() };
}

/** A Parquet file's schema: its top-level column names. */
export async function parquetColumns(file: AsyncBuffer, fileName: string): Promise<{ names: string[]; metadata: FileMetaData }> {
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw new InputError({ file: fileName }, `not a readable Parquet file: ${(error as Error).message}`);
  }
  return { names: parquetSchema(metadata).children.map((child) => child.element.name), metadata };
}

export interface ParquetOptions {
  /** Columns to read (default: all); the others are not decoded. */
  columns?: string[];
  types?: Record<string, ColumnKind>;
  /** The text of a null value in a text column (default: the empty string). */
  unset?: string;
  /** Whether a column read as numbers is handed back as text too (`ColumnarOptions.alsoText`). */
  alsoText?: (name: string) => boolean;
  chunkRows: number;
}

/**
 * Reads a Parquet file (hyparquet: snappy or uncompressed pages) row group by row group, each
 * asked-for column decoded straight into a typed column (`putColumn`), and yields the rows
 * in chunks of at most `chunkRows`. Memory holds one row group of the columns asked for.
 */
export async function* readParquet(file: AsyncBuffer, fileName: string, options: ParquetOptions): AsyncGenerator<Chunk> {
  const { names, metadata } = await parquetColumns(file, fileName);
  const wanted = options.columns ?? names;
  const missing = wanted.filter((name) => !names.includes(name));
  if (missing.length > 0) throw new InputError({ file: fileName }, `no column(s) ${missing.map((c) => `"${c}"`).join(', ')} in the file`);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const parts = new Map<string, { start: number; data: DecodedArray }[]>(wanted.map((name) => [name, []]));
    try {
      await parquetRead({
        file,
        metadata,
        columns: wanted,
        rowStart,
        rowEnd,
        onChunk: (chunk) => parts.get(chunk.columnName)?.push({ start: chunk.rowStart, data: chunk.columnData }),
      });
    } catch (error) {
      throw new InputError({ file: fileName }, `cannot read rows ${rowStart + 1}–${rowEnd} of the Parquet file: ${(error as Error).message}`);
    }
    const columns: Record<string, Column> = {};
    for (const name of wanted) putColumn(columns, joinParts(parts.get(name)!, rowStart, rowEnd), name, options, fileName, rowStart);
    for (let start = 0; start < rowEnd - rowStart; start += options.chunkRows) {
      const end = Math.min(rowEnd - rowStart, start + options.chunkRows);
      const data: Record<string, Column> = {};
      for (const [name, column] of Object.entries(columns)) {
        data[name] = column instanceof Float64Array ? column.subarray(start, end) : column.slice(start, end);
      }
      const first = rowStart + start + 1;
      const lines = Int32Array.from({ length: end - start }, (_, i) => first + i);
      yield { table: table(data), file: fileName, format: 'parquet', unit: 'row', firstLine: first, lines, blankRows: 0, skippedRows: 0, passedLines: new Int32Array(0) };
    }
    rowStart = rowEnd;
  }
  if (rowStart === 0) throw new InputError({ file: fileName }, 'the file holds no data rows');
}

/** A column's pieces of one row group, in row order, as one array of rows `[rowStart, rowEnd)`. */
function joinParts(parts: { start: number; data: DecodedArray }[], rowStart: number, rowEnd: number): ArrayLike<unknown> {
  parts.sort((a, b) => a.start - b.start);
  if (parts.length === 1 && parts[0].start === rowStart && parts[0].data.length === rowEnd - rowStart) return parts[0].data;
  const out: unknown[] = new Array(rowEnd - rowStart);
  for (const { start, data } of parts) {
    for (let i = 0; i < data.length; i++) {
      const row = start + i;
      if (row >= rowStart && row < rowEnd) out[row - rowStart] = data[i];
    }
  }
  return out;
}
