import { ByteStrings, decodeBytes, FNV_OFFSET, FNV_PRIME } from './byte-strings';
import {
  CLIPPED, DECIMAL_FRACTION_DIGITS, DecimalFeatures, decimalValue, MAX_POWER, POW10, UNKNOWN,
} from './decimal-features';
import { InputError, quote } from './errors';
import {
  addCounts, categorySlot, emptyReport, encodeNumber, FittedFeatures, zeroCounts,
  type CategoricalFeature, type FeaturesJSON, type NumericFeature, type RepairCounts, type TransformReport,
} from './features';
import { sameZeekFields, type TextLayout } from './text-layout';
import { TextValues, type TextColumn } from './text-column';
import { sampleKey } from './row-sample';
import { countLF, CR, LF, QUOTE, quotedEnd, rowEnd, splitRow, unquote } from './text-rows';
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
  /** Write packed rows of the features (packed-rows.ts) rather than dense ones. */
  packed?: boolean;
  /**
   * Keep each text column's values where their fields lie in the block decoded, copying nothing,
   * for text that is only copied out (the columns an output keeps): each row's value is its own,
   * none looked up, and every batch is decoded from one block, which its text columns hold. A
   * column with a quoted field in a batch has that batch's values copied, as unquoted text.
   */
  inPlace?: boolean;
}


/** Rows decoded from a run of text. */
export interface DecodedRows {
  rows: number;
  /** 1-based line each row starts on. */
  lines: Int32Array;
  /** Rows skipped as holding no record: their fields all empty, or repeating the header row. */
  blankRows: number;
  /** Rows passed over unread, as outside the sample being drawn (see {@link RecordDecoder.sampleBelow}). */
  skippedRows: number;
  /** The lines of the rows passed over whose keys are below the cut of a larger sample (see {@link RecordDecoder.sampleBelow}). */
  passedLines: Int32Array;
  /**
   * Row-major [rows × width]: the features, or with `packed` the packed rows (packed-rows.ts), whose
   * category words are u32 (read them through a Uint32Array over the same bytes). Empty without features.
   */
  matrix: Float32Array;
  /** Values in a row of `matrix`: the features, or the words of a packed row. */
  width: number;
  packed: boolean;
  /** One per requested number column, in request order. */
  numbers: Float64Array[];
  /** One per requested text column, in request order (decoded in place, they hold the block decoded). */
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
/** Digits of a decimal read inline as a small integer (below 2^31) by the feature decoder's usual path. */
const SHORT_DIGITS = 9;
/** Integers below 2^53 are exact doubles: a mantissa read below it was read without rounding. */
const MAX_EXACT = 2 ** 53;

/**
 * Turns rows of delimited text (CSV, TSV, Zeek) straight from their bytes into rows of the feature
 * matrix, and into number and text columns where asked: no object or string per row, numbers read
 * from the bytes, category text interned by its bytes. Every value goes through the fitted
 * pipeline's own per-value encoders ({@link encodeNumber}, {@link categorySlot}), so the matrix
 * equals `FittedFeatures.transform` of the same rows, repairs counted alike; what they gave for a
 * short decimal or a category is remembered ({@link DecimalFeatures}, {@link CategoryPlaces}).
 * Asked for packed rows, it writes them instead (packed-rows.ts): expanded, they are that matrix.
 *
 * Rows are read by the rules of text-rows.ts; a row of empty fields is skipped and counted; in a
 * Zeek log a row starting with `#` is skipped. Errors are InputErrors naming the file, the line
 * (counted from the `line` given to {@link decode}) and the column. Columns nobody asked for are
 * skipped without being read.
 *
 * Rows accumulate until {@link take} hands them over.
 */
export class RecordDecoder {
  /** Values in a row of the matrix: the features, or the words of a packed row. */
  readonly width: number;
  readonly packed: boolean;
  private readonly layout: TextLayout;
  private readonly columns: number;
  private readonly actions: Uint8Array;
  private readonly numeric: (NumericFeature | null)[];
  private readonly numericCounts: RepairCounts[];
  private readonly categorical: (CategoricalFeature | null)[];
  private readonly categoricalCounts: RepairCounts[];
  /** Per column, its numeric feature's place in a matrix row (-1 for none). */
  private readonly numericSlot: Int32Array;
  private readonly categoryPlaces: (CategoryPlaces | null)[];
  private readonly decimals: DecimalFeatures;
  private readonly hasFeatures: boolean;
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
  private skipped = 0;
  /** Rows whose key is at least this are passed over unread; above 1 (no key is), none are. */
  private skipFrom = Infinity;
  /** Of the rows passed over, those whose key is below this have their line kept. */
  private linesBelow = -Infinity;
  private sampleSeed = 0;
  private passed = new Int32Array(0);
  private passedCount = 0;
  private matrix = new Float32Array(0);
  /** The matrix's bytes as u32, for a packed row's category words. */
  private words = new Uint32Array(0);
  /** A spent matrix's buffer given back ({@link reuse}), for the next batch's rows. */
  private spare: ArrayBuffer | null = null;
  private lines = new Int32Array(0);
  private numbers: Float64Array[] = [];
  private codes: Int32Array[] = [];
  /**
   * Decoding text in place: per text column, where each row's value starts and ends in
   * {@link block}; a start of -1 for a quoted value, unquoted into the column's TextValues.
   */
  private readonly inPlace: boolean;
  private starts: Int32Array[] = [];
  private ends: Int32Array[] = [];
  /** Decoding text in place: per text column, whether this batch holds a quoted value. */
  private readonly quotedTexts: boolean[];
  /** Decoding text in place: the block this batch's rows come from. */
  private block: Uint8Array | null = null;
  /** Per text column, its values in this batch. */
  private readonly texts: TextValues[];
  /** Per text column, the code in this batch of each entry of the column's ByteStrings (-1 for none yet). */
  private entryCodes: Int32Array[] = [];
  /** Where the field just read ends (its delimiter, LF, or the end of the range). */
  private at = 0;
  /** The digits of the short decimal {@link shortDecimal} read last, as an integer… */
  private mantissa = 0;
  /** …and how many of them follow its point. */
  private fraction = 0;
  /** The number just read from a field's bytes. */
  private readonly decimal = new Float64Array(1);
  /** Line feeds inside the quoted fields of the row being read. */
  private extraLines = 0;
  private rowStart = 0;
  private rowLine = 0;
  private rangeEnd = 0;
  private bytes: Uint8Array = new Uint8Array(0);
  /** What {@link mark} saved: rows, blank rows, and the repair counts of the feature columns, four per column. */
  private marked = { rows: 0, blank: 0, skipped: 0, passed: 0, counts: new Float64Array(0) };
  private readonly counted: RepairCounts[];

