import { ByteStrings } from './byte-strings';
import { InputError, quote } from './errors';
import {
  addCounts, emptyReport, encodeCategory, encodeNumber, FittedFeatures, zeroCounts,
  type CategoricalFeature, type FeaturesJSON, type NumericFeature, type RepairCounts, type TransformReport,
} from './features';
import type { TextLayout } from './text-layout';
import { CR, LF, QUOTE, quotedEnd, splitRow, unquote } from './text-rows';
import { parseNumber } from './values';

/** What to take from each row besides the features: serializable, so a worker can be sent it. */
export interface DecodeRequest {
  /** Fitted features to encode into the matrix, or null for none. */
  features: FeaturesJSON | null;
  /** Columns read as numbers (by {@link parseNumber}'s rule) into a Float64Array each. */
  numbers: string[];
  /** Columns kept as their text (a {@link TextColumn} each): labels, or columns copied to the output. */
  texts: string[];
  /** Per number column, said after "expected a number, found …" when a field is not one. */
  notes?: Record<string, string>;
}

/**
 * A column of text, dictionary-encoded: row i holds `values[codes[i]]`. A value may be listed
 * more than once (a column of ids is not deduplicated).
 */
export interface TextColumn {
  codes: Int32Array;
  values: string[];
}

/** Rows decoded from a run of text. */
export interface DecodedRows {
  rows: number;
  /** 1-based line each row starts on. */
  lines: Int32Array;
  /** Rows whose fields were all empty, skipped. */
  blankRows: number;
  /** Row-major [rows × width] features; empty without features. */
  matrix: Float32Array;
  width: number;
  /** One per requested number column, in request order. */
  numbers: Float64Array[];
  /** One per requested text column, in request order. */
  texts: TextColumn[];
  /** Repairs made while encoding the features. */
  report: TransformReport;
}

const SKIP = 0;
const NUM_FEATURE = 1;
const CAT_FEATURE = 2;
const NUMBER = 4;
const TEXT = 8;
const WANTS_NUMBER = NUM_FEATURE | NUMBER;
const WANTS_TEXT = CAT_FEATURE | TEXT;

const HASH = 35;
const PLUS = 43;
const MINUS = 45;
const DOT = 46;
/** Distinct values of a kept text column looked up per batch, at most: see RecordDecoder's `keep`. */
const DISTINCT_TEXTS = 4096;
/** Integers below 2^53 are exact doubles: a mantissa read below it was read without rounding. */
const MAX_EXACT = 2 ** 53;
/** Powers of ten that doubles hold exactly: an exact mantissa times or over one of them is rounded once, as `Number` rounds. */
const POW10 = Float64Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * Turns rows of delimited text (CSV, TSV, Zeek) straight from their bytes into rows of the feature
 * matrix, and into number and text columns where asked: no object or string per row, numbers read
 * from the bytes, category text interned by its bytes. Every value goes through the fitted
 * pipeline's own per-value encoders ({@link encodeNumber}, {@link encodeCategory}), so the matrix
 * equals `FittedFeatures.transform` of the same rows, repairs counted alike.
 *
 * Rows are read by the rules of text-rows.ts; a row of empty fields is skipped and counted; in a
 * Zeek log a row starting with `#` is skipped. Errors are InputErrors naming the file, the line
 * (counted from the `line` given to {@link decode}) and the column. Columns nobody asked for are
 * skipped without being read.
 *
 * Rows accumulate until {@link take} hands them over.
 */
export class RecordDecoder {
  readonly width: number;
  private readonly layout: TextLayout;
  private readonly columns: number;
  private readonly actions: Uint8Array;
  private readonly numeric: (NumericFeature | null)[];
  private readonly numericCounts: RepairCounts[];
  private readonly categorical: (CategoricalFeature | null)[];
  private readonly categoricalCounts: RepairCounts[];
  private readonly numberSlot: Int32Array;
  private readonly textSlot: Int32Array;
  /** Per column read, its interned texts (categories, labels, and spellings that are not plain decimals). */
  private readonly strings: (ByteStrings | null)[];
  private readonly notes: (string | undefined)[];
  private readonly numberOf = new Map<string, number | undefined>();
  private readonly numberCount: number;
  private readonly textCount: number;
  private readonly initialCapacity: number;

