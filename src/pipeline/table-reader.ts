import { table, type ColumnTable } from 'arquero';
import type { Column, ColumnKind } from './columns';
import { RowSplitter, type RowBatch } from './delimited';
import { InputError, quote } from './errors';
import { parseNumber, isFiniteText } from './values';
import { isZeekLog, parseZeekHeader } from './zeek';

export type TextFormat = 'csv' | 'tsv' | 'zeek';
export type Format = TextFormat | 'arrow';

interface TextReadOptions {
  file: string;
  format: TextFormat;
  /** Field delimiter; default `,` for csv, tab for tsv, the `#separator` for zeek. */
  delimiter?: string;
  /** Whether the first row names the columns; default true unless `names` is given. Ignored for zeek. */
  header?: boolean;
  /** Column names, for files without a header (or to replace the header's). */
  names?: string[];
  /** Says where `names` came from, for error messages (e.g. "the nsl-kdd preset"). */
  namesFrom?: string;
  /** Column kinds by name; other columns are typed from the first chunk (see {@link TableReader}). */
  types?: Record<string, ColumnKind>;
  chunkRows: number;
}

/** A block of consecutive rows of a file. */
export interface Chunk {
  table: ColumnTable;
  file: string;
  format: Format;
  /** `row` for Arrow input, where `lines` holds record numbers. */
  unit: 'line' | 'row';
  /** 1-based line of the first row. */
  firstLine: number;
  /** 1-based line of every row. */
  lines: Int32Array;
  /** Rows whose fields were all empty, skipped before this chunk's last row. */
  blankRows: number;
}

type Kind = ColumnKind | 'auto';

/** The most columns a file may have: far more than any flow record, few enough to refuse a runaway header at once. */
export const MAX_COLUMNS = 100_000;

/**
 * Turns delimited text, pushed in blocks, into typed chunks of at most `chunkRows` rows.
 *
 * Rules:
 * - Header names are trimmed; an empty name becomes `columnN`; a repeated name gets `.1`, `.2`, …
 *   (so CICFlowMeter's second ` Fwd Header Length` is `Fwd Header Length.1`).
 * - A row with a different number of fields than there are names is an error naming file and line.
 * - Empty lines and rows whose fields are all empty are skipped and counted (`blankRows`).
 * - A column of kind `number` reads every field with {@link parseNumber}; a field that is not a
 *   number is an error naming file, line and column. A column of kind `string` keeps the text.
 * - A column given no kind is typed from the first chunk: `number` when every field there reads as
 *   a number (missing spellings allowed) and at least one is a finite number, else `string`.
 *   Later chunks must then agree.
 * - Zeek logs: names from `#fields`, kinds from `#types`; lines starting with `#` are skipped.
 */
export class TableReader {
  private readonly options: TextReadOptions;
  private splitter: RowSplitter | null = null;
  private names: string[] | null = null;
  private kinds: Kind[] = [];
  private namesFrom = '';
  private builder: Builder | null = null;
  private zeekHeader: string[] | null = null;
  private pending = '';
  private skipComments = false;
  private headerLine = 0;
  private rows = 0;
  private blank = 0;
  private typedFrom: (number | undefined)[] = [];
  /** While the header row arrives: its fields so far, whether it has begun, whether it has ended. */
  private headerFields = 1;
  private headerStarted = false;
  private headerCounted = false;

  constructor(options: TextReadOptions) {
    this.options = options;
    if (options.format === 'zeek') this.zeekHeader = [];
    else this.splitter = new RowSplitter({ delimiter: options.delimiter ?? (options.format === 'tsv' ? '\t' : ','), quoted: true });
    const header = options.header ?? options.names === undefined;
    if (options.format !== 'zeek' && !header) {
      if (options.names === undefined) {
        throw new InputError({ file: options.file }, 'a file without a header needs column names (a preset or a names file)');
      }
      this.useNames(options.names, options.namesFrom ?? 'the given names');
    }
  }