  constructor(layout: TextLayout, request: DecodeRequest, capacity = 8192) {
    this.layout = layout;
    const names = layout.names;
    const index = new Map(names.map((name, j) => [name, j]));
    const features = checkRequest(layout, request);
    this.columns = names.length;
    this.packed = features !== null && request.packed === true;
    this.width = features === null ? 0 : this.packed ? features.numeric.length + features.categorical.length : features.width;
    this.actions = new Uint8Array(names.length);
    this.numeric = names.map(() => null);
    this.categorical = names.map(() => null);
    this.numericSlot = new Int32Array(names.length).fill(-1);
    this.numberSlot = new Int32Array(names.length).fill(-1);
    this.textSlot = new Int32Array(names.length).fill(-1);
    this.notes = names.map((name) => request.notes?.[name]);
    for (const f of features?.numeric ?? []) {
      const j = index.get(f.column)!;
      this.actions[j] |= NUM_FEATURE;
      this.numeric[j] = f;
      this.numericSlot[j] = f.slot;
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
    this.decimals = new DecimalFeatures(features?.numeric ?? []);
    this.hasFeatures = features !== null;
    this.categoryPlaces = names.map((_, j) => {
      const f = this.categorical[j];
      if (f === null) return null;
      const word = this.packed ? features!.numeric.length + features!.categorical.indexOf(f) : -1;
      return new CategoryPlaces(f, this.strings[j]!, this.categoricalCounts[j], word);
    });
    this.numberCount = request.numbers.length;
    this.textCount = request.texts.length;
    this.entryCodes = Array.from({ length: this.textCount }, () => new Int32Array(64).fill(-1));
    this.texts = Array.from({ length: this.textCount }, () => new TextValues());
    this.inPlace = request.inPlace === true && this.textCount > 0;
    this.quotedTexts = Array.from({ length: this.textCount }, () => false);
    this.initialCapacity = Math.max(1, capacity);
    this.reset();
  }

  /** Rows decoded since the last {@link take}. */
  get size(): number {
    return this.rows;
  }

  /** Rows passed over unread since the last {@link take} (see {@link sampleBelow}). */
  get passedOver(): number {
    return this.skipped;
  }

  /**
   * Gives back the buffer of a matrix that {@link take} handed over, once nothing reads it any
   * more: the batch after the next {@link take} is decoded into it (zeroed first, for dense rows)
   * rather than into a new one, when it holds that batch's rows.
   */
  reuse(matrix: Float32Array): void {
    if (matrix.buffer instanceof ArrayBuffer) this.spare = matrix.buffer;
  }

  /**
   * From now on, passes over unread each row whose key under `seed` (sampleKey of the line it
   * starts on, row-sample.ts) is at least `cut`: a row that a sample being drawn by those keys
   * no longer admits. Its end is still found, quotes and all, so that the lines stay counted;
   * its fields are neither decoded nor checked. A cut above 1 reads every row. The lines of the
   * rows passed over whose keys are below `linesCut` are kept (`passedLines`): the rows a larger
   * sample under the same seed may still hold.
   */
  sampleBelow(seed: number, cut: number, linesCut = -Infinity): void {
    this.sampleSeed = seed;
    this.skipFrom = cut;
    this.linesBelow = linesCut;
  }

  /**
   * Reads rows from `bytes[start, end)`, at most `maxRows`. `start` must begin a row and `end` must
   * follow an LF (openText ends every block with one). `line` is the line `start` is on. Returns
   * where it stopped and the line there.
   */
  decode(bytes: Uint8Array, start: number, end: number, line: number, maxRows = Infinity): { next: number; line: number } {
    if (end > start && bytes[end - 1] !== LF) throw new Error('a block of rows must end with a line feed');
    const { delimiter, quoted, skipComments, headerRow: header } = this.layout;
    if (this.inPlace) {
      if (this.rows > 0 && bytes !== this.block) throw new Error('text decoded in place comes from one block a batch: take the rows before decoding another');
      this.block = bytes;
    }
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
      if (header !== undefined && first === header[0]) {
        const after = repeatedRowEnd(bytes, p, end, header);
        if (after !== -1) {
          this.blank++;
          line++;
          p = after;
          continue;
        }
      }
      if (skipComments && first === HASH) {
        const next = bytes.indexOf(LF, p) + 1;
        this.checkComment(decodeBytes(bytes, p, bytes[next - 2] === CR ? next - 2 : next - 1), line);
        p = next;
        line++;
        continue;
      }
      if (this.skipFrom <= 1) {
        const key = sampleKey(line, this.sampleSeed);
        const next = key >= this.skipFrom ? rowEnd(bytes, p, end, delimiter, quoted) : -1;
        if (next !== -1) {
          if (key < this.linesBelow) this.passLine(line);
          line += quoted ? countLF(bytes, p, next) : 1;
          p = next;
          this.skipped++;
          continue;
        }
      }
      if (this.rows === this.capacity) this.grow();
      const r = this.rows;
      this.rowStart = p;
      this.rowLine = line;
      this.extraLines = 0;
      p = this.hasFeatures ? this.featureRow(bytes, p, r) : this.columnRow(bytes, p, r);
      this.lines[r] = line;
      line += 1 + this.extraLines;
      this.rows = r + 1;
      taken++;
    }
    return { next: p, line };
  }