  private capacity = 0;
  private rows = 0;
  private blank = 0;
  private matrix = new Float32Array(0);
  private lines = new Int32Array(0);
  private numbers: Float64Array[] = [];
  private codes: Int32Array[] = [];
  private dictionaries: Map<string, number>[] = [];
  private values: string[][] = [];
  /** Where the field just read ends (its delimiter, LF, or the end of the range). */
  private at = 0;
  private rowStart = 0;
  private rowLine = 0;
  private rangeEnd = 0;
  private bytes: Uint8Array = new Uint8Array(0);
  /** What {@link mark} saved: rows, blank rows, and the repair counts of the feature columns, four per column. */
  private marked = { rows: 0, blank: 0, counts: new Float64Array(0) };
  private readonly counted: RepairCounts[];

  constructor(layout: TextLayout, request: DecodeRequest, capacity = 8192) {
    this.layout = layout;
    const names = layout.names;
    const index = new Map(names.map((name, j) => [name, j]));
    const features = checkRequest(layout, request);
    this.columns = names.length;
    this.width = features?.width ?? 0;
    this.actions = new Uint8Array(names.length);
    this.numeric = names.map(() => null);
    this.categorical = names.map(() => null);
    this.numberSlot = new Int32Array(names.length).fill(-1);
    this.textSlot = new Int32Array(names.length).fill(-1);
    this.notes = names.map((name) => request.notes?.[name]);
    for (const f of features?.numeric ?? []) {
      const j = index.get(f.column)!;
      this.actions[j] |= NUM_FEATURE;
      this.numeric[j] = f;
    }
    for (const f of features?.categorical ?? []) {
      const j = index.get(f.column)!;
      this.actions[j] |= CAT_FEATURE;
      this.categorical[j] = f;
    }
    request.numbers.forEach((name, k) => {
      const j = index.get(name)!;
      this.actions[j] |= NUMBER;
      this.numberSlot[j] = k;
    });
    request.texts.forEach((name, k) => {
      const j = index.get(name)!;
      this.actions[j] |= TEXT;
      this.textSlot[j] = k;
    });
    this.numericCounts = names.map(() => zeroCounts());
    this.categoricalCounts = names.map(() => zeroCounts());
    this.counted = names.flatMap((_, j) => [
      ...(this.numeric[j] === null ? [] : [this.numericCounts[j]]),
      ...(this.categorical[j] === null ? [] : [this.categoricalCounts[j]]),
    ]);
    this.marked.counts = new Float64Array(this.counted.length * 4);
    this.strings = names.map((_, j) => (this.actions[j] === SKIP ? null : new ByteStrings()));
    this.numberCount = request.numbers.length;
    this.textCount = request.texts.length;
    this.initialCapacity = Math.max(1, capacity);
    this.reset();
  }

  /** Rows decoded since the last {@link take}. */
  get size(): number {
    return this.rows;
  }

