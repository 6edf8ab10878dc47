import { table, type ColumnTable } from 'arquero';
import type { Column, ColumnKind, RowOrigin } from './columns';
import { concatArrays } from './bytes';
import { InputError, quote } from './errors';
import { RecordDecoder, type DecodedRows, type DecodeRequest } from './record-decoder';
import type { LineSample } from './row-sample';
import { RowRunsOn, type BlockDecoding } from './text-blocks';
import { countLines } from './text-rows';
import { rowTexts, textValues, type TextColumn } from './text-column';
import { bodyBlock, type TextFormat, type TextLayout } from './text-layout';
import { isNumberText, parseNumber } from './values';

export type Format = TextFormat | 'arrow' | 'parquet';

/** A block of consecutive rows of a file. */
export interface Chunk extends RowOrigin {
  table: ColumnTable;
  format: Format;
  /** `row` for columnar input (Arrow, Parquet), where `lines` holds record numbers. */
  unit: 'line' | 'row';
  /** 1-based line of the first row. */
  firstLine: number;
  /** Rows whose fields were all empty, skipped before this chunk's last row. */
  blankRows: number;
  /**
   * Rows passed over unread since the chunk before, as outside a sample being drawn (ReadOptions'
   * `skipOutside`); the last chunk may hold none but these.
   */
  skippedRows: number;
  /** The lines of those of them a larger sample may still hold (LineSample's `linesCut`), in order. */
  passedLines: Int32Array;
  /** A text file's: the line of its header row, 0 without one (TextLayout's `headerLine`). */
  headerLine?: number;
}

/**
 * Turns blocks of whole rows of a text file into table chunks of at most `chunkRows` rows, every
 * column read by the {@link RecordDecoder}.
 *
 * A column of kind `number` reads every field by the parseNumber rule (a field that is not a
 * number is an error naming file, line and column); `string` keeps the text. A column given no
 * kind is typed from the first chunk: `number` when every field there reads as a number (missing
 * spellings allowed) and at least one is a finite number, else `string`. Later chunks must agree.
 */
export class TextTableReader {
  private readonly layout: TextLayout;
  private readonly chunkRows: number;
  /** The columns read, in file order, with their kinds (undefined: typed from the first chunk). */
  private readonly names: string[];
  private readonly kinds: (ColumnKind | undefined)[];
  /** Per number column typed from the data, what its error says when a later field is not a number. */
  private readonly notes: Record<string, string> = {};
  private decoder: RecordDecoder;
  private line: number;
  private rows = 0;
  private sample: LineSample | null = null;
  private blankBefore: number;
  private skippedBefore = 0;
  private passedBefore: Int32Array[] = [];

  /** `select` chooses the columns to read from the file's names (default: all); the others are skipped unread. */
  constructor(layout: TextLayout, chunkRows: number, select?: (names: readonly string[]) => string[]) {
    this.layout = layout;
    this.chunkRows = chunkRows;
    const chosen = new Set(select?.(layout.names) ?? layout.names);
    this.names = layout.names.filter((name) => chosen.has(name));
    this.kinds = layout.names.flatMap((name, j) => (chosen.has(name) ? [layout.kinds[j]] : []));
    this.decoder = new RecordDecoder(layout, this.request(), chunkRows);
    this.line = layout.bodyLine;
    this.blankBefore = layout.blankRows;
  }

  /**
   * The next block read; a row that runs on too long is named at the line it starts on, after the
   * rows read here and the lines of the blocks read ahead.
   */
  private async nextBlock(iterator: AsyncIterator<Uint8Array>, ahead: readonly Uint8Array[]): Promise<IteratorResult<Uint8Array>> {
    try {
      return await iterator.next();
    } catch (error) {
      if (!(error instanceof RowRunsOn)) throw error;
      throw error.at(ahead.reduce((line, block) => line + countLines(block), this.line));
    }
  }

  /**
   * Chunks of every row of `blocks`, then the checks of {@link end}; each block is given to
   * `recycle` once read. With a `decoding`, the blocks are decoded by it (on worker threads, say)
   * into chunks of a block's rows each, once every column has its kind and when more than
   * `decodingAbove` blocks are left: a column typed from the data is typed from the first chunk,
   * read here, and text of no more blocks than that is read here too, the next ones read ahead
   * until it is known. With a `sample`, rows it no longer admits are passed over unread (see
   * BlockDecoding) and counted in the next chunk's `skippedRows`.
   */
  async *read(
    blocks: AsyncIterable<Uint8Array>, recycle: (block: Uint8Array) => void, decoding?: BlockDecoding, decodingAbove = 0, sample?: LineSample,
  ): AsyncGenerator<Chunk> {
    this.sample = sample ?? null;
    const iterator = blocks[Symbol.asyncIterator]();
    try {
      const ahead: Uint8Array[] = [];
      while (ahead.length === 0 && (decoding === undefined || !this.typed)) {
        const next = await this.nextBlock(iterator, ahead);
        if (next.done) {
          yield* this.end();
          return;
        }
        const block = bodyBlock(this.layout, next.value);
        const at = yield* this.push(block, decoding !== undefined);
        if (at < block.length) ahead.push(block.subarray(at));
        else recycle(block);
      }
      while (ahead.length <= decodingAbove) {
        const next = await this.nextBlock(iterator, ahead);
        if (next.done) {
          for (const block of ahead) {
            yield* this.push(block);
            recycle(block);
          }
          yield* this.end();
          return;
        }
        ahead.push(bodyBlock(this.layout, next.value));
      }
      // A layout whose body starts where the rows read here end, for the lines to be counted from there.
      const layout: TextLayout = { ...this.layout, bodyLine: this.line };
      yield* this.decoded(decoding!(remaining(ahead, iterator), layout, this.request(), recycle, sample));
    } finally {
      await iterator.return?.();
    }
  }