  /**
   * A `#` line of a Zeek log's body (few: the headers and `#close` of logs joined end to end): a
   * `#fields` line naming the header's columns goes on, one naming other columns is refused.
   */
  private checkComment(text: string, line: number): void {
    if (!text.startsWith('#fields') || sameZeekFields(this.layout, text)) return;
    throw new InputError(
      { file: this.layout.file, line },
      "a #fields line names other columns than the log's header, or parts them otherwise: logs joined end to end must name the same columns alike; read each on its own",
    );
  }

  private passLine(line: number): void {
    if (this.passedCount === this.passed.length) this.passed = extend(this.passed, new Int32Array(Math.max(1024, 2 * this.passed.length)));
    this.passed[this.passedCount++] = line;
  }

  /*
   * featureRow and columnRow read one row's fields and return where the next row starts. They are
   * two functions, not one, so that the JIT compiles each for its own work: decoding into the
   * feature matrix, where the usual numeric field is a short decimal looked up by its mantissa,
   * and reading number and text columns for a table.
   */

  /** Reads row `r` into the feature matrix (and any number and text columns asked for besides). */
  private featureRow(bytes: Uint8Array, p: number, r: number): number {
    const { actions, numericCounts, numericSlot, categoryPlaces, matrix, words, rangeEnd: end } = this;
    const { values: decimalValues, states: decimalStates, mantissas, stride } = this.decimals;
    const { delimiter, quoted } = this.layout;
    const last = this.columns - 1;
    const base = r * this.width;
    for (let j = 0; ; j++) {
      const a = actions[j];
      let e = p;
      let c = bytes[p];
      if (a === NUM_FEATURE) {
        // A short plain decimal is looked up by its mantissa, or encoded from it when the table
        // holds no place for it (a large count, many digits after the point); anything else goes
        // to numberFeature.
        e = this.shortDecimal(bytes, p, delimiter);
        const m = this.mantissa;
        const fraction = this.fraction;
        if (e !== -1 && m < mantissas && fraction <= DECIMAL_FRACTION_DIGITS) {
          const slot = numericSlot[j];
          const place = (fraction * mantissas + m) * stride + slot;
          let state = decimalStates[place];
          if (state === UNKNOWN) state = this.decimals.learn(place, slot, m, fraction);
          matrix[base + slot] = decimalValues[place];
          if (state === CLIPPED) numericCounts[j].clipped++;
        } else if (e !== -1) {
          matrix[base + numericSlot[j]] = encodeNumber(decimalValue(m, fraction), this.numeric[j]!, numericCounts[j]);
        } else {
          e = this.numberFeature(bytes, p, j, r, base);
        }
      } else if (quoted && c === QUOTE) {
        e = this.quotedField(bytes, p, j, a, r, base);
      } else if (a === SKIP) {
        while (c !== delimiter && c !== LF) c = bytes[++e];
      } else if (a === CAT_FEATURE) {
        let hash = FNV_OFFSET;
        while (c !== delimiter && c !== LF) {
          hash = Math.imul(hash ^ c, FNV_PRIME);
          c = bytes[++e];
        }
        if (e > p && bytes[e - 1] === CR && c === LF) categoryPlaces[j]!.encode(matrix, words, base, bytes, p, e - 1);
        else categoryPlaces[j]!.encodeHashed(matrix, words, base, bytes, p, e, hash);
      } else {
        e = this.otherField(bytes, p, j, a, r, base);
      }
      if (bytes[e] === LF || e >= end) {
        if (j !== last) this.ragged();
        return e + 1;
      }
      if (j === last) this.ragged();
      p = e + 1;
    }
  }

