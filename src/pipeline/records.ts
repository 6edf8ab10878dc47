import type { ByteSource } from './bytes';
import { InputError } from './errors';
import { emptyReport, mergeReports, numbersOf, type TransformReport } from './features';
import { isColumnar, layoutOptions, openBytes, readChunks, type ReadOptions } from './io';
import type { Featurizer } from './featurizer';
import { checkRequest, RecordDecoder, type DecodedRows, type DecodeRequest, type TextColumn } from './record-decoder';
import { BLOCK_BYTES, openText } from './text-blocks';
import type { TextLayout } from './text-layout';

/** Rows of a file as the fitted pipeline's feature matrix, with the text of chosen columns. */
export interface RecordBatch {
  rows: number;
  /** Row-major [rows × width]. */
  matrix: Float32Array;
  width: number;
  /** The columns asked for as text, by name. */
  texts: Record<string, TextColumn>;
  /** The columns asked for as numbers, by name (NaN where missing). */
  numbers: Record<string, Float64Array>;
  report: TransformReport;
}

/**
 * Decodes blocks of whole rows into matrix rows, in order. The default decodes on this thread;
 * Node passes one that spreads the blocks over worker threads (decode-pool-node.ts).
 * Each result's `lines` are absolute.
 */
export type BlockDecoding = (blocks: AsyncIterable<Uint8Array>, layout: TextLayout, request: DecodeRequest) => AsyncIterable<DecodedRows>;

export interface RecordOptions extends ReadOptions {
  /**
   * The columns to hand back as text beside the matrix, chosen once the file's column names are
   * known: the label when the file has one, or columns copied to the output (ids, addresses).
   * Each comes back dictionary-encoded per batch ({@link TextColumn}). Default: none.
   */
  texts?: (names: readonly string[]) => string[];
  /**
   * The columns to hand back as numbers beside the matrix (by the parseNumber rule; NaN where
   * missing), chosen once the file's column names are known: the values behind numeric features,
   * say. Default: none.
   */
  numbers?: (names: readonly string[]) => string[];
  /** How text blocks are decoded (default: on this thread). */
  decoding?: BlockDecoding;
  /** Bytes per block of text (default 1 MiB). */
  blockBytes?: number;
}

/**
 * Reads any supported file straight into rows of the fitted pipeline's feature matrix: text through
 * the {@link RecordDecoder} (no per-row objects), Arrow and Parquet column by column. Batches come
 * in file order; their sizes follow the blocks read, not a fixed row count. Memory stays bounded
 * by a few blocks whatever the file's size. The matrix equals `pipeline.transform` of the same rows.
 */
export async function* readRecords(source: ByteSource, featurizer: Featurizer, options: RecordOptions = {}): AsyncGenerator<RecordBatch> {
  const file = options.fileName ?? 'input';
  const { head, chunks } = await openBytes(source, file);
  if (isColumnar(head, options)) {
    let texts: string[] = [];
    let numbers: string[] = [];
    const select = (names: readonly string[]) => {
      texts = options.texts?.(names) ?? [];
      numbers = options.numbers?.(names) ?? [];
      featurizer.features.requireColumns(names, file);
      const missing = [...texts, ...numbers].filter((name) => !names.includes(name));
      if (missing.length > 0) throw new InputError({ file }, `no column(s) ${missing.map((c) => `"${c}"`).join(', ')} in the file`);
      return [...new Set([...featurizer.features.columns, ...texts, ...numbers])];
    };
    for await (const chunk of readChunks(await reopen(source, chunks), { ...options, select })) {
      const { matrix, rows, width, report } = featurizer.transform(chunk.table, chunk);
      const textColumns: Record<string, TextColumn> = {};
      for (const name of texts) textColumns[name] = encodeText(chunk.table.array(name) as ArrayLike<unknown>);
      const numberColumns: Record<string, Float64Array> = {};
      for (const name of numbers) numberColumns[name] = Float64Array.from(numbersOf(chunk.table, name, chunk));
      yield { rows, matrix, width, texts: textColumns, numbers: numberColumns, report };
    }
    return;
  }
  const { layout, blocks } = await openText(chunks, layoutOptions(options, file), options.blockBytes ?? BLOCK_BYTES);
  const texts = options.texts?.(layout.names) ?? [];
  const numbers = options.numbers?.(layout.names) ?? [];
  const request: DecodeRequest = { features: featurizer.features.toJSON(), numbers, texts };
  checkRequest(layout, request);
  const decoding = options.decoding ?? decodeHere;
  let rows = 0;
  for await (const decoded of decoding(blocks, layout, request)) {
    if (decoded.rows === 0) continue;
    rows += decoded.rows;
    yield batchOf(decoded, texts, numbers);
  }
  if (rows === 0) {
    if (layout.headerLine > 0) throw new InputError({ file, line: layout.headerLine }, 'the file has a header but no data rows');
    throw new InputError({ file }, 'the file holds no data rows');
  }
}

