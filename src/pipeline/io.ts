import { table, type ColumnTable } from 'arquero';
import { isArrowFile, isArrowStream, readArrow } from './arrow';
import { byteChunks, collectBytes, concatArrays, decodeText, gunzip, isGzip, peekBytes, type ByteSource } from './bytes';
import type { Column, ColumnKind, RowOrigin } from './columns';
import { InputError } from './errors';
import { TableReader, type Chunk, type Format, type TextFormat } from './table-reader';
import { isZeekLog } from './zeek';

export type { Chunk } from './table-reader';

export interface ReadOptions {
  /** Names the input in error messages; its extension helps detect the format. */
  fileName?: string;
  /** Default: detected (gzip by magic bytes, Arrow by magic bytes or extension, Zeek by `#separator`, CSV or TSV by extension or the first line). */
  format?: Format;
  delimiter?: string;
  /** Whether the first row names the columns; default true unless `names` is given. */
  header?: boolean;
  names?: string[];
  /** Where `names` came from, for error messages. */
  namesFrom?: string;
  /** Column kinds by name; columns not listed are typed from the first chunk. */
  types?: Record<string, ColumnKind>;
  /** Rows per chunk for {@link readChunks} (default 16,384). */
  chunkRows?: number;
}

/** A whole file read into one table. */
export interface ReadResult extends RowOrigin {
  table: ColumnTable;
  format: Format;
  unit: 'line' | 'row';
  /** Rows whose fields were all empty, skipped. */
  blankRows: number;
}

const DEFAULT_CHUNK_ROWS = 16_384;

/** The bytes looked at to recognise a file: gzip, Arrow, UTF-16 or binary data. */
const HEAD_BYTES = 512;

/**
 * Refuses a file that is not UTF-8 text: UTF-16 (a byte-order mark, or NUL bytes in most even
 * or most odd positions and hardly any of the others, as ASCII text in UTF-16 has) or other
 * binary data (any NUL byte), judged on the first HEAD_BYTES bytes.
 */
function checkText(bytes: Uint8Array, file: string): void {
  const head = bytes.subarray(0, HEAD_BYTES);
  const bom = head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff));
  const zeros = [0, 0];
  for (let i = 0; i < head.length; i++) if (head[i] === 0) zeros[i % 2]++;
  const pairs = Math.floor(head.length / 2);
  const [more, fewer] = zeros[0] > zeros[1] ? zeros : [zeros[1], zeros[0]];
  if (bom || (pairs >= 2 && more >= pairs / 2 && fewer <= pairs / 16)) {
    throw new InputError({ file }, 'looks like UTF-16; convert it to UTF-8 (iconv -f UTF-16 -t UTF-8)');
  }
  const nul = head.indexOf(0);
  if (nul !== -1) {
    throw new InputError({ file }, `not text (a NUL byte at byte ${nul + 1}); netae reads CSV, TSV, Zeek logs and Arrow, gzip or not`);
  }
}

/**
 * Reads a file as chunks of at most `chunkRows` rows, holding one chunk and one text block
 * (about 256 KiB) at a time, so memory stays bounded however large the file. Gzip is detected
 * and decompressed on the fly. Arrow input is read whole, then sliced.
 */
export async function* readChunks(source: ByteSource, options: ReadOptions = {}): AsyncGenerator<Chunk> {
  const file = options.fileName ?? 'input';
  const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
  let { head, chunks } = await peekBytes(byteChunks(source), HEAD_BYTES);
  if (isGzip(head)) ({ head, chunks } = await peekBytes(gunzipOrFail(chunks, file), HEAD_BYTES));
  if (head.length === 0) throw new InputError({ file }, 'the file is empty');
  if (isArrow(head, options)) {
    yield* sliceTable(readArrow(await collectBytes(chunks), file, options.types), file, chunkRows);
    return;
  }
  checkText(head, file);
  let reader: TableReader | null = null;
  for await (const text of decodeText(chunks)) {
    reader ??= new TableReader({ ...textOptions(options, text, file), chunkRows });
    yield* reader.push(text);
  }
  if (reader === null) throw new InputError({ file }, 'the file is empty');
  yield* reader.end();
}