  /** Chunks completed by this text; a row error is thrown after the chunks before it. */
  *push(text: string): Generator<Chunk> {
    if (this.zeekHeader !== null) {
      text = this.readZeekHeader(this.pending + text, false);
      if (this.zeekHeader !== null) return;
    }
    if (this.names === null) this.countHeaderFields(text);
    yield* this.take(this.splitter!.push(text));
  }

  /**
   * Counts the delimiters of the header row as its text arrives, so that a header of millions
   * of fields is refused in its first block rather than parsed whole. Empty lines before it are
   * skipped, as the reader skips them; a quoted delimiter counts too, which can only err early.
   */
  private countHeaderFields(text: string): void {
    if (this.headerCounted) return;
    let at = 0;
    while (!this.headerStarted) {
      const newline = text.indexOf('\n', at);
      const line = text.slice(at, newline === -1 ? text.length : newline);
      if (line !== '' && line !== '\r') this.headerStarted = true;
      else if (newline === -1) return;
      else at = newline + 1;
    }
    const delimiter = this.options.delimiter ?? (this.options.format === 'tsv' ? '\t' : ',');
    const newline = text.indexOf('\n', at);
    const end = newline === -1 ? text.length : newline;
    for (let d = text.indexOf(delimiter, at); d !== -1 && d < end; d = text.indexOf(delimiter, d + delimiter.length)) {
      if (++this.headerFields > MAX_COLUMNS) {
        throw new InputError({ file: this.options.file }, `the header row has more than ${MAX_COLUMNS.toLocaleString('en-US')} columns, the most netae reads`);
      }
    }
    if (newline !== -1) this.headerCounted = true;
  }

  *end(): Generator<Chunk> {
    if (this.zeekHeader !== null) {
      const rest = this.readZeekHeader(this.pending, true);
      yield* this.take(this.splitter!.push(rest));
    }
    yield* this.take(this.splitter!.end());
    if (this.builder !== null && this.builder.size > 0) yield this.flush();
    if (this.rows === 0) {
      const { file } = this.options;
      if (this.headerLine > 0) throw new InputError({ file, line: this.headerLine }, 'the file has a header but no data rows');
      throw new InputError({ file }, 'the file holds no data rows');
    }
  }

  private readZeekHeader(text: string, atEnd: boolean): string {
    const lines = this.zeekHeader!;
    let at = 0;
    for (;;) {
      const newline = text.indexOf('\n', at);
      if (newline === -1 && !atEnd) {
        this.pending = text.slice(at);
        return '';
      }
      const end = newline === -1 ? text.length : newline;
      const line = text.slice(at, end).replace(/\r$/, '');
      if (!line.startsWith('#') || (lines.length === 0 && !isZeekLog(line))) break;
      lines.push(line);
      at = end + 1;
      if (newline === -1) break;
    }
    const header = parseZeekHeader(lines, this.options.file);
    this.zeekHeader = null;
    this.pending = '';
    this.skipComments = true;
    this.headerLine = lines.length;
    this.splitter = new RowSplitter({ delimiter: this.options.delimiter ?? header.separator, quoted: false }, lines.length + 1);
    this.useNames(header.names, 'the #fields line', header.kinds ?? undefined);
    return text.slice(Math.min(at, text.length));
  }

  private useNames(raw: string[], from: string, kinds?: ColumnKind[]): void {
    if (raw.length > MAX_COLUMNS) {
      throw new InputError({ file: this.options.file }, `${from} names ${raw.length.toLocaleString('en-US')} columns, more than the ${MAX_COLUMNS.toLocaleString('en-US')} netae reads`);
    }
    const names = uniqueNames(raw);
    const types = this.options.types ?? {};
    this.names = names;
    this.namesFrom = from;
    this.kinds = names.map((name, j) => types[name] ?? kinds?.[j] ?? 'auto');
  }

