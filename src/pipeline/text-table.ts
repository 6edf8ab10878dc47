import { table, type ColumnTable } from 'arquero';
import type { Column, ColumnKind, RowOrigin } from './columns';
import { InputError } from './errors';
import { RecordDecoder } from './record-decoder';
import { rowTexts, textValues, type TextColumn } from './text-column';
import type { TextFormat, TextLayout } from './text-layout';
import { isFiniteText, parseNumber } from './values';

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
  private decoder: RecordDecoder;
  private line: number;
  private rows = 0;
  private blankBefore: number;

  /** `select` chooses the columns to read from the file's names (default: all); the others are skipped unread. */
  constructor(layout: TextLayout, chunkRows: number, select?: (names: readonly string[]) => string[]) {
    this.layout = layout;
    this.chunkRows = chunkRows;
    const chosen = new Set(select?.(layout.names) ?? layout.names);
    this.names = layout.names.filter((name) => chosen.has(name));
    this.kinds = layout.names.flatMap((name, j) => (chosen.has(name) ? [layout.kinds[j]] : []));
    this.decoder = this.makeDecoder({});
    this.line = layout.bodyLine;
    this.blankBefore = layout.blankRows;
  }

  /** Chunks completed by this block of whole rows; a row error is thrown after the chunks before it. */
  *push(block: Uint8Array): Generator<Chunk> {
    let at = 0;
    while (at < block.length) {
      const { next, line } = this.decoder.decode(block, at, block.length, this.line, this.chunkRows - this.decoder.size);
      at = next;
      this.line = line;
      if (this.decoder.size === this.chunkRows) yield this.flush();
    }
  }

  *end(): Generator<Chunk> {
    if (this.decoder.size > 0) yield this.flush();
    if (this.rows === 0) {
      const { file, headerLine } = this.layout;
      if (headerLine > 0) throw new InputError({ file, line: headerLine }, 'the file has a header but no data rows');
      throw new InputError({ file }, 'the file holds no data rows');
    }
  }

  private makeDecoder(notes: Record<string, string>): RecordDecoder {
    return new RecordDecoder(this.layout, {
      features: null,
      numbers: this.names.filter((_, k) => this.kinds[k] === 'number'),
      texts: this.names.filter((_, k) => this.kinds[k] !== 'number'),
      notes,
    }, this.chunkRows);
  }

  private flush(): Chunk {
    const decoded = this.decoder.take();
    const typing = this.kinds.includes(undefined);
    const notes: Record<string, string> = {};
    const numbers = decoded.numbers.values();
    const texts = decoded.texts.values();
    const data: Record<string, Column> = {};
    this.names.forEach((name, k) => {
      data[name] = this.kinds[k] === 'number' ? numbers.next().value! : this.typed(k, texts.next().value!, decoded.rows, notes);
    });
    if (typing) this.decoder = this.makeDecoder(notes);
    this.rows += decoded.rows;
    const blankRows = this.blankBefore + decoded.blankRows;
    this.blankBefore = 0;
    const { file, format } = this.layout;
    return { table: table(data, this.names), file, format, unit: 'line', firstLine: decoded.lines[0], lines: decoded.lines, blankRows };
  }

  /** A text column as read; in the first chunk, a column of no kind becomes numbers when all its fields read as numbers. */
  private typed(k: number, text: TextColumn, rows: number, notes: Record<string, string>): Column {
    if (this.kinds[k] === undefined) {
      const texts = textValues(text);
      const values = texts.map(parseNumber);
      if (values.every((v) => v !== undefined) && texts.some(isFiniteText)) {
        this.kinds[k] = 'number';
        notes[this.names[k]] = `the column held only numbers in its first ${rows} rows; name it as categorical to read it as text`;
        return Float64Array.from(text.codes, (code) => values[code]!);
      }
      this.kinds[k] = 'string';
    }
    return rowTexts(text);
  }
}
