import { decodeBytes } from './byte-strings';
import type { ColumnKind } from './columns';
import { InputError } from './errors';
import { LF, CR, splitRow } from './text-rows';
import { parseNumber } from './values';
import { isZeekLog, parseZeekHeader, splitSpacedFields, zeekFields, type SpacedFields } from './zeek';

export type TextFormat = 'csv' | 'tsv' | 'zeek';

/** How to read a text file's head, as the caller knows it. */
export interface LayoutOptions {
  file: string;
  /** Default: detected by {@link detectTextFormat}. */
  format?: TextFormat;
  /** Field delimiter, one byte; default `,` for csv, tab for tsv, the `#separator` for zeek. */
  delimiter?: string;
  /**
   * Whether the first row names the columns. Unset: true without `names`; with them, only where
   * the first row is those names, or is all text, no field a number or a missing or infinite
   * value's spelling, or numbers 8 columns or more from 0 (the header pandas writes for a table
   * without column names): a header the names replace. Blank lines before it are passed over.
   * False: only where it is those names. True: the first row is a header, and `names`, where
   * given, replace its names. Ignored for zeek.
   */
  header?: boolean;
  /** Column names, for files without a header (or to replace the header's). */
  names?: string[];
  /** Says where `names` came from, for error messages (e.g. "the nsl-kdd preset"). */
  namesFrom?: string;
  /** Column kinds by name; they override a Zeek log's `#types`. */
  types?: Record<string, ColumnKind>;
}

/** What the head of a text file says about the rows after it. */
export interface TextLayout {
  readonly file: string;
  readonly format: TextFormat;
  /** The field delimiter byte. */
  readonly delimiter: number;
  /** Whether `"` quotes fields (CSV and TSV; not Zeek). */
  readonly quoted: boolean;
  /** Whether rows whose first field starts with `#` are skipped (Zeek's `#close`). */
  readonly skipComments: boolean;
  /** Column names: trimmed, empty ones as `columnN`, repeats with `.1`, `.2`, … */
  readonly names: string[];
  /** Where the names came from, for error messages. */
  readonly namesFrom: string;
  /** Per column: its kind when given (types, then `#types`), else undefined (typed from the data). */
  readonly kinds: (ColumnKind | undefined)[];
  /** Byte offset of the first data row in the head. */
  readonly bodyStart: number;
  /** 1-based line of the first data row. */
  readonly bodyLine: number;
  /** Line of the header row, or the last `#` line of a Zeek header; 0 without a header. */
  readonly headerLine: number;
  /** Blank rows skipped before the header. */
  readonly blankRows: number;
  /**
   * The header row's bytes, line end left off, where the file has a header row: a row of the body
   * that repeats it (files joined end to end, as some CSE-CIC-IDS2018 files are) is skipped.
   */
  readonly headerRow?: Uint8Array;
  /**
   * A Zeek log's fields that hold several columns apart by spaces (IoT-23's labels): blocks of its
   * rows go through {@link bodyBlock} where they are decoded.
   */
  readonly spaced?: SpacedFields;
}

/** The head is read until its header is whole, at most this many bytes. */
export const MAX_HEADER_BYTES = 16 << 20;

/**
 * The fewest columns for a first row numbering them from 0 to be taken for a header (see
 * LayoutOptions' `header`): `0,1,2` may well be a record, `0,1,…,7` is not one of network traffic.
 */
const NUMBERED_HEADER_FIELDS = 8;

/** The most columns a file may have: far more than any flow record, few enough to refuse a runaway header at once. */
export const MAX_COLUMNS = 100_000;

/** The bytes looked at to tell text from UTF-16 or binary data. */
const TEXT_CHECK_BYTES = 512;

/**
 * Reads the head of a text file: byte-order mark, format, delimiter, column names and kinds, and
 * where the data rows start. Returns null when `head` ends before the header does and more bytes
 * may follow (`atEnd` false); a head that runs past MAX_HEADER_BYTES is read as if it ended there,
 * so that a quote left open is named as such. A file read with given names (a headerless preset,
 * `--names`) whose first row is those names, in order, has that row as its header. This is the one
 * place a file's header is read: checks on the header as a whole (its encoding, its number of
 * columns) belong here.
 */