  /**
   * Reads rows from `bytes[start, end)`, at most `maxRows`. `start` must begin a row and `end` must
   * follow an LF (openText ends every block with one). `line` is the line `start` is on. Returns
   * where it stopped and the line there.
   */
  decode(bytes: Uint8Array, start: number, end: number, line: number, maxRows = Infinity): { next: number; line: number } {
    if (end > start && bytes[end - 1] !== LF) throw new Error('a block of rows must end with a line feed');
    const { columns, actions, width, numberSlot, textSlot, numeric, categorical, numericCounts, categoricalCounts, strings } = this;
    const delimiter = this.layout.delimiter;
    const quoted = this.layout.quoted;
    const skipComments = this.layout.skipComments;
    const last = columns - 1;
    this.rangeEnd = end;
    this.bytes = bytes;
    let p = start;
    let taken = 0;
    while (p < end && taken < maxRows) {
      const first = bytes[p];
      if (first === LF || first === delimiter || first === CR || (quoted && first === QUOTE)) {
        const after = blankRowEnd(bytes, p, end, delimiter, quoted);
        if (after !== -1) {
          this.blank++;
          line++;
          p = after;
          continue;
        }
      }
      if (skipComments && first === HASH) {
        p = bytes.indexOf(LF, p) + 1;
        line++;
        continue;
      }
      if (this.rows === this.capacity) this.grow();
      const r = this.rows;
      const base = r * width;
      const matrix = this.matrix;
      this.rowStart = p;
      this.rowLine = line;
      let extraLines = 0;
      for (let j = 0; ; j++) {
        const a = actions[j];
        let e = p;
        let c = bytes[p];
        if (c === QUOTE && quoted) {
          const q = quotedEnd(bytes, p, end, delimiter);
          if (q === null) throw new InputError({ file: this.layout.file, line }, 'a quoted field opened on this line is not closed');
          extraLines += countLF(bytes, p, q.close);
          if (a !== SKIP) this.quotedField(j, a, r, base, unquote(bytes, p + 1, q.close));
          e = q.next;
        } else if ((a & WANTS_NUMBER) !== 0) {
          // A plain decimal, read here so the value stays unboxed; anything else by parseNumber.
          let negative = false;
          if (c === MINUS || c === PLUS) {
            negative = c === MINUS;
            c = bytes[++e];
          }
          let m = 0;
          let power = 0;
          const digitsStart = e;
          while (c >= 48 && c <= 57) {
            m = m * 10 + (c - 48);
            c = bytes[++e];
          }
          let any = e > digitsStart;
          if (c === DOT) {
            const fractionStart = e + 1;
            c = bytes[++e];
            while (c >= 48 && c <= 57) {
              m = m * 10 + (c - 48);
              c = bytes[++e];
            }
            power = fractionStart - e;
            any = any || e > fractionStart;
          }
          if (any && (c === 101 || c === 69)) {
            c = bytes[++e];
            let negativeExponent = false;
            if (c === MINUS || c === PLUS) {
              negativeExponent = c === MINUS;
              c = bytes[++e];
            }
            let exponent = 0;
            any = false;
            while (c >= 48 && c <= 57) {
              any = true;
              if (exponent < 10_000) exponent = exponent * 10 + (c - 48);
              c = bytes[++e];
            }
            power += negativeExponent ? -exponent : exponent;
          }
          let v: number;
          if (any && m < MAX_EXACT && power >= -22 && power <= 22 && (c === delimiter || c === LF || (c === CR && bytes[e + 1] === LF))) {
            if (c === CR) e++;
            v = power >= 0 ? m * POW10[power] : m / POW10[-power];
            if (negative) v = -v;
          } else if (e === p && (c === delimiter || c === LF)) {
            v = NaN;
          } else {
            v = this.otherNumber(bytes, p, delimiter, j);
            e = this.at;
          }
          if ((a & NUM_FEATURE) !== 0) matrix[base + numeric[j]!.slot] = encodeNumber(v, numeric[j]!, numericCounts[j]);
          if ((a & NUMBER) !== 0) this.numbers[numberSlot[j]][r] = v;
          if ((a & WANTS_TEXT) !== 0) this.text(j, a, r, base, bytes, p, e);
        } else if (a === SKIP) {
          while (c !== delimiter && c !== LF) c = bytes[++e];
        } else {
          while (c !== delimiter && c !== LF) c = bytes[++e];
          const key = strings[j]!.get(bytes, p, e > p && bytes[e - 1] === CR && c === LF ? e - 1 : e);
          if ((a & CAT_FEATURE) !== 0) {
            const f = categorical[j]!;
            encodeCategory(matrix, base + f.base, key, f, categoricalCounts[j]);
          }
          if ((a & TEXT) !== 0) this.keep(textSlot[j], r, key);
        }
        if (bytes[e] === LF || e >= end) {
          if (j !== last) this.ragged();
          p = e + 1;
          break;
        }
        if (j === last) this.ragged();
        p = e + 1;
      }
      this.lines[r] = line;
      line += 1 + extraLines;
      this.rows = r + 1;
      taken++;
    }
    return { next: p, line };
  }

  /** A field read as a number that is also wanted as text. */
  private text(j: number, a: number, r: number, base: number, bytes: Uint8Array, start: number, end: number): void {
    const key = this.strings[j]!.get(bytes, start, end > start && bytes[end - 1] === CR && bytes[end] === LF ? end - 1 : end);
    if ((a & CAT_FEATURE) !== 0) {
      const f = this.categorical[j]!;
      encodeCategory(this.matrix, base + f.base, key, f, this.categoricalCounts[j]);
    }
    if ((a & TEXT) !== 0) this.keep(this.textSlot[j], r, key);
  }