  /**
   * Reads a short plain decimal at `p` (at most SHORT_DIGITS digits, then optionally a point and
   * digits, SHORT_DIGITS + 1 characters in all) into {@link mantissa}, its digits read as an
   * integer, and {@link fraction}, its digits after the point. Returns where it ends, which must
   * be its field's end (a delimiter or LF), or -1 for a field that is not one: the usual numeric
   * field of a log, read with no call beyond this one.
   */
  private shortDecimal(bytes: Uint8Array, p: number, delimiter: number): number {
    let e = p;
    let c = bytes[p];
    let m = 0;
    while (c - 48 >>> 0 < 10 && e - p < SHORT_DIGITS) {
      m = m * 10 + c - 48;
      c = bytes[++e];
    }
    let fraction = 0;
    if (c === DOT && e > p) {
      const fractionStart = e + 1;
      c = bytes[++e];
      while (c - 48 >>> 0 < 10 && e - p <= SHORT_DIGITS) {
        m = m * 10 + c - 48;
        c = bytes[++e];
      }
      fraction = e - fractionStart;
    }
    this.mantissa = m;
    this.fraction = fraction;
    return e > p && (c === delimiter || c === LF) ? e : -1;
  }

  /**
   * A field of a column wanted as a numeric feature alone that is not a short plain decimal: a
   * quoted field, a long or signed decimal, or text for {@link parseNumber}. Returns the field's end.
   */
  private numberFeature(bytes: Uint8Array, p: number, j: number, r: number, base: number): number {
    if (this.layout.quoted && bytes[p] === QUOTE) return this.quotedField(bytes, p, j, NUM_FEATURE, r, base);
    const v = this.fieldNumber(bytes, p, j);
    this.matrix[base + this.numericSlot[j]] = encodeNumber(v, this.numeric[j]!, this.numericCounts[j]);
    return this.at;
  }