export function readLayout(head: Uint8Array, atEnd: boolean, options: LayoutOptions): TextLayout | null {
  checkText(head, options.file);
  checkHeaderWidth(head, options);
  const layout = headLayout(head, atEnd, options);
  if (layout === null && head.length > MAX_HEADER_BYTES) {
    headLayout(head, true, options);
    throw new InputError({ file: options.file }, `no end of the header in the first ${MAX_HEADER_BYTES >> 20} MiB`);
  }
  return layout;
}

/**
 * Refuses a file that is not UTF-8 text: UTF-16 (a byte-order mark, or NUL bytes in most even
 * or most odd positions and hardly any of the others, as ASCII text in UTF-16 has) or other
 * binary data (any NUL byte), judged on the first TEXT_CHECK_BYTES bytes.
 */
function checkText(bytes: Uint8Array, file: string): void {
  const head = bytes.subarray(0, TEXT_CHECK_BYTES);
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
    throw new InputError({ file }, `not text (a NUL byte at byte ${nul + 1}); netae reads CSV, TSV, Zeek logs, Arrow and Parquet, gzip or not`);
  }
}

/**
 * Counts the delimiters of the first line of the head as it arrives, so that a header of
 * millions of fields is refused in its first block rather than split whole. A quoted delimiter
 * counts too, which can only err early; a Zeek log's `#` lines are checked when they are split.
 */
function checkHeaderWidth(head: Uint8Array, options: LayoutOptions): void {
  const header = options.header ?? options.names === undefined;
  if (!header || options.format === 'zeek' || head[0] === 0x23) return;
  const end = head.indexOf(LF);
  const line = end === -1 ? head : head.subarray(0, end);
  const delimiters = options.delimiter !== undefined ? [options.delimiter.charCodeAt(0)] : [0x2c, 0x09];
  for (const d of delimiters) {
    let fields = 1;
    for (let i = line.indexOf(d); i !== -1; i = line.indexOf(d, i + 1)) {
      if (++fields > MAX_COLUMNS) {
        throw new InputError({ file: options.file }, `the header row has more than ${MAX_COLUMNS.toLocaleString('en-US')} columns, the most netae reads`);
      }
    }
  }
}

function headLayout(head: Uint8Array, atEnd: boolean, options: LayoutOptions): TextLayout | null {
  const { file } = options;
  const start = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  const newline = head.indexOf(LF, start);
  if (newline === -1 && !atEnd && !pastNamesRow(head.length - start, options)) return null;
  const firstLine = decodeBytes(head, start, newline === -1 ? head.length : newline);
  if (options.format === undefined && firstLine.startsWith('{"')) {
    throw new InputError({ file, line: 1 }, 'holds JSON records (a Zeek JSON log?); netae reads CSV, TSV, Zeek TSV logs, Arrow and Parquet: have Zeek write TSV, its default, or convert the records');
  }
  if (options.format === undefined && (/^@relation\b/i.test(firstLine.trim()) || /\.arff(?:\.gz)?$/i.test(file))) {
    throw new InputError({ file, line: 1 }, 'is an ARFF file (Weka); netae reads CSV, TSV, Zeek TSV logs, Arrow and Parquet: read its CSV release (NSL-KDD: KDDTrain+.txt, the same records), or write its @data rows as CSV under its @attribute names');
  }
  const format = options.format ?? detectTextFormat(firstLine, file);
  if (format === 'zeek') return zeekLayout(head, start, atEnd, options);
  const delimiter = delimiterByte(options.delimiter ?? (format === 'tsv' ? '\t' : ','), file);
  const header = options.header ?? options.names === undefined;
  if (!header) {
    if (options.names === undefined) {
      throw new InputError({ file }, 'a file without a header needs column names (a preset or a names file)');
    }
    const namesFrom = options.namesFrom ?? 'the given names';
    const { at, line } = pastBlankLines(head, start, delimiter);
    const end = head.indexOf(LF, at);
    if (end === -1 && !atEnd && !pastNamesRow(head.length - at, options)) return null;
    const first = splitRow(head, at, end === -1 ? head.length : end + 1, delimiter, true, true);
    const names = options.names;
    const fits = first !== null && first.fields.length === names.length;
    const same = fits && first.fields.every((f, j) => f.trim() === names[j]);
    const replaced = fits && !same && options.header === undefined && (numbersColumns(first.fields) || first.fields.every((f) => parseNumber(f) === undefined));
    const key = (name: string) => name.trim().toLowerCase();
    const reordered = replaced && first.fields.some((f, j) => names.some((name, k) => k !== j && key(name) === key(f)));
    if (reordered) {
      throw new InputError({ file, line }, `the header row names columns of ${namesFrom} in other places: read by ${namesFrom}, its columns would be misread`);
    }
    if (same || replaced) {
      return { ...layout(options, format, delimiter, options.names, namesFrom, undefined, first.next, line + first.lines, line, line - 1), ...repeatable(first.fields, head, at, first.next) };
    }
    return layout(options, format, delimiter, options.names, namesFrom, undefined, start, 1, 0, 0);
  }
  let at = start;
  let line = 1;
  let blank = 0;
  while (at < head.length) {
    const row = splitRow(head, at, head.length, delimiter, true, atEnd);
    if (row === null) {
      if (atEnd) throw new InputError({ file, line }, 'a quoted field opened on this line is not closed');
      return null;
    }
    if (row.fields.every((f) => f === '')) {
      blank++;
      line += row.lines;
      at = row.next;
      continue;
    }
    const names = options.names ?? row.fields;
    if (names.length !== row.fields.length) {
      throw new InputError({ file, line }, `expected ${names.length} field${names.length === 1 ? '' : 's'} (as in ${options.namesFrom ?? 'the given names'}), found ${row.fields.length}`);
    }
    return { ...layout(options, format, delimiter, names, `the header on line ${line}`, undefined, row.next, line + row.lines, line, blank), ...repeatable(row.fields, head, at, row.next) };
  }
  return atEnd ? layout(options, format, delimiter, [], 'the header', undefined, head.length, line, 0, blank) : null;
}