  /**
   * Remembers where decoding stands, so that {@link rollback} can forget what follows: a caller
   * that decodes independent pieces (messages) one after another keeps the rows of the good ones
   * when one fails part-way.
   */
  mark(): void {
    this.marked.rows = this.rows;
    this.marked.blank = this.blank;
    const saved = this.marked.counts;
    this.counted.forEach((c, k) => {
      saved[4 * k] = c.missing;
      saved[4 * k + 1] = c.infinite;
      saved[4 * k + 2] = c.clipped;
      saved[4 * k + 3] = c.unseen;
    });
  }

  /** Drops the rows decoded since the last {@link mark} (or {@link take}), a row left half-read included, and their repairs. */
  rollback(): void {
    const { rows, blank, counts } = this.marked;
    this.matrix.fill(0, rows * this.width, Math.min(this.capacity, this.rows + 1) * this.width);
    this.rows = rows;
    this.blank = blank;
    this.counted.forEach((c, k) => {
      c.missing = counts[4 * k];
      c.infinite = counts[4 * k + 1];
      c.clipped = counts[4 * k + 2];
      c.unseen = counts[4 * k + 3];
    });
  }

  /** The rows decoded so far; the decoder starts afresh. */
  take(): DecodedRows {
    const n = this.rows;
    const report = emptyReport(n);
    for (let j = 0; j < this.columns; j++) {
      if (this.numeric[j] !== null) addCounts(report, this.numeric[j]!.column, this.numericCounts[j]);
      if (this.categorical[j] !== null) addCounts(report, this.categorical[j]!.column, this.categoricalCounts[j]);
    }
    const out: DecodedRows = {
      rows: n,
      lines: this.lines.subarray(0, n),
      blankRows: this.blank,
      matrix: this.matrix.subarray(0, n * this.width),
      width: this.width,
      numbers: this.numbers.map((column) => column.subarray(0, n)),
      texts: this.codes.map((codes, k) => ({ codes: codes.subarray(0, n), values: this.values[k] })),
      report,
    };
    this.reset(n);
    return out;
  }

  /** Starts afresh with room for as many rows as the last batch held. */
  private reset(lastRows = 0): void {
    const n = Math.max(this.initialCapacity, lastRows);
    this.capacity = n;
    this.rows = 0;
    this.blank = 0;
    this.matrix = new Float32Array(n * this.width);
    this.lines = new Int32Array(n);
    this.numbers = Array.from({ length: this.numberCount }, () => new Float64Array(n));
    this.codes = Array.from({ length: this.textCount }, () => new Int32Array(n));
    this.dictionaries = Array.from({ length: this.textCount }, () => new Map());
    this.values = Array.from({ length: this.textCount }, () => []);
    for (const counts of [...this.numericCounts, ...this.categoricalCounts]) Object.assign(counts, zeroCounts());
    this.marked.rows = 0;
    this.marked.blank = 0;
    this.marked.counts.fill(0);
  }

  private grow(): void {
    const n = this.capacity * 2;
    const matrix = new Float32Array(n * this.width);
    matrix.set(this.matrix);
    this.matrix = matrix;
    this.lines = extend(this.lines, new Int32Array(n));
    this.numbers = this.numbers.map((column) => extend(column, new Float64Array(n)));
    this.codes = this.codes.map((codes) => extend(codes, new Int32Array(n)));
    this.capacity = n;
  }

  /**
   * Keeps a row's text of a column: the code of its value, each value listed once while the
   * column has few (labels, categories); a column of ids, past DISTINCT_TEXTS values, lists each
   * row's value as it comes rather than look it up.
   */
  private keep(slot: number, row: number, text: string): void {
    const dictionary = this.dictionaries[slot];
    const values = this.values[slot];
    let code = dictionary.size < DISTINCT_TEXTS ? dictionary.get(text) : undefined;
    if (code === undefined) {
      code = values.length;
      values.push(text);
      if (dictionary.size < DISTINCT_TEXTS) dictionary.set(text, code);
    }
    this.codes[slot][row] = code;
  }