  /**
   * Chunks completed by this block of whole rows; a row error is thrown after the chunks before it.
   * Returns where it stopped: the block's end, or, `untilTyped`, where every column has its kind.
   */
  *push(block: Uint8Array, untilTyped = false): Generator<Chunk, number> {
    let at = 0;
    while (at < block.length && !(untilTyped && this.typed)) {
      if (this.sample !== null) this.decoder.sampleBelow(this.sample.seed, this.sample.cut(), this.sample.linesCut?.());
      const { next, line } = this.decoder.decode(block, at, block.length, this.line, this.chunkRows - this.decoder.size);
      at = next;
      this.line = line;
      if (this.decoder.size === this.chunkRows) yield this.flush();
    }
    return at;
  }

  *end(): Generator<Chunk> {
    if (this.decoder.size > 0 || this.decoder.passedOver > 0) yield this.flush();
    if (this.rows === 0) {
      const { file, headerLine } = this.layout;
      if (headerLine > 0) throw new InputError({ file, line: headerLine }, 'the file has a header but no data rows');
      throw new InputError({ file }, 'the file holds no data rows');
    }
  }

  /** Whether every column read has its kind. */
  private get typed(): boolean {
    return !this.kinds.includes(undefined);
  }

  /** What the decoder reads: number columns as numbers, the others (typed from the data or not) as text. */
  private request(): DecodeRequest {
    return {
      features: null,
      numbers: this.names.filter((_, k) => this.kinds[k] === 'number'),
      texts: this.names.filter((_, k) => this.kinds[k] !== 'number'),
      notes: this.notes,
    };
  }

  /**
   * The blocks' rows decoded elsewhere, as chunks, then the checks of {@link end}. A chunk is held
   * until the next comes, so that the blank rows of blocks holding no row count in the last one.
   */
  private async *decoded(rows: AsyncIterable<DecodedRows>): AsyncGenerator<Chunk> {
    let held: Chunk | null = null;
    for await (const decoded of rows) {
      if (decoded.rows === 0) {
        if (held === null) {
          this.blankBefore += decoded.blankRows;
          this.skippedBefore += decoded.skippedRows;
          this.passedBefore.push(decoded.passedLines);
        } else {
          held.blankRows += decoded.blankRows;
          held.skippedRows += decoded.skippedRows;
          held.passedLines = concatArrays([held.passedLines, decoded.passedLines], Int32Array);
        }
        continue;
      }
      if (held !== null) yield held;
      held = this.chunkOf(decoded);
    }
    if (held !== null) yield held;
    yield* this.end();
  }

  private flush(): Chunk {
    const typing = !this.typed;
    const chunk = this.chunkOf(this.decoder.take());
    if (typing) this.decoder = new RecordDecoder(this.layout, this.request(), this.chunkRows);
    return chunk;
  }

  private chunkOf(decoded: DecodedRows): Chunk {
    const numbers = decoded.numbers.values();
    const texts = decoded.texts.values();
    const data: Record<string, Column> = {};
    this.names.forEach((name, k) => {
      data[name] = this.kinds[k] === 'number' ? numbers.next().value! : this.textColumn(k, texts.next().value!, decoded.lines);
    });
    this.rows += decoded.rows;
    const blankRows = this.blankBefore + decoded.blankRows;
    const skippedRows = this.skippedBefore + decoded.skippedRows;
    const passedLines = concatArrays([...this.passedBefore, decoded.passedLines], Int32Array);
    this.blankBefore = 0;
    this.skippedBefore = 0;
    this.passedBefore = [];
    const { file, format } = this.layout;
    return { table: table(data, this.names), file, format, unit: 'line', firstLine: decoded.lines[0] ?? this.line, lines: decoded.lines, blankRows, skippedRows, passedLines, headerLine: this.layout.headerLine };
  }

  /**
   * A text column as read; in the first chunk, a column of no kind becomes numbers when all its
   * fields read as numbers, one of them at least not missing (infinite ones count). One whose fields are numbers but for a few (at most one row in a
   * hundred) is taken for a column of numbers with a bad field: an error names the first, as it
   * would in a later chunk, rather than the column silently becoming categories.
   */
  private textColumn(k: number, text: TextColumn, lines: Int32Array): Column {
    if (this.kinds[k] === undefined) {
      const texts = textValues(text);
      const values = texts.map(parseNumber);
      const rows = lines.length;
      if (texts.some(isNumberText)) {
        let bad = 0;
        for (const code of text.codes) if (values[code] === undefined) bad++;
        const readAs = `name it as categorical to read it as text`;
        if (bad === 0) {
          this.kinds[k] = 'number';
          this.notes[this.names[k]] = `the column held only numbers in its first ${rows} rows; ${readAs}`;
          return Float64Array.from(text.codes, (code) => values[code]!);
        }
        if (bad <= Math.max(1, Math.floor(rows / 100))) {
          const row = text.codes.findIndex((code) => values[code] === undefined);
          throw new InputError(
            { file: this.layout.file, line: lines[row], column: this.names[k] },
            `expected a number, found ${quote(texts[text.codes[row]])} (the column holds numbers in ${(rows - bad).toLocaleString('en-US')} of its first ${rows.toLocaleString('en-US')} rows; ${readAs})`,
          );
        }
      }
      this.kinds[k] = 'string';
    }
    return rowTexts(text);
  }
}

/** The blocks read ahead, then the blocks still to come. */
async function* remaining(ahead: Uint8Array[], blocks: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* ahead;
    for (let next = await blocks.next(); next.done !== true; next = await blocks.next()) yield next.value;
  } finally {
    await blocks.return?.();
  }
}