  /** Reads row `r` into the number and text columns asked for. */
  private columnRow(bytes: Uint8Array, p: number, r: number): number {
    const { actions, numberSlot, numbers, rangeEnd: end } = this;
    const { delimiter, quoted } = this.layout;
    const last = this.columns - 1;
    for (let j = 0; ; j++) {
      const a = actions[j];
      let e: number;
      if (quoted && bytes[p] === QUOTE) {
        e = this.quotedField(bytes, p, j, a, r, 0);
      } else if (a === NUMBER) {
        // A short plain decimal is its mantissa over an exact power of ten, rounded once, as
        // Number reads the text; anything else goes to fieldNumber.
        e = this.shortDecimal(bytes, p, delimiter);
        if (e !== -1) {
          numbers[numberSlot[j]][r] = decimalValue(this.mantissa, this.fraction);
        } else {
          numbers[numberSlot[j]][r] = this.fieldNumber(bytes, p, j);
          e = this.at;
        }
      } else if (a === SKIP) {
        e = fieldEnd(bytes, p, delimiter);
      } else {
        e = this.otherField(bytes, p, j, a, r, 0);
      }
      if (bytes[e] === LF || e >= end) {
        if (j !== last) this.ragged();
        return e + 1;
      }
      if (j === last) this.ragged();
      p = e + 1;
    }
  }

  /** An unquoted field of a column wanted other than as one feature alone; returns the field's end. */
  private otherField(bytes: Uint8Array, start: number, j: number, a: number, r: number, base: number): number {
    if (a === TEXT) return this.textColumnField(bytes, start, j, r);
    if ((a & WANTS_NUMBER) === 0) {
      const e = fieldEnd(bytes, start, this.layout.delimiter);
      this.unquotedText(bytes, start, textEnd(bytes, start, e), j, a, r, base);
      return e;
    }
    const v = this.fieldNumber(bytes, start, j);
    const e = this.at;
    this.numberField(j, a, r, base, v);
    if ((a & WANTS_TEXT) !== 0) this.unquotedText(bytes, start, textEnd(bytes, start, e), j, a, r, base);
    return e;
  }

  /** The text `bytes[start, end)` of an unquoted field, for a categorical feature, a text column, or both. */
  private unquotedText(bytes: Uint8Array, start: number, end: number, j: number, a: number, r: number, base: number): void {
    if (this.inPlace && (a & TEXT) !== 0) {
      this.place(this.textSlot[j], r, start, end);
      if ((a & CAT_FEATURE) === 0) return;
      a = CAT_FEATURE;
    }
    this.textField(j, a, r, base, this.strings[j]!.get(bytes, start, end));
  }

  /**
   * An unquoted field of a column wanted as text alone (a label, a column copied to the output),
   * kept as its bytes: no string, and a value met before in the batch (known by its entry in the
   * column's ByteStrings) kept once, until the column has shown more distinct values than its
   * ByteStrings keeps (ids, times): from then on each value is copied as it is, with no lookup.
   * Decoding in place, only the field's place is kept. Returns the field's end.
   */
  private textColumnField(bytes: Uint8Array, start: number, j: number, r: number): number {
    const delimiter = this.layout.delimiter;
    const strings = this.strings[j]!;
    const slot = this.textSlot[j];
    let e = start;
    let c = bytes[e];
    if (this.inPlace || strings.full) {
      while (c !== delimiter && c !== LF) c = bytes[++e];
      if (this.inPlace) this.place(slot, r, start, textEnd(bytes, start, e));
      else this.codes[slot][r] = this.texts[slot].addBytes(bytes, start, textEnd(bytes, start, e));
      return e;
    }
    let hash = FNV_OFFSET;
    while (c !== delimiter && c !== LF) {
      hash = Math.imul(hash ^ c, FNV_PRIME);
      c = bytes[++e];
    }
    const valueEnd = textEnd(bytes, start, e);
    const entry = valueEnd !== e ? strings.entry(bytes, start, valueEnd) : strings.find(bytes, start, e, hash);
    if (entry === -1) {
      this.codes[slot][r] = this.texts[slot].addBytes(bytes, start, valueEnd);
      return e;
    }
    let codes = this.entryCodes[slot];
    if (entry >= codes.length) {
      const grown = new Int32Array(Math.max(entry + 1, codes.length * 2)).fill(-1);
      grown.set(codes);
      this.entryCodes[slot] = codes = grown;
    }
    let code = codes[entry];
    if (code === -1) code = codes[entry] = this.texts[slot].addBytes(bytes, start, valueEnd);
    this.codes[slot][r] = code;
    return e;
  }

