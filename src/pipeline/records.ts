import type { ByteSource } from './bytes';
import { textTwin } from './columnar';
import { InputError } from './errors';
import { emptyReport, numbersOf, type TransformReport } from './features';
import { isColumnar, layoutOptions, openBytes, readChunks, type ReadOptions } from './io';
import type { Featurizer } from './featurizer';
import { checkRequest, holdsBlock, RecordDecoder, type DecodedRows, type DecodeRequest } from './record-decoder';
import type { LineSample } from './row-sample';
import { BLOCK_BYTES, openText, RowRunsOn } from './text-blocks';
import { encodeText, pickTexts, type TextColumn } from './text-column';
import { bodyBlock, type TextLayout } from './text-layout';

/** Rows of a file as the fitted pipeline's feature matrix, with the text of chosen columns. */
export interface RecordBatch {
  rows: number;
  /** 1-based line each row starts on (its record number in columnar input). */
  lines: Int32Array;
  /** Rows before these passed over unread, as outside the sample (RecordOptions' `skipOutside`). */
  skippedRows: number;
  /**
   * Row-major [rows × width]: the features, or with `packed` the packed rows (packed-rows.ts), whose
   * category words are u32 (read them through a Uint32Array over the same bytes).
   */
  matrix: Float32Array;
  /** Values in a row of `matrix`: the features, or the words of a packed row. */
  width: number;
  packed: boolean;
  /** The columns asked for as text, by name. */
  texts: Record<string, TextColumn>;
  /** The columns asked for as numbers, by name (NaN where missing). */
  numbers: Record<string, Float64Array>;
  report: TransformReport;
}

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
  /**
   * Hand back text's rows packed (packed-rows.ts) rather than as the feature matrix: fewer bytes
   * for a reader that expands them where it needs them (on the GPU, say). Columnar input still
   * comes back dense; each batch says which it is. Default: dense.
   */
  packed?: boolean;
  /**
   * Hand back the text columns as where their fields lie in the blocks read, copying nothing (see
   * DecodeRequest's `inPlace`): for text only copied out. Default: each batch's values copied.
   */
  textInPlace?: boolean;
  /**
   * A sample being drawn from the rows: text rows it no longer admits may be passed over unread,
   * counted in the next batch's `skippedRows` (a batch of no rows may come to count them).
   * Default: every row read.
   */
  skipOutside?: LineSample;
  /**
   * Told of rows skipped as holding no record (all their fields empty, or repeating the header
   * row), as they are met: for a summary to count them.
   */
  onBlankRows?: (rows: number) => void;
}

/**
 * Reads any supported file straight into rows of the fitted pipeline's feature matrix: text through
 * the {@link RecordDecoder} (no per-row objects), Arrow and Parquet column by column. Batches come
 * in file order; their sizes follow the blocks read, not a fixed row count. Memory stays bounded
 * by a few blocks whatever the file's size. The matrix equals `pipeline.transform` of the same rows.
 */
export async function* readRecords(source: ByteSource, featurizer: Featurizer, options: RecordOptions = {}): AsyncGenerator<RecordBatch> {
  const file = options.fileName ?? 'input';
  const { head, chunks } = await openBytes(source, file, options.gunzip);
  if (isColumnar(head, options)) {
    let texts: string[] = [];
    let numbers: string[] = [];
    /**
     * The text columns read as text, whatever their type in the file: a 64-bit id is copied
     * exactly. One that is also a numeric feature is read as numbers, with its text beside it.
     */
    const types = { ...options.types };
    const alsoText = (name: string) => texts.includes(name);
    const select = (names: readonly string[]) => {
      texts = options.texts?.(names) ?? [];
      numbers = options.numbers?.(names) ?? [];
      for (const name of texts) types[name] ??= 'string';
      featurizer.features.requireColumns(names, file);
      const missing = [...texts, ...numbers].filter((name) => !names.includes(name));
      if (missing.length > 0) throw new InputError({ file }, `no column(s) ${missing.map((c) => `"${c}"`).join(', ')} in the file`);
      return [...new Set([...featurizer.features.columns, ...texts, ...numbers])];
    };
    for await (const chunk of readChunks(await reopen(source, chunks), { ...options, types, select, alsoText })) {
      const { matrix, rows, width, report } = featurizer.transform(chunk.table, chunk);
      const textColumns: Record<string, TextColumn> = {};
      for (const name of texts) {
        const twin = chunk.table.columnNames().includes(textTwin(name)) ? textTwin(name) : name;
        textColumns[name] = encodeText(chunk.table.array(twin) as ArrayLike<unknown>);
      }
      const numberColumns: Record<string, Float64Array> = {};
      for (const name of numbers) numberColumns[name] = Float64Array.from(numbersOf(chunk.table, name, chunk));
      yield { rows, lines: chunk.lines, skippedRows: 0, matrix, width, packed: false, texts: textColumns, numbers: numberColumns, report };
    }
    return;
  }
  const { layout, blocks, recycle } = await openText(chunks, layoutOptions(options, file), options.blockBytes ?? BLOCK_BYTES);
  const texts = options.texts?.(layout.names) ?? [];
  const numbers = options.numbers?.(layout.names) ?? [];
  const request: DecodeRequest = { features: featurizer.features.toJSON(), numbers, texts, packed: options.packed === true, inPlace: options.textInPlace === true };
  checkRequest(layout, request);
  const decoding = options.decoding ?? decodeHere;
  if (layout.blankRows > 0) options.onBlankRows?.(layout.blankRows);
  let rows = 0;
  for await (const decoded of decoding(blocks, layout, request, recycle, options.skipOutside)) {
    if (decoded.blankRows > 0) options.onBlankRows?.(decoded.blankRows);
    if (decoded.rows === 0 && decoded.skippedRows === 0) continue;
    rows += decoded.rows + decoded.skippedRows;
    yield batchOf(decoded, texts, numbers);
  }
  if (rows === 0) {
    if (layout.headerLine > 0) throw new InputError({ file, line: layout.headerLine }, 'the file has a header but no data rows');
    throw new InputError({ file }, 'the file holds no data rows');
  }
}

