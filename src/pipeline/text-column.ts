import { decodeBytes } from './byte-strings';

/**
 * A column of text as UTF-8, dictionary-encoded: row i holds value `codes[i]`, whose bytes are
 * `bytes[starts[v], ends[v])`. A value may be listed more than once (a column of ids is not
 * deduplicated). The values lie one after another in bytes of the column's own, or, decoded in
 * place (DecodeRequest's `inPlace`), where their fields lie in the block of input read, which the
 * batch's other such columns share. Typed arrays only (see {@link textBuffers}), so a column moves
 * between threads without a copy and holds no string per row.
 */
export interface TextColumn {
  codes: Int32Array;
  bytes: Uint8Array;
  starts: Int32Array;
  ends: Int32Array;
}

/** Distinct texts a {@link TextValues} looks up by default: enough for labels and categories. */
const DISTINCT_TEXTS = 4096;

const utf8 = new TextEncoder();

/**
 * The values of a text column being built, as UTF-8 end to end. Bytes are added as a new value
 * each time; texts are looked up while fewer than `distinct` are known (labels, categories keep one
 * value each), then added as they come (ids). {@link take} hands the values over and starts afresh.
 */
export class TextValues {
  private bytes = new Uint8Array(1024);
  private used = 0;
  /** Where each value's bytes end. */
  private ends = new Int32Array(256);
  private count = 0;
  private readonly known = new Map<string, number>();

  constructor(private readonly distinct = DISTINCT_TEXTS) {}

  /** Adds `bytes[start, end)` as a value; returns its code. */
  addBytes(bytes: Uint8Array, start: number, end: number): number {
    let at = this.room(end - start);
    const into = this.bytes;
    for (let c = start; c < end; c++) into[at++] = bytes[c];
    return this.added(at);
  }

  /** The code of `text`, added when not known. */
  addText(text: string): number {
    const lookup = this.known.size < this.distinct;
    const known = lookup ? this.known.get(text) : undefined;
    if (known !== undefined) return known;
    const at = this.room(text.length * 3);
    const code = this.added(at + utf8.encodeInto(text, this.bytes.subarray(at)).written);
    if (lookup) this.known.set(text, code);
    return code;
  }

  /** The values added since the last take, as the column of rows `codes`, in arrays of their own. */
  take(codes: Int32Array): TextColumn {
    const ends = this.ends.slice(0, this.count);
    const starts = new Int32Array(this.count);
    if (this.count > 1) starts.set(ends.subarray(0, this.count - 1), 1);
    const column = { codes, bytes: this.bytes.slice(0, this.used), starts, ends };
    this.used = 0;
    this.count = 0;
    this.known.clear();
    return column;
  }

  /** Where `size` more bytes fit; room for one more value's end. */
  private room(size: number): number {
    if (this.used + size > this.bytes.length) {
      const bytes = new Uint8Array(Math.max(this.bytes.length * 2, this.used + size));
      bytes.set(this.bytes.subarray(0, this.used));
      this.bytes = bytes;
    }
    if (this.count === this.ends.length) {
      const ends = new Int32Array(this.count * 2);
      ends.set(this.ends);
      this.ends = ends;
    }
    return this.used;
  }

  /** Ends the value whose bytes end at `end`; returns its code. */
  private added(end: number): number {
    this.used = end;
    this.ends[this.count] = end;
    return this.count++;
  }
}

/** A column's values as a text column (missing values as the empty string). */
export function encodeText(values: ArrayLike<unknown>): TextColumn {
  const codes = new Int32Array(values.length);
  const out = new TextValues(Infinity);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    codes[i] = out.addText(typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));
  }
  return out.take(codes);
}

/** Value `code`'s text (invalid UTF-8 as U+FFFD, as the input's text reads). */
export function textValue(column: TextColumn, code: number): string {
  return decodeBytes(column.bytes, column.starts[code], column.ends[code]);
}

/** Every value's text, in code order. */
export function textValues(column: TextColumn): string[] {
  return Array.from({ length: column.starts.length }, (_, code) => textValue(column, code));
}

/** Each row's text. */
export function rowTexts(column: TextColumn): string[] {
  const values = textValues(column);
  return Array.from(column.codes, (code) => values[code]);
}

/** Rows `row(0)`, … `row(count - 1)` of a column, in arrays of their own holding only the values those rows take. */
export function pickTexts(column: TextColumn, count: number, row: (n: number) => number): TextColumn {
  const codes = new Int32Array(count);
  const picked = new Int32Array(column.starts.length).fill(-1);
  const out = new TextValues(0);
  const { bytes, starts, ends } = column;
  for (let n = 0; n < count; n++) {
    const v = column.codes[row(n)];
    let code = picked[v];
    if (code === -1) code = picked[v] = out.addBytes(bytes, starts[v], ends[v]);
    codes[n] = code;
  }
  return out.take(codes);
}

/** The buffers a column holds, to move it to another thread (columns decoded in place share their bytes': list each once). */
export function textBuffers(column: TextColumn): ArrayBuffer[] {
  return [column.codes, column.bytes, column.starts, column.ends].map((a) => a.buffer as ArrayBuffer);
}