/** Where the first line after `start` that holds more than delimiters starts, and its line; an unended last line counts as such. */
function pastBlankLines(bytes: Uint8Array, start: number, delimiter: number): { at: number; line: number } {
  let at = start;
  let line = 1;
  for (let end = bytes.indexOf(LF, at); end !== -1; end = bytes.indexOf(LF, at)) {
    let k = at;
    while (k < end && (bytes[k] === delimiter || bytes[k] === CR)) k++;
    if (k < end) break;
    at = end + 1;
    line++;
  }
  return { at, line };
}

/**
 * Whether a first row numbers the columns from 0, as pandas heads a table saved without column
 * names (`0,1,2,…`, or `,0,1,…` where it kept its index), over NUMBERED_HEADER_FIELDS fields or more.
 */
function numbersColumns(fields: readonly string[]): boolean {
  const from = fields[0]?.trim() === '' ? 1 : 0;
  return fields.length >= NUMBERED_HEADER_FIELDS && fields.slice(from).every((f, j) => f.trim() === String(j));
}

/**
 * The header row `bytes[start, next)` (its line end left off) as the layout's `headerRow`, for
 * rows of the body that repeat it to be skipped: only a header of names, none of its fields a
 * number, or one numbering the columns as pandas does ({@link numbersColumns}). A data record
 * read as a header (a headerless file read with one) is no such row, and records equal to it stay
 * records.
 */
function repeatable(fields: readonly string[], bytes: Uint8Array, start: number, next: number): { headerRow?: Uint8Array } {
  if (!numbersColumns(fields) && fields.some((field) => Number.isFinite(parseNumber(field)))) return {};
  let end = next;
  if (end > start && bytes[end - 1] === LF) end--;
  if (end > start && bytes[end - 1] === CR) end--;
  return { headerRow: bytes.slice(start, end) };
}

/**
 * Whether a first line this long, still without its end, cannot be a row of the given names (a
 * file read with names, no header expected): then it is a data row, and need not end in the head.
 */
function pastNamesRow(bytes: number, options: LayoutOptions): boolean {
  if (options.names === undefined || options.header === true || options.format === 'zeek') return false;
  const text = options.names.reduce((n, name) => n + name.length + 1, 0);
  return bytes > 8 * text + 16;
}