/** Decodes blocks one after another on this thread. */
export async function* decodeHere(
  blocks: AsyncIterable<Uint8Array>, layout: TextLayout, request: DecodeRequest, recycle: (block: Uint8Array) => void = () => undefined, sample?: LineSample,
): AsyncGenerator<DecodedRows> {
  const decoder = new RecordDecoder(layout, request);
  let line = layout.bodyLine;
  try {
    for await (const read of blocks) {
      const block = bodyBlock(layout, read);
      if (sample !== undefined) decoder.sampleBelow(sample.seed, sample.cut(), sample.linesCut?.());
      line = decoder.decode(block, 0, block.length, line).line;
      const rows = decoder.take();
      if (!holdsBlock(rows, block)) recycle(block);
      yield rows;
    }
  } catch (error) {
    throw error instanceof RowRunsOn ? error.at(line) : error;
  }
}

function batchOf(decoded: DecodedRows, textNames: string[], numberNames: string[]): RecordBatch {
  const texts: Record<string, TextColumn> = {};
  textNames.forEach((name, k) => (texts[name] = decoded.texts[k]));
  const numbers: Record<string, Float64Array> = {};
  numberNames.forEach((name, k) => (numbers[name] = decoded.numbers[k]));
  const { rows, lines, skippedRows, matrix, width, packed, report } = decoded;
  return { rows, lines, skippedRows, matrix, width, packed, texts, numbers, report };
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

/**
 * The batches cut into chunks of at most `rows` rows (one GPU chunk each), in order: each chunk a
 * view of its batch's arrays, but for its text columns, copied so that each chunk owns them (they
 * move to the thread that writes it). A batch's repair report goes with its first chunk.
 */
export async function* inChunks(batches: AsyncIterable<RecordBatch>, rows: number): AsyncGenerator<RecordBatch> {
  for await (const batch of batches) {
    if (batch.rows <= rows) {
      yield batch;
      continue;
    }
    for (let from = 0; from < batch.rows; from += rows) yield rowsOf(batch, from, Math.min(batch.rows, from + rows), from === 0);
  }
}

/** Rows `[from, to)` of a batch (see {@link inChunks}), with the batch's report and skipped rows when `withReport` (else none). */
function rowsOf(batch: RecordBatch, from: number, to: number, withReport: boolean): RecordBatch {
  const texts: Record<string, TextColumn> = {};
  for (const [name, column] of Object.entries(batch.texts)) texts[name] = pickTexts(column, to - from, (n) => from + n);
  const numbers: Record<string, Float64Array> = {};
  for (const [name, values] of Object.entries(batch.numbers)) numbers[name] = values.subarray(from, to);
  const { width, packed } = batch;
  const report = withReport ? batch.report : emptyReport();
  const skippedRows = withReport ? batch.skippedRows : 0;
  return { rows: to - from, lines: batch.lines.subarray(from, to), skippedRows, matrix: batch.matrix.subarray(from * width, to * width), width, packed, texts, numbers, report };
}