  /** Keeps where row `r`'s value of text column `slot` lies in the block: `[start, end)`. */
  private place(slot: number, r: number, start: number, end: number): void {
    this.starts[slot][r] = start;
    this.ends[slot][r] = end;
  }

  /** A quoted field, read as its unquoted text; returns where it ends (its delimiter, LF, or the end of the range). */
  private quotedField(bytes: Uint8Array, start: number, j: number, a: number, r: number, base: number): number {
    const q = quotedEnd(bytes, start, this.rangeEnd, this.layout.delimiter);
    if (q === null) throw new InputError({ file: this.layout.file, line: this.rowLine }, 'a quoted field opened on this line is not closed');
    this.extraLines += countLF(bytes, start, q.close);
    if (a === SKIP) return q.next;
    const text = unquote(bytes, start + 1, q.close);
    if ((a & WANTS_NUMBER) !== 0) this.numberField(j, a, r, base, this.numberOfText(text, j));
    this.textField(j, a, r, base, text);
    return q.next;
  }

  /** A number read from a column wanted as a numeric feature, a number column, or both. */
  private numberField(j: number, a: number, r: number, base: number, v: number): void {
    if ((a & NUM_FEATURE) !== 0) this.matrix[base + this.numericSlot[j]] = encodeNumber(v, this.numeric[j]!, this.numericCounts[j]);
    if ((a & NUMBER) !== 0) this.numbers[this.numberSlot[j]][r] = v;
  }

  /** A field's text, for a column wanted as a categorical feature, a text column, or both. */
  private textField(j: number, a: number, r: number, base: number, text: string): void {
    if ((a & CAT_FEATURE) !== 0) this.categoryPlaces[j]!.encodeText(this.matrix, this.words, base, text);
    if ((a & TEXT) === 0) return;
    const slot = this.textSlot[j];
    this.codes[slot][r] = this.texts[slot].addText(text);
    if (this.inPlace) {
      this.starts[slot][r] = -1;
      this.quotedTexts[slot] = true;
    }
  }

  /**
   * Remembers where decoding stands, so that {@link rollback} can forget what follows: a caller
   * that decodes independent pieces (messages) one after another keeps the rows of the good ones
   * when one fails part-way.
   */
  mark(): void {
    this.marked.rows = this.rows;
    this.marked.blank = this.blank;
    this.marked.skipped = this.skipped;
    this.marked.passed = this.passedCount;
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
    const { rows, blank, skipped, passed, counts } = this.marked;
    this.matrix.fill(0, rows * this.width, Math.min(this.capacity, this.rows + 1) * this.width);
    this.rows = rows;
    this.blank = blank;
    this.skipped = skipped;
    this.passedCount = passed;
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
      skippedRows: this.skipped,
      passedLines: this.passed.slice(0, this.passedCount),
      matrix: this.matrix.subarray(0, n * this.width),
      width: this.width,
      packed: this.packed,
      numbers: this.numbers.map((column) => column.subarray(0, n)),
      texts: this.codes.map((codes, k) => (this.inPlace ? this.placedTexts(k, codes.subarray(0, n)) : this.texts[k].take(codes.subarray(0, n)))),
      report,
    };
    this.block = null;
    this.reset(n);
    return out;
  }

  /**
   * Text column `k` decoded in place: row i is value i, where its field lies in the block; or,
   * where a field of the batch was quoted, every row's value copied, the quoted ones unquoted.
   */
  private placedTexts(k: number, codes: Int32Array): TextColumn {
    const n = codes.length;
    const block = this.block ?? new Uint8Array(0);
    const starts = this.starts[k].subarray(0, n);
    const ends = this.ends[k].subarray(0, n);
    if (!this.quotedTexts[k]) {
      for (let i = 0; i < n; i++) codes[i] = i;
      return { codes, bytes: block, starts, ends };
    }
    this.quotedTexts[k] = false;
    const quoted = this.texts[k].take(codes);
    const copied = new TextValues(0);
    for (let i = 0; i < n; i++) {
      const q = codes[i];
      codes[i] = starts[i] === -1 ? copied.addBytes(quoted.bytes, quoted.starts[q], quoted.ends[q]) : copied.addBytes(block, starts[i], ends[i]);
    }
    return copied.take(codes);
  }