  private *take(batch: RowBatch): Generator<Chunk> {
    const { rows, lines } = batch;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      if (row[0] === '' && row.every((f) => f === '')) {
        this.blank++;
        continue;
      }
      if (this.skipComments && row[0].startsWith('#')) continue;
      if (this.names === null) {
        this.headerLine = lines[r];
        const names = this.options.names ?? row;
        if (names.length !== row.length) this.ragged(row.length, lines[r], names.length, this.options.namesFrom ?? 'the given names');
        this.useNames(names, `the header on line ${lines[r]}`);
        continue;
      }
      if (this.builder === null) this.builder = new Builder(this.names, this.kinds, this.options.chunkRows);
      if (row.length !== this.names.length) this.ragged(row.length, lines[r], this.names.length, this.namesFrom);
      this.builder.add(row, lines[r], this.options.file, this.typedFrom);
      this.rows++;
      if (this.builder.size === this.options.chunkRows) yield this.flush();
    }
  }

  private flush(): Chunk {
    const builder = this.builder!;
    const { columns, lines, kinds } = builder.finish();
    this.typedFrom = this.kinds.map((kind, j) => (kind === 'auto' && kinds[j] === 'number' ? builder.size : this.typedFrom[j]));
    this.kinds = kinds;
    this.builder = null;
    const names = this.names!;
    const data: Record<string, Column> = {};
    names.forEach((name, j) => (data[name] = columns[j]));
    const blankRows = this.blank;
    this.blank = 0;
    return {
      table: table(data, names),
      file: this.options.file,
      format: this.options.format,
      unit: 'line',
      firstLine: lines[0],
      lines,
      blankRows,
    };
  }

  private ragged(found: number, line: number, expected: number, from: string): never {
    throw new InputError(
      { file: this.options.file, line },
      `expected ${expected} fields (as in ${from}), found ${found}`,
    );
  }
}

class Builder {
  readonly names: string[];
  readonly kinds: Kind[];
  private readonly columns: (Float64Array | string[])[];
  private readonly lines: Int32Array;
  size = 0;

  constructor(names: string[], kinds: Kind[], capacity: number) {
    this.names = names;
    this.kinds = kinds;
    this.columns = kinds.map((kind) => (kind === 'number' ? new Float64Array(capacity) : []));
    this.lines = new Int32Array(capacity);
  }

  add(row: string[], line: number, file: string, typedFrom: (number | undefined)[]): void {
    const i = this.size;
    const { columns, kinds } = this;
    for (let j = 0; j < row.length; j++) {
      const column = columns[j];
      if (kinds[j] === 'number') {
        const value = parseNumber(row[j]);
        if (value === undefined) notANumber(row[j], file, line, this.names[j], typedFrom[j]);
        (column as Float64Array)[i] = value;
      } else {
        (column as string[]).push(row[j]);
      }
    }
    this.lines[i] = line;
    this.size = i + 1;
  }

  finish(): { columns: Column[]; lines: Int32Array; kinds: Kind[] } {
    const n = this.size;
    const kinds = this.kinds.slice();
    const columns = this.columns.map((column, j): Column => {
      if (column instanceof Float64Array) return column.subarray(0, n);
      if (kinds[j] !== 'auto') return column;
      if (column.every((f) => parseNumber(f) !== undefined) && column.some(isFiniteText)) {
        kinds[j] = 'number';
        return Float64Array.from(column, (f) => parseNumber(f)!);
      }
      kinds[j] = 'string';
      return column;
    });
    return { columns, lines: this.lines.subarray(0, n), kinds };
  }
}

function notANumber(text: string, file: string, line: number, column: string, typedFrom: number | undefined): never {
  const why = typedFrom !== undefined
    ? ` (the column held only numbers in its first ${typedFrom} rows; name it as categorical to read it as text)`
    : '';
  throw new InputError({ file, line, column }, `expected a number, found ${quote(text)}${why}`);
}

/** Trimmed header names; empty ones become `columnN`, repeats get `.1`, `.2`, … */
function uniqueNames(raw: string[]): string[] {
  const seen = new Map<string, number>();
  const taken = new Set(raw.map((n) => n.trim()));
  return raw.map((name, j) => {
    const base = name.trim() === '' ? `column${j + 1}` : name.trim();
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    if (count === 0) return base;
    let suffix = count;
    while (taken.has(`${base}.${suffix}`)) suffix++;
    const unique = `${base}.${suffix}`;
    taken.add(unique);
    return unique;
  });
}
