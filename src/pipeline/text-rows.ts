import { decodeBytes } from './byte-strings';

/**
 * Rows and fields of delimited text, at the byte level.
 *
 * Rules (those of RFC 4180, as lenient as Papa Parse on well-formed files):
 * - A row ends at LF; a CR before it is dropped from the row's last field.
 * - With quoting, a field that starts with `"` runs to the `"` that is followed, after optional
 *   spaces, by the delimiter, LF or the end of the input; `""` inside stands for `"`; other quotes
 *   inside are kept. Such a field may span lines. A `"` after a field's first byte is text.
 * - Zeek logs are not quoted.
 */
export const LF = 10;
export const CR = 13;
export const QUOTE = 34;

/** Where a quoted field ends: `close` is its closing quote, `next` the delimiter, LF or end after it. */
export interface QuotedEnd {
  close: number;
  next: number;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13 && c !== LF);
}

/** The end of the quoted field whose opening quote is at `open`, or null when it is not closed before `end`. */
export function quotedEnd(bytes: Uint8Array, open: number, end: number, delimiter: number): QuotedEnd | null {
  let at = open + 1;
  for (;;) {
    const q = bytes.indexOf(QUOTE, at);
    if (q === -1 || q >= end) return null;
    if (q + 1 < end && bytes[q + 1] === QUOTE) {
      at = q + 2;
      continue;
    }
    let k = q + 1;
    while (k < end && bytes[k] !== delimiter && isSpace(bytes[k])) k++;
    if (k === end || bytes[k] === delimiter || bytes[k] === LF) return { close: q, next: k };
    at = q + 1;
  }
}

/**
 * The position just after the last complete row of `bytes[start, end)` (after its LF), or -1 when
 * no row ends there. `start` must be the start of a row.
 */
export function lastRowEnd(bytes: Uint8Array, start: number, end: number, delimiter: number, quoted: boolean): number {
  if (!quoted || indexOfByte(bytes, QUOTE, start, end) === -1) {
    const lf = bytes.lastIndexOf(LF, end - 1);
    return lf >= start ? lf + 1 : -1;
  }
  return quotedRowsEnd(bytes, start, end, delimiter, false);
}

/**
 * The position just after the row that starts at `start` (after its LF), or -1 when a quoted field
 * of it is not closed before `end`. `bytes[end - 1]` must be an LF.
 */
export function rowEnd(bytes: Uint8Array, start: number, end: number, delimiter: number, quoted: boolean): number {
  const lf = bytes.indexOf(LF, start);
  if (!quoted || indexOfByte(bytes, QUOTE, start, lf) === -1) return lf + 1;
  return quotedRowsEnd(bytes, start, end, delimiter, true);
}

/**
 * Reads quoted rows from `start` (a row's start): the position just after the first row's LF
 * (`first`) or the last one's before `end`, where a row ends at an LF outside quotes; -1 when none
 * ends there.
 */
function quotedRowsEnd(bytes: Uint8Array, start: number, end: number, delimiter: number, first: boolean): number {
  let last = -1;
  let at = start;
  let fieldStart = true;
  while (at < end) {
    const c = bytes[at];
    if (fieldStart && c === QUOTE) {
      const q = quotedEnd(bytes, at, end, delimiter);
      if (q === null) return last;
      at = q.next;
      fieldStart = false;
      continue;
    }
    if (c === LF) {
      last = at + 1;
      if (first) return last;
      fieldStart = true;
    } else {
      fieldStart = c === delimiter;
    }
    at++;
  }
  return last;
}

/** The line feeds in `bytes[start, end)`: for a short range, such as a quoted field. */
export function countLF(bytes: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let at = bytes.indexOf(LF, start); at !== -1 && at < end; at = bytes.indexOf(LF, at + 1)) n++;
  return n;
}

/** The line feeds in a block, found with memchr under Node (a Buffer over the same memory). */
export function countLines(block: Uint8Array): number {
  const bytes = NODE_BUFFER === null ? block : NODE_BUFFER.from(block.buffer, block.byteOffset, block.byteLength);
  let n = 0;
  for (let at = bytes.indexOf(LF); at !== -1; at = bytes.indexOf(LF, at + 1)) n++;
  return n;
}

/**
 * Where `byte` first occurs in `bytes[start, end)`, or -1. Under Node a Buffer over the same memory
 * searches with memchr; a browser uses the typed array's own indexOf.
 */
export function indexOfByte(bytes: Uint8Array, byte: number, start: number, end: number): number {
  const range = NODE_BUFFER === null ? bytes.subarray(start, end) : NODE_BUFFER.from(bytes.buffer, bytes.byteOffset + start, end - start);
  const at = range.indexOf(byte);
  return at === -1 ? -1 : start + at;
}

const NODE_BUFFER = (globalThis as { Buffer?: typeof Buffer }).Buffer ?? null;

/** One row's fields as text, the position after it, and the lines it spans. */
export interface SplitRow {
  fields: string[];
  next: number;
  lines: number;
}

/**
 * Splits the row starting at `start`. Returns null when the row does not end before `end`
 * (unless `atEnd`, when the input ends there) or when a quoted field is not closed.
 */
export function splitRow(bytes: Uint8Array, start: number, end: number, delimiter: number, quoted: boolean, atEnd: boolean): SplitRow | null {
  const fields: string[] = [];
  let lines = 1;
  let at = start;
  for (;;) {
    if (quoted && at < end && bytes[at] === QUOTE) {
      const q = quotedEnd(bytes, at, end, delimiter);
      if (q === null || (q.next === end && !atEnd)) return null;
      fields.push(unquote(bytes, at + 1, q.close));
      for (let i = at; i < q.close; i++) if (bytes[i] === LF) lines++;
      at = q.next;
    } else {
      let e = at;
      while (e < end && bytes[e] !== delimiter && bytes[e] !== LF) e++;
      if (e === end && !atEnd) return null;
      const last = e === end || bytes[e] === LF;
      fields.push(decodeBytes(bytes, at, last && e > at && bytes[e - 1] === CR ? e - 1 : e));
      at = e;
    }
    if (at >= end) return { fields, next: end, lines };
    if (bytes[at] === LF) return { fields, next: at + 1, lines };
    at++;
  }
}

/**
 * The text of a quoted field's inside, `""` read as `"`. Where it holds such pairs, its bytes are
 * copied without the second quote of each, then decoded: a field of millions of pairs costs its
 * length, where replacing them in the text would build a string of a piece per pair.
 */
export function unquote(bytes: Uint8Array, start: number, end: number): string {
  const text = decodeBytes(bytes, start, end);
  if (!text.includes('""')) return text;
  const out = new Uint8Array(end - start);
  let n = 0;
  for (let i = start; i < end; i++) {
    out[n++] = bytes[i];
    if (bytes[i] === QUOTE && i + 1 < end && bytes[i + 1] === QUOTE) i++;
  }
  return decodeBytes(out, 0, n);
}
