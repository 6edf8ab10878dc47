import { table, type ColumnTable } from 'arquero';
import { isArrowFile, isArrowStream, readArrow } from './arrow';
import { byteChunks, collectBytes, concatArrays, gunzip, isGzip, peekBytes, type ByteSource } from './bytes';
import type { Column, ColumnKind, RowOrigin } from './columns';
import { InputError } from './errors';
import { asyncBuffer, isParquet, parquetColumns, readParquet } from './parquet';
import type { AsyncBuffer } from 'hyparquet';
import { RowSample, SampleEdgeFinder, type LineSample, type SampleEdge } from './row-sample';
import { openText, type BlockDecoding } from './text-blocks';
import { bodyBlock, readLayout, type LayoutOptions } from './text-layout';
import { TextTableReader, type Chunk, type Format } from './text-table';

export type { Chunk, Format } from './text-table';
export { detectTextFormat } from './text-layout';

/** Inflates a gzip stream. */
export type Inflate = (chunks: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>;

export interface ReadOptions {
  /** Names the input in error messages; its extension helps detect the format. */
  fileName?: string;
  /** How gzip input is inflated (default: the web `DecompressionStream`; io-node.ts's readers give Node's zlib). */
  gunzip?: Inflate;
  /** Default: detected (gzip by magic bytes, Arrow by magic bytes or extension, Zeek by `#separator`, CSV or TSV by extension or the first line). */
  format?: Format;
  delimiter?: string;
  /** Whether the first row names the columns; unset, as text-layout.ts's LayoutOptions say. */
  header?: boolean;
  names?: string[];
  /** Where `names` came from, for error messages. */
  namesFrom?: string;
  /** Column kinds by name; columns not listed are typed from the first chunk. */
  types?: Record<string, ColumnKind>;
  /** The text of a null value in a text column of an Arrow or Parquet file (default: the empty string). */
  unset?: string;
  /** In an Arrow or Parquet file, whether a column read as numbers is handed back as text too ({@link ColumnarOptions}). */
  alsoText?: (name: string) => boolean;
  /** Rows per chunk for {@link readChunks} (default 16,384). */
  chunkRows?: number;
  /** The columns to read, chosen from the file's names (default: all); the others are skipped unread. */
  select?: (names: readonly string[]) => string[];
  /**
   * How blocks of text rows are decoded (default: on this thread). With one, chunks hold a block's
   * rows each (about 1 MiB of text) rather than `chunkRows`, but for a first chunk that types
   * columns from the data.
   */
  decoding?: BlockDecoding;
  /**
   * With `decoding`, text of at most this many blocks is read on this thread all the same, as
   * starting the decoding (worker threads) would cost more than it saves (default 0). Read by
   * {@link readChunks} and {@link readTable}.
   */
  decodingAbove?: number;
  /** Bytes per block of text (default 1 MiB). */
  blockBytes?: number;
  /**
   * A sample being drawn from the rows read: text rows it no longer admits may be passed over
   * unread, counted in chunks' `skippedRows`. Set by {@link readTable} for its sample.
   */
  skipOutside?: LineSample;
}

/**
 * A cap on the rows {@link readTable} keeps: beyond `rows`, a uniform sample of that many
 * ({@link RowSample}). With `larger`, the read also finds the edge of the sample of that many
 * rows under the same seed (ReadResult's `largerSample`), which holds the smaller one.
 */
export interface SampleOptions {
  rows: number;
  seed: number;
  larger?: number;
}

/** A whole file read into one table. */
export interface ReadResult extends RowOrigin {
  table: ColumnTable;
  format: Format;
  unit: 'line' | 'row';
  /** Rows whose fields were all empty, skipped. */
  blankRows: number;
  /** Rows the input held, where the table keeps a sample of them (see {@link SampleOptions}). */
  sampledFrom?: number;
  /** With SampleOptions' `larger`, the edge of that sample (null: it holds every row). */
  largerSample?: SampleEdge | null;
}

const DEFAULT_CHUNK_ROWS = 16_384;

/**
 * Reads a file as chunks of at most `chunkRows` rows, holding one chunk and one block of text
 * (about 1 MiB) at a time, so memory stays bounded however large the file; a block's buffer is
 * given back once its rows are read, for the next block. Gzip is detected
 * and decompressed on the fly. Arrow input is read whole, then sliced.
 */
export async function* readChunks(source: ByteSource, options: ReadOptions = {}): AsyncGenerator<Chunk> {
  const file = options.fileName ?? 'input';
  const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
  const whole = source instanceof ArrayBuffer ? new Uint8Array(source) : source;
  if ((whole instanceof Uint8Array || isBlob(whole)) && isParquetInput(await firstBytes(whole), options)) {
    yield* parquetChunks(asyncBuffer(whole), file, options, chunkRows);
    return;
  }
  const { head, chunks } = await openBytes(whole, file, options.gunzip);
  if (isParquetInput(head, options)) {
    yield* parquetChunks(asyncBuffer(await collectBytes(chunks)), file, options, chunkRows);
    return;
  }
  if (isArrow(head, options)) {
    yield* sliceTable(readArrow(await collectBytes(chunks), file, options), file, chunkRows);
    return;
  }
  const { layout, blocks, recycle } = await openText(chunks, layoutOptions(options, file), options.blockBytes);
  yield* new TextTableReader(layout, chunkRows, options.select).read(blocks, recycle, options.decoding, options.decodingAbove, options.skipOutside);
}

/** The bytes of a source, inflated by `inflate` when they are gzip, with their first bytes; an InputError when there are none. */
export async function openBytes(source: ByteSource, file: string, inflate: Inflate = gunzip): Promise<{ head: Uint8Array; chunks: AsyncGenerator<Uint8Array> }> {
  let { head, chunks } = await peekBytes(byteChunks(source), 8);
  if (isGzip(head)) ({ head, chunks } = await peekBytes(gunzipOrFail(chunks, file, inflate), 8));
  if (head.length === 0 || (head.length === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf)) {
    throw new InputError({ file }, 'the file is empty');
  }
  return { head, chunks };
}

/** How {@link readTable} reads besides ReadOptions: a cap on the rows kept, and a count of the rows met as it goes. */
export interface TableReading {
  sample?: SampleOptions;
  /** Called after each chunk with the rows met so far, those passed over included (for progress). */
  onRows?: (rows: number) => void;
}

/** Reads a whole file into one table, or a uniform sample of its rows when `sample` caps them. */
export async function readTable(source: ByteSource, options: ReadOptions & TableReading = {}): Promise<ReadResult> {
  const parts = new TableParts(options.fileName ?? 'input', options.sample);
  for await (const chunk of readChunks(source, { ...options, skipOutside: parts.skipOutside() })) {
    parts.add(chunk);
    options.onRows?.(parts.met);
  }
  return parts.join();
}

/** Parses decoded text (CSV, TSV or Zeek log) into one table, synchronously. */
export function parseText(text: string, options: ReadOptions = {}): ReadResult {
  const file = options.fileName ?? 'input';
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.length === 0) throw new InputError({ file }, 'the file is empty');
  const bytes = new TextEncoder().encode(body.endsWith('\n') ? body : `${body}\n`);
  const layout = readLayout(bytes, true, layoutOptions(options, file))!;
  const reader = new TextTableReader(layout, options.chunkRows ?? DEFAULT_CHUNK_ROWS, options.select);
  const parts = new TableParts(file);
  for (const chunk of [...reader.push(bodyBlock(layout, bytes.subarray(layout.bodyStart))), ...reader.end()]) parts.add(chunk);
  return parts.join();
}