function zeekLayout(head: Uint8Array, start: number, atEnd: boolean, options: LayoutOptions): TextLayout | null {
  const lines: string[] = [];
  let at = start;
  while (at < head.length) {
    const newline = head.indexOf(LF, at);
    if (newline === -1 && !atEnd) return null;
    const end = newline === -1 ? head.length : newline;
    const text = decodeBytes(head, at, end > at && head[end - 1] === CR ? end - 1 : end);
    if (!text.startsWith('#') || (lines.length === 0 && !isZeekLog(text))) break;
    lines.push(text);
    at = newline === -1 ? head.length : newline + 1;
  }
  if (at >= head.length && !atEnd) return null;
  const header = parseZeekHeader(lines, options.file);
  const delimiter = delimiterByte(options.delimiter ?? header.separator, options.file);
  const read = layout(options, 'zeek', delimiter, header.names, 'the #fields line', header.kinds ?? undefined, at, lines.length + 1, lines.length, 0);
  return header.spaced === null ? read : { ...read, spaced: header.spaced };
}

/**
 * A block of a file's rows as the decoder reads them: a Zeek log's spaced fields split (see
 * {@link TextLayout.spaced}), in place. A block split already comes back as it is.
 */
export function bodyBlock(layout: TextLayout, block: Uint8Array): Uint8Array {
  return layout.spaced === undefined ? block : splitSpacedFields(block, layout.delimiter, layout.spaced);
}

function layout(
  options: LayoutOptions, format: TextFormat, delimiter: number, raw: string[], namesFrom: string,
  kinds: ColumnKind[] | undefined, bodyStart: number, bodyLine: number, headerLine: number, blankRows: number,
): TextLayout {
  if (raw.length > MAX_COLUMNS) {
    throw new InputError({ file: options.file }, `${namesFrom} names ${raw.length.toLocaleString('en-US')} columns, more than the ${MAX_COLUMNS.toLocaleString('en-US')} netae reads`);
  }
  const names = uniqueNames(raw);
  const types = options.types ?? {};
  return {
    file: options.file,
    format,
    delimiter,
    quoted: format !== 'zeek',
    skipComments: format === 'zeek',
    names,
    namesFrom,
    kinds: names.map((name, j) => types[name] ?? kinds?.[j]),
    bodyStart,
    bodyLine,
    headerLine,
    blankRows,
  };
}

function delimiterByte(delimiter: string, file: string): number {
  const code = delimiter.charCodeAt(0);
  if (delimiter.length !== 1 || code >= 0x80 || code === LF || code === CR || code === 0x22) {
    throw new InputError({ file }, `the delimiter must be one ASCII character other than a quote or line end, got ${JSON.stringify(delimiter)}`);
  }
  return code;
}

/** The text format of a file from its first line and name. */
export function detectTextFormat(text: string, fileName = ''): TextFormat {
  if (isZeekLog(text)) return 'zeek';
  const name = fileName.toLowerCase().replace(/\.gz$/, '');
  if (/\.(tsv|tab)$/.test(name)) return 'tsv';
  if (name.endsWith('.csv')) return 'csv';
  const newline = text.indexOf('\n');
  const first = newline === -1 ? text : text.slice(0, newline);
  return count(first, '\t') > count(first, ',') ? 'tsv' : 'csv';
}

function count(text: string, char: string): number {
  let n = 0;
  for (let at = text.indexOf(char); at !== -1; at = text.indexOf(char, at + 1)) n++;
  return n;
}

/**
 * Whether the `#fields` line of a Zeek log met again in its body (logs joined end to end, each
 * with its header) names the columns that the log's header named, in that order, parted alike
 * (the same of them apart by spaces, see TextLayout's `spaced`).
 */
export function sameZeekFields(layout: TextLayout, line: string): boolean {
  const fields = zeekFields(line.slice('#fields'.length + 1).split(String.fromCharCode(layout.delimiter)));
  const names = uniqueNames(fields.names);
  const spaced = fields.spaced?.at ?? [];
  const before = layout.spaced?.at ?? [];
  const sameSpaced = spaced.length === before.length && spaced.every((j, k) => j === before[k]);
  return sameSpaced && names.length === layout.names.length && names.every((name, j) => name === layout.names[j]);
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