  /** Starts afresh with room for as many rows as the last batch held. */
  private reset(lastRows = 0): void {
    const n = Math.max(this.initialCapacity, lastRows);
    this.capacity = n;
    this.rows = 0;
    this.blank = 0;
    this.skipped = 0;
    this.passedCount = 0;
    this.setMatrix(this.matrixOf(n));
    this.lines = new Int32Array(n);
    this.numbers = Array.from({ length: this.numberCount }, () => new Float64Array(n));
    this.codes = Array.from({ length: this.textCount }, () => new Int32Array(n));
    if (this.inPlace) {
      this.starts = Array.from({ length: this.textCount }, () => new Int32Array(n));
      this.ends = Array.from({ length: this.textCount }, () => new Int32Array(n));
    }
    for (const codes of this.entryCodes) codes.fill(-1);
    for (const counts of [...this.numericCounts, ...this.categoricalCounts]) Object.assign(counts, zeroCounts());
    this.marked.rows = 0;
    this.marked.blank = 0;
    this.marked.skipped = 0;
    this.marked.passed = 0;
    this.marked.counts.fill(0);
  }

  /**
   * A matrix of `n` rows, zeroed when dense (a row sets only its present categories' places; every
   * word of a packed row is written): in the spare buffer given back when it is large enough, else new.
   */
  private matrixOf(n: number): Float32Array<ArrayBuffer> {
    const { spare } = this;
    this.spare = null;
    const values = n * this.width;
    if (spare === null || spare.byteLength < values * Float32Array.BYTES_PER_ELEMENT) return new Float32Array(values);
    const matrix = new Float32Array(spare, 0, values);
    return this.packed ? matrix : matrix.fill(0);
  }

  private setMatrix(matrix: Float32Array<ArrayBuffer>): void {
    this.matrix = matrix;
    this.words = new Uint32Array(matrix.buffer, matrix.byteOffset, matrix.length);
  }

  private grow(): void {
    const n = this.capacity * 2;
    const matrix = new Float32Array(n * this.width);
    matrix.set(this.matrix);
    this.setMatrix(matrix);
    this.lines = extend(this.lines, new Int32Array(n));
    this.numbers = this.numbers.map((column) => extend(column, new Float64Array(n)));
    this.codes = this.codes.map((codes) => extend(codes, new Int32Array(n)));
    this.starts = this.starts.map((starts) => extend(starts, new Int32Array(n)));
    this.ends = this.ends.map((ends) => extend(ends, new Int32Array(n)));
    this.capacity = n;
  }

  /**
   * An unquoted field as a number: a decimal (signed, with an exponent) read from the bytes, else
   * its text by {@link parseNumber} (an empty field is missing, NaN). Sets `at` to the field's end.
   */
  private fieldNumber(bytes: Uint8Array, start: number, j: number): number {
    const delimiter = this.layout.delimiter;
    const decimalEnd = signedDecimal(bytes, start, delimiter, this.decimal);
    if (decimalEnd !== -1) {
      this.at = decimalEnd;
      return this.decimal[0];
    }
    const e = fieldEnd(bytes, start, delimiter);
    this.at = e;
    if (e === start) return NaN;
    return this.numberOfText(this.strings[j]!.get(bytes, start, textEnd(bytes, start, e)), j);
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
      `expected ${this.columns} field${this.columns === 1 ? '' : 's'} (as in ${this.layout.namesFrom}), found ${found}`,
    );
  }
}