/** Reads a whole file into one table. */
export async function readTable(source: ByteSource, options: ReadOptions = {}): Promise<ReadResult> {
  const file = options.fileName ?? 'input';
  const chunks: Chunk[] = [];
  for await (const chunk of readChunks(source, options)) chunks.push(chunk);
  return joinChunks(chunks, file);
}

/** Parses decoded text (CSV, TSV or Zeek log) into one table, synchronously. */
export function parseText(text: string, options: ReadOptions = {}): ReadResult {
  const file = options.fileName ?? 'input';
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.length === 0) throw new InputError({ file }, 'the file is empty');
  const topts = textOptions(options, body, file);
  const reader = new TableReader({ ...topts, chunkRows: options.chunkRows ?? DEFAULT_CHUNK_ROWS });
  const chunks = [...reader.push(body), ...reader.end()];
  return joinChunks(chunks, file);
}

/** The text format of a file from its first text and name. */
export function detectTextFormat(text: string, fileName = ''): TextFormat {
  if (isZeekLog(text)) return 'zeek';
  const byName = formatFromName(fileName);
  if (byName === 'csv' || byName === 'tsv') return byName;
  const newline = text.indexOf('\n');
  const first = newline === -1 ? text : text.slice(0, newline);
  return count(first, '\t') > count(first, ',') ? 'tsv' : 'csv';
}

function formatFromName(fileName: string): Format | null {
  const name = fileName.toLowerCase().replace(/\.gz$/, '');
  if (/\.(arrow|arrows|feather|ipc)$/.test(name)) return 'arrow';
  if (/\.(tsv|tab)$/.test(name)) return 'tsv';
  if (name.endsWith('.csv')) return 'csv';
  return null;
}

function isArrow(head: Uint8Array, options: ReadOptions): boolean {
  if (options.format !== undefined) return options.format === 'arrow';
  return isArrowFile(head) || isArrowStream(head) || formatFromName(options.fileName ?? '') === 'arrow';
}

function textOptions(options: ReadOptions, text: string, file: string) {
  const format = options.format === undefined || options.format === 'arrow' ? detectTextFormat(text, file) : options.format;
  return {
    file,
    format,
    delimiter: options.delimiter,
    header: options.header,
    names: options.names,
    namesFrom: options.namesFrom,
    types: options.types,
  };
}

async function* gunzipOrFail(chunks: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<Uint8Array> {
  try {
    yield* gunzip(chunks);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError({ file }, `not valid gzip data (${(error as Error).message})`);
  }
}

function* sliceTable(whole: ColumnTable, file: string, chunkRows: number): Generator<Chunk> {
  const rows = whole.numRows();
  if (rows === 0) throw new InputError({ file }, 'the file holds no data rows');
  for (let start = 0; start < rows; start += chunkRows) {
    const end = Math.min(rows, start + chunkRows);
    const names = whole.columnNames();
    const data: Record<string, Column> = {};
    for (const name of names) data[name] = (whole.column(name) as Column).slice(start, end);
    const lines = Int32Array.from({ length: end - start }, (_, i) => start + i + 1);
    yield { table: table(data, names), file, format: 'arrow', unit: 'row', firstLine: start + 1, lines, blankRows: 0 };
  }
}

function joinChunks(chunks: Chunk[], file: string): ReadResult {
  const first = chunks[0];
  const names = first.table.columnNames();
  const data: Record<string, Column> = {};
  for (const name of names) {
    const parts = chunks.map((c) => c.table.column(name) as Column);
    data[name] = parts[0] instanceof Float64Array ? concatArrays(parts as Float64Array[], Float64Array) : (parts as string[][]).flat();
  }
  return {
    table: table(data, names),
    file,
    format: first.format,
    lines: concatArrays(chunks.map((c) => c.lines), Int32Array),
    unit: first.unit,
    blankRows: chunks.reduce((n, c) => n + c.blankRows, 0),
  };
}

function count(text: string, char: string): number {
  let n = 0;
  for (let at = text.indexOf(char); at !== -1; at = text.indexOf(char, at + 1)) n++;
  return n;
}