function formatFromName(fileName: string): Format | null {
  const name = fileName.toLowerCase().replace(/\.gz$/, '');
  if (/\.(arrow|arrows|feather|ipc)$/.test(name)) return 'arrow';
  return null;
}

/** Whether the bytes are a columnar file (Arrow IPC, Parquet), read column by column rather than decoded as text. */
export function isColumnar(head: Uint8Array, options: ReadOptions): boolean {
  return isArrow(head, options) || isParquetInput(head, options);
}

function isParquetInput(head: Uint8Array, options: ReadOptions): boolean {
  if (options.format !== undefined) return options.format === 'parquet';
  return isParquet(head) || /\.parquet$/i.test(options.fileName ?? '');
}

async function* parquetChunks(file: AsyncBuffer, fileName: string, options: ReadOptions, chunkRows: number): AsyncGenerator<Chunk> {
  const columns = options.select === undefined ? undefined : options.select((await parquetColumns(file, fileName)).names);
  yield* readParquet(file, fileName, { columns, types: options.types, unset: options.unset, alsoText: options.alsoText, chunkRows });
}

function isBlob(source: unknown): source is Blob {
  return typeof Blob !== 'undefined' && source instanceof Blob;
}

async function firstBytes(source: Uint8Array | Blob): Promise<Uint8Array> {
  return source instanceof Uint8Array ? source.subarray(0, 8) : new Uint8Array(await source.slice(0, 8).arrayBuffer());
}