/** Decodes blocks one after another on this thread. */
export async function* decodeHere(blocks: AsyncIterable<Uint8Array>, layout: TextLayout, request: DecodeRequest): AsyncGenerator<DecodedRows> {
  const decoder = new RecordDecoder(layout, request);
  let line = layout.bodyLine;
  for await (const block of blocks) {
    line = decoder.decode(block, 0, block.length, line).line;
    yield decoder.take();
  }
}

function batchOf(decoded: DecodedRows, textNames: string[], numberNames: string[]): RecordBatch {
  const texts: Record<string, TextColumn> = {};
  textNames.forEach((name, k) => (texts[name] = decoded.texts[k]));
  const numbers: Record<string, Float64Array> = {};
  numberNames.forEach((name, k) => (numbers[name] = decoded.numbers[k]));
  return { rows: decoded.rows, matrix: decoded.matrix, width: decoded.width, texts, numbers, report: decoded.report };
}

/**
 * The source again for the columnar reader: a source read at random (bytes, a Blob) as it is, its
 * peeking stream closed; a stream as the bytes that peeking left.
 */
async function reopen(source: ByteSource, chunks: AsyncGenerator<Uint8Array>): Promise<ByteSource> {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer || (typeof Blob !== 'undefined' && source instanceof Blob)) {
    await chunks.return(undefined);
    return source;
  }
  return chunks;
}

/** A column's values as a dictionary-encoded text column (missing values as the empty string). */
export function encodeText(values: ArrayLike<unknown>): TextColumn {
  const codes = new Int32Array(values.length);
  const out: string[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const text = typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v);
    let code = seen.get(text);
    if (code === undefined) {
      code = out.length;
      out.push(text);
      seen.set(text, code);
    }
    codes[i] = code;
  }
  return { codes, values: out };
}

/**
 * The batches regrouped into batches of exactly `rows` rows (the last may hold fewer): one GPU
 * chunk each. A batch's repair report goes with the group its first row lands in.
 */
export async function* regroup(batches: AsyncIterable<RecordBatch>, rows: number): AsyncGenerator<RecordBatch> {
  let group: Group | null = null;
  for await (const batch of batches) {
    group ??= new Group(rows, batch.width, Object.keys(batch.texts), Object.keys(batch.numbers));
    mergeReports(group.report, batch.report);
    let at = 0;
    while (at < batch.rows) {
      const n = Math.min(rows - group.size, batch.rows - at);
      group.copy(batch, at, n);
      at += n;
      if (group.size === rows) {
        yield group.finish();
        group = new Group(rows, batch.width, Object.keys(batch.texts), Object.keys(batch.numbers));
      }
    }
  }
  if (group !== null && group.size > 0) yield group.finish();
}

class Group {
  size = 0;
  readonly report = emptyReport();
  private readonly matrix: Float32Array;
  /** Per text column: its codes, its values, and where each source column's values start among them. */
  private readonly texts: { name: string; codes: Int32Array; values: string[]; at: Map<TextColumn, number> }[];
  private readonly numbers: { name: string; values: Float64Array }[];

  constructor(rows: number, private readonly width: number, textNames: string[], numberNames: string[]) {
    this.matrix = new Float32Array(rows * width);
    this.texts = textNames.map((name) => ({ name, codes: new Int32Array(rows), values: [], at: new Map() }));
    this.numbers = numberNames.map((name) => ({ name, values: new Float64Array(rows) }));
  }

  copy(batch: RecordBatch, from: number, n: number): void {
    const w = this.width;
    this.matrix.set(batch.matrix.subarray(from * w, (from + n) * w), this.size * w);
    for (const text of this.texts) {
      const source = batch.texts[text.name];
      let at = text.at.get(source);
      if (at === undefined) {
        at = text.values.length;
        text.at.set(source, at);
        for (const value of source.values) text.values.push(value);
      }
      for (let i = 0; i < n; i++) text.codes[this.size + i] = source.codes[from + i] + at;
    }
    for (const number of this.numbers) number.values.set(batch.numbers[number.name].subarray(from, from + n), this.size);
    this.size += n;
  }

  finish(): RecordBatch {
    const n = this.size;
    const texts: Record<string, TextColumn> = {};
    for (const text of this.texts) texts[text.name] = { codes: text.codes.subarray(0, n), values: text.values };
    const numbers: Record<string, Float64Array> = {};
    for (const number of this.numbers) numbers[number.name] = number.values.subarray(0, n);
    return { rows: n, matrix: this.matrix.subarray(0, n * this.width), width: this.width, texts, numbers, report: this.report };
  }
}