  /** A field that is not a plain decimal, by {@link parseNumber}; sets `at` to the field's end. */
  private otherNumber(bytes: Uint8Array, start: number, delimiter: number, j: number): number {
    let e = start;
    while (bytes[e] !== delimiter && bytes[e] !== LF) e++;
    this.at = e;
    const text = this.strings[j]!.get(bytes, start, e > start && bytes[e - 1] === CR && bytes[e] === LF ? e - 1 : e);
    return this.numberOfText(text, j);
  }

  private numberOfText(text: string, j: number): number {
    let v = this.numberOf.get(text);
    if (v === undefined && !this.numberOf.has(text)) {
      v = parseNumber(text);
      if (this.numberOf.size < 4096) this.numberOf.set(text, v);
    }
    if (v === undefined) this.notANumber(text, j);
    return v;
  }

  private quotedField(j: number, a: number, r: number, base: number, text: string): void {
    if ((a & WANTS_NUMBER) !== 0) {
      const v = this.numberOfText(text, j);
      if ((a & NUM_FEATURE) !== 0) this.matrix[base + this.numeric[j]!.slot] = encodeNumber(v, this.numeric[j]!, this.numericCounts[j]);
      if ((a & NUMBER) !== 0) this.numbers[this.numberSlot[j]][r] = v;
    }
    if ((a & CAT_FEATURE) !== 0) {
      const f = this.categorical[j]!;
      encodeCategory(this.matrix, base + f.base, text, f, this.categoricalCounts[j]);
    }
    if ((a & TEXT) !== 0) this.keep(this.textSlot[j], r, text);
  }

  private notANumber(text: string, j: number): never {
    this.ragged(true);
    const note = this.notes[j];
    throw new InputError(
      { file: this.layout.file, line: this.rowLine, column: this.layout.names[j] },
      `expected a number, found ${quote(text)}${note === undefined ? '' : ` (${note})`}`,
    );
  }

  /** Throws the error for a row with the wrong number of fields; with `onlyIfRagged`, only when the current row has one. */
  private ragged(onlyIfRagged = false): void {
    const row = splitRow(this.bytes, this.rowStart, this.rangeEnd, this.layout.delimiter, this.layout.quoted, true);
    const found = row?.fields.length ?? 0;
    if (onlyIfRagged && found === this.columns) return;
    throw new InputError(
      { file: this.layout.file, line: this.rowLine },
      `expected ${this.columns} fields (as in ${this.layout.namesFrom}), found ${found}`,
    );
  }
}

/** The request's fitted features; an InputError when the file lacks a column the request names. */
export function checkRequest(layout: TextLayout, request: DecodeRequest): FittedFeatures | null {
  const features = request.features === null ? null : new FittedFeatures(request.features);
  features?.requireColumns(layout.names, layout.file);
  const has = new Set(layout.names);
  const missing = [...request.numbers, ...request.texts].filter((name) => !has.has(name));
  if (missing.length > 0) throw new InputError({ file: layout.file }, `no column(s) ${missing.map((c) => `"${c}"`).join(', ')} in the file`);
  return features;
}

function extend<T extends Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

function countLF(bytes: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let at = bytes.indexOf(LF, start); at !== -1 && at < end; at = bytes.indexOf(LF, at + 1)) n++;
  return n;
}

/** The position after a row of empty fields starting at `start`, or -1 when the row holds text. */
function blankRowEnd(bytes: Uint8Array, start: number, end: number, delimiter: number, quoted: boolean): number {
  let at = start;
  for (;;) {
    if (at >= end) return end;
    const c = bytes[at];
    if (c === LF) return at + 1;
    if (c === CR && (at + 1 === end || bytes[at + 1] === LF)) return at + 1 === end ? end : at + 2;
    if (c === delimiter) {
      at++;
      continue;
    }
    if (quoted && c === QUOTE && bytes[at + 1] === QUOTE) {
      const q = quotedEnd(bytes, at, end, delimiter);
      if (q === null || q.close !== at + 1) return -1;
      at = q.next < end && bytes[q.next] === delimiter ? q.next + 1 : q.next;
      continue;
    }
    return -1;
  }
}