function isArrow(head: Uint8Array, options: ReadOptions): boolean {
  if (options.format !== undefined) return options.format === 'arrow';
  return isArrowFile(head) || isArrowStream(head) || formatFromName(options.fileName ?? '') === 'arrow';
}

/** The options that say how to read a text file's head. */
export function layoutOptions(options: ReadOptions, file: string): LayoutOptions {
  const format = options.format === 'arrow' || options.format === 'parquet' ? undefined : options.format;
  return { file, format, delimiter: options.delimiter, header: options.header, names: options.names, namesFrom: options.namesFrom, types: options.types };
}

async function* gunzipOrFail(chunks: AsyncIterable<Uint8Array>, file: string, inflate: Inflate): AsyncGenerator<Uint8Array> {
  try {
    yield* inflate(chunks);
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
    yield { table: table(data, names), file, format: 'arrow', unit: 'row', firstLine: start + 1, lines, blankRows: 0, skippedRows: 0, passedLines: new Int32Array(0) };
  }
}

function concatTexts(parts: string[][]): string[] {
  if (parts.length === 1) return parts[0];
  const out = new Array<string>(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) for (let i = 0; i < part.length; i++) out[at++] = part[i];
  return out;
}

/**
 * Rows held at most while a sample is drawn, as a multiple of its size. Each cut back to the
 * sample is a pass over the rows held: a smaller multiple holds less and cuts more often (the
 * 207 MB NSL-KDD file, 200,000 of its 1.39M rows: 1.5 peaked 25–40 MB lower than 2 and read in
 * about a tenth more time; 1.25 another 2–15 MB lower, in about 30 % more time again).
 */
const HELD_MOST = 1.5;

/**
 * Chunks' columns gathered into one table. Each column's parts are let go as soon as the column
 * is joined, so that a whole file's columns are held about once while they are joined, not twice.
 * With a sample, a chunk's rows outside it are dropped as the chunk comes, and the rows held are
 * cut back to the sample whenever they grow past HELD_MOST times its size, so that a file of any
 * length holds at most that many; the reader passes over the rows the sample no longer admits.
 */
class TableParts {
  private columns = new Map<string, Column[]>();
  private lines: Int32Array[] = [];
  private keys: Float64Array[] = [];
  private held = 0;
  private names: string[] = [];
  private format: Format = 'csv';
  private unit: Chunk['unit'] = 'line';
  private blankRows = 0;
  private rowsMet = 0;
  private readonly sample: RowSample | null;
  private readonly larger: SampleEdgeFinder | null;

  constructor(private readonly file: string, sample?: SampleOptions) {
    this.sample = sample === undefined ? null : new RowSample(sample.rows, sample.seed);
    this.larger = sample?.larger === undefined ? null : new SampleEdgeFinder(sample.larger, sample.seed);
  }

  /** Rows met so far, those passed over included. */
  get met(): number {
    return this.rowsMet;
  }

  /** What the reader may pass over: the rows outside the sample, the lines of those the larger sample may hold handed back. */
  skipOutside(): LineSample | undefined {
    const { sample, larger } = this;
    if (sample === null) return undefined;
    return larger === null ? sample : { seed: sample.seed, cut: () => sample.cut(), linesCut: () => larger.cut() };
  }