/** Whether rows decoded from `block` hold it (their text decoded in place): it must not be read into again. */
export function holdsBlock(rows: DecodedRows, block: Uint8Array): boolean {
  return rows.texts.some((column) => column.bytes.buffer === block.buffer);
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

/** The position after the row starting at `start` when it is `row`'s bytes (then LF, or CR LF), else -1. */
function repeatedRowEnd(bytes: Uint8Array, start: number, end: number, row: Uint8Array): number {
  if (start + row.length >= end) return -1;
  for (let i = 0; i < row.length; i++) if (bytes[start + i] !== row[i]) return -1;
  const at = start + row.length;
  if (bytes[at] === LF) return at + 1;
  return bytes[at] === CR && bytes[at + 1] === LF ? at + 2 : -1;
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

/**
 * A categorical feature's one-hot place for a field, found by the field's bytes: each distinct
 * text is looked up once ({@link categorySlot}), then known by its entry in the column's
 * {@link ByteStrings}. Unseen categories are counted each time, as `transform` counts them.
 * A dense row gets the place's value at the place; a packed row gets the place's index in the
 * dense row at the column's word (see packed-rows.ts).
 */
class CategoryPlaces {
  /** Per entry of `strings`, its place; -1 until looked up. */
  private places = new Int32Array(64).fill(-1);

  /** `word`: the column's word in a packed row, or -1 for dense rows. */
  constructor(
    private readonly feature: CategoricalFeature,
    private readonly strings: ByteStrings,
    private readonly counts: RepairCounts,
    private readonly word: number,
  ) {}

  /**
   * Sets the feature of the category in `bytes[start, end)` in the row that starts at `matrix[row]`
   * (`words`, the same bytes as u32, for a packed row).
   */
  encode(matrix: Float32Array, words: Uint32Array, row: number, bytes: Uint8Array, start: number, end: number): void {
    this.encodeEntry(matrix, words, row, bytes, start, end, this.strings.entry(bytes, start, end));
  }

  /** {@link encode}, given the bytes' hash (see {@link ByteStrings.find}). */
  encodeHashed(matrix: Float32Array, words: Uint32Array, row: number, bytes: Uint8Array, start: number, end: number, hash: number): void {
    this.encodeEntry(matrix, words, row, bytes, start, end, this.strings.find(bytes, start, end, hash));
  }

  private encodeEntry(matrix: Float32Array, words: Uint32Array, row: number, bytes: Uint8Array, start: number, end: number, entry: number): void {
    if (entry === -1) {
      this.encodeText(matrix, words, row, decodeBytes(bytes, start, end));
      return;
    }
    let place = entry < this.places.length ? this.places[entry] : -1;
    if (place === -1) place = this.learn(entry);
    else if (place === this.feature.unseen) this.counts.unseen++;
    this.set(matrix, words, row, place);
  }

  /** Sets the feature of a category given as text. */
  encodeText(matrix: Float32Array, words: Uint32Array, row: number, text: string): void {
    this.set(matrix, words, row, categorySlot(text, this.feature, this.counts));
  }

  private set(matrix: Float32Array, words: Uint32Array, row: number, place: number): void {
    const f = this.feature;
    if (this.word === -1) matrix[row + f.base + place] = f.hot[place];
    else words[row + this.word] = f.base + place;
  }

  /** The place of the entry's text, remembered ({@link categorySlot} counts it when unseen). */
  private learn(entry: number): number {
    const place = categorySlot(this.strings.text(entry), this.feature, this.counts);
    if (entry >= this.places.length) {
      const places = new Int32Array(Math.max(entry + 1, this.places.length * 2)).fill(-1);
      places.set(this.places);
      this.places = places;
    }
    this.places[entry] = place;
    return place;
  }
}

/** Where the unquoted field starting at `start` ends: its delimiter or LF. */
function fieldEnd(bytes: Uint8Array, start: number, delimiter: number): number {
  let e = start;
  let c = bytes[e];
  while (c !== delimiter && c !== LF) c = bytes[++e];
  return e;
}

/** The end of a field's text: a CR before the row's LF is not part of it. */
function textEnd(bytes: Uint8Array, start: number, end: number): number {
  return end > start && bytes[end - 1] === CR && bytes[end] === LF ? end - 1 : end;
}

/**
 * Reads the field starting at `start` when it is a decimal with an optional sign and exponent (and
 * the row's CR before its LF) into `out[0]`, exactly as `Number` reads it: an integer mantissa
 * below 2^53 times or over an exact power of ten, rounded once. Returns where the field ends (its
 * delimiter or LF), or -1 when it holds anything else or more than that reads exactly.
 */
function signedDecimal(bytes: Uint8Array, start: number, delimiter: number, out: Float64Array): number {
  let e = start;
  let c = bytes[e];
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
  if (!any || m >= MAX_EXACT || power < -MAX_POWER || power > MAX_POWER) return -1;
  if (c === CR && bytes[e + 1] === LF) e++;
  else if (c !== delimiter && c !== LF) return -1;
  const v = power >= 0 ? m * POW10[power] : m / POW10[-power];
  out[0] = negative ? -v : v;
  return e;
}