  add(chunk: Chunk): void {
    if (this.lines.length === 0) {
      this.names = chunk.table.columnNames();
      this.format = chunk.format;
      this.unit = chunk.unit;
    }
    this.blankRows += chunk.blankRows;
    this.rowsMet += chunk.lines.length + chunk.skippedRows;
    let lines = chunk.lines;
    let pick: Int32Array | null = null;
    this.larger?.add(merged(lines, chunk.passedLines));
    if (this.sample !== null) {
      const sample = this.sample;
      const keys = sample.keysOf(lines);
      pick = admitted(keys, (key) => sample.admits(key));
      this.keys.push(pick === null ? keys : gather(keys, pick));
      if (pick !== null) lines = gather(lines, pick);
    }
    for (const name of chunk.table.columnNames()) {
      const parts = this.columns.get(name) ?? [];
      const column = chunk.table.column(name) as Column;
      parts.push(pick === null ? column : gather(column, pick));
      this.columns.set(name, parts);
    }
    this.lines.push(lines);
    this.held += lines.length;
    if (this.sample !== null && this.held > HELD_MOST * this.sample.rows) this.cut();
  }

  join(): ReadResult {
    if (this.sample !== null) this.cut();
    const data: Record<string, Column> = {};
    for (const name of this.names) {
      const parts = this.columns.get(name)!;
      this.columns.delete(name);
      data[name] = concatColumn(parts);
    }
    const sampledFrom = this.sample !== null && this.rowsMet > this.held ? { sampledFrom: this.rowsMet } : {};
    const largerSample = this.larger === null ? {} : { largerSample: this.larger.edge() };
    return {
      table: table(data, this.names),
      file: this.file,
      format: this.format,
      lines: concatArrays(this.lines, Int32Array),
      unit: this.unit,
      blankRows: this.blankRows,
      ...sampledFrom,
      ...largerSample,
    };
  }

  /** Keeps the sample's rows of those held, when more than the sample are held. */
  private cut(): void {
    const keys = concatArrays(this.keys, Float64Array);
    const kept = this.sample!.keep(keys, this.sample!.rows);
    if (kept === null) return;
    this.keys = [gather(keys, kept)];
    this.lines = [gatherParts(this.lines, kept)];
    for (const [name, parts] of this.columns) this.columns.set(name, [gatherParts(parts, kept)]);
    this.held = kept.length;
  }
}

function concatColumn(parts: Column[]): Column {
  return parts[0] instanceof Float64Array ? concatArrays(parts as Float64Array[], Float64Array) : concatTexts(parts as string[][]);
}

/** Two ascending runs of lines as one, in order. */
function merged(a: Int32Array, b: Int32Array): Int32Array {
  if (b.length === 0) return a;
  const out = new Int32Array(a.length + b.length);
  let [i, j] = [0, 0];
  for (let k = 0; k < out.length; k++) out[k] = j === b.length || (i < a.length && a[i] < b[j]) ? a[i++] : b[j++];
  return out;
}

/** The places of the keys `admits`, or null when it admits them all. */
function admitted(keys: Float64Array, admits: (key: number) => boolean): Int32Array | null {
  const places: number[] = [];
  for (let i = 0; i < keys.length; i++) if (admits(keys[i])) places.push(i);
  return places.length === keys.length ? null : Int32Array.from(places);
}

/** Values `places` (ascending) of the parts joined end to end, without joining them. */
function gatherParts<T extends Float64Array | Int32Array | string[]>(parts: T[], places: Int32Array): T {
  const texts = Array.isArray(parts[0]);
  const out = (texts ? new Array<string>(places.length) : new (parts[0].constructor as new (n: number) => Float64Array | Int32Array)(places.length)) as T;
  let [part, start, k] = [0, 0, 0];
  for (; k < places.length; k++) {
    while (places[k] >= start + parts[part].length) start += parts[part++].length;
    out[k] = parts[part][places[k] - start];
  }
  return out;
}

/** Values `places` of an array, in that order. */
function gather<T extends Float64Array | Int32Array | string[]>(values: T, places: Int32Array): T {
  if (Array.isArray(values)) return Array.from(places, (i) => values[i]) as T;
  const out = new (values.constructor as new (n: number) => Float64Array | Int32Array)(places.length);
  for (let k = 0; k < places.length; k++) out[k] = values[places[k]];
  return out as T;
}
