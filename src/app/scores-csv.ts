/**
 * A score as CSV text: nine significant digits, enough to give back the float32 exactly, written
 * as JavaScript writes the number those digits spell (`String(Number(score.toPrecision(9)))`):
 * trailing zeros dropped, plain notation from 1e-6 up to 1e21, exponent notation outside.
 * (No shorter decimal is within a double's precision of a 9-digit one, so dropping the zeros
 * gives what `String` would.)
 */
export function formatScore(score: number): string {
  const text = score.toPrecision(9);
  const e = text.indexOf('e');
  if (e === -1) return dropZeros(text);
  const mantissa = dropZeros(text.slice(0, e));
  const exponent = Number(text.slice(e + 1));
  if (exponent < -6 || exponent >= 21) return `${mantissa}e${exponent > 0 ? '+' : ''}${exponent}`;
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  return `${negative ? '-' : ''}${digits}${'0'.repeat(exponent + 1 - digits.length)}`;
}

/** Trailing zeros of a fraction dropped, and its point when nothing follows it. */
function dropZeros(text: string): string {
  if (text.indexOf('.') === -1) return text;
  let end = text.length;
  while (text.charCodeAt(end - 1) === 0x30) end--;
  if (text.charCodeAt(end - 1) === 0x2e) end--;
  return text.slice(0, end);
}

const utf8 = new TextEncoder();

/**
 * `csvField(value)` as UTF-8 bytes, after a comma where `comma` says so: quoted and its quotes
 * doubled byte by byte, so that a value of millions of quotes costs its length and no more
 * (`replaceAll` builds a string of a piece per quote).
 */
export function csvFieldBytes(value: string, comma: boolean): Uint8Array {
  const bytes = utf8.encode(value);
  let quotes = 0;
  let special = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x22) quotes++;
    else if (b === 0x2c || b === 0x0a || b === 0x0d) special = true;
  }
  const start = comma ? 1 : 0;
  const quoted = quotes > 0 || special;
  const out = new Uint8Array(start + bytes.length + quotes + (quoted ? 2 : 0));
  if (comma) out[0] = 0x2c;
  let n = start;
  if (quoted) out[n++] = 0x22;
  for (let i = 0; i < bytes.length; i++) {
    out[n++] = bytes[i];
    if (bytes[i] === 0x22) out[n++] = 0x22;
  }
  if (quoted) out[n] = 0x22;
  return out;
}

export function csvField(value: unknown): string {
  const text = String(value ?? '');
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The CSV `netae score --keep none` writes: `row,score,flag` and the label column, under its own
 * name, when the records have one; rows numbered from 1, flag 1 when the score is ≥ the threshold.
 */
export function scoresHeader(label: string | null): string {
  return `row,score,flag${label === null ? '' : `,${csvField(label)}`}\n`;
}

/** The lines of rows `firstRow`, `firstRow + 1`, … (a chunk of a longer file). */
export function scoreLines(scores: ArrayLike<number>, threshold: number, labels: ArrayLike<unknown> | null, firstRow = 1): string {
  const lines = new Array<string>(scores.length);
  for (let i = 0; i < scores.length; i++) {
    const flag = scores[i] >= threshold ? 1 : 0;
    lines[i] = `${firstRow + i},${formatScore(scores[i])},${flag}${labels ? `,${csvField(labels[i])}` : ''}`;
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** The scores as `netae score --keep none` writes them; `labels`, the values of the label column named `label`. */
export function scoresCsv(scores: ArrayLike<number>, threshold: number, labels: { name: string; values: ArrayLike<unknown> } | null): string {
  return scoresHeader(labels?.name ?? null) + scoreLines(scores, threshold, labels?.values ?? null);
}

/** Writes a whole number ≥ 0 at `at` and returns where it ends. */
export function writeInteger(out: Uint8Array, at: number, value: number): number {
  if (value > 0x7fffffff) return writeText(out, at, String(value));
  let digits = 1;
  for (let v = value | 0; v >= 10; v = (v / 10) | 0) digits++;
  let v = value | 0;
  for (let k = at + digits - 1; k >= at; k--) {
    const next = (v / 10) | 0;
    out[k] = 0x30 + v - next * 10;
    v = next;
  }
  return at + digits;
}

/** 10^k for k in [-15, 22], as the doubles nearest them (exact from 10^0 up); 10^0 is at POWERS[15]. */
const POWERS = Float64Array.from({ length: 38 }, (_, i) => Number(`1e${i - 15}`));
/** Veltkamp's constant for splitting a double into two halves of 26 bits. */
const SPLIT = 2 ** 27 + 1;

/**
 * Writes {@link formatScore}'s text of a score at `at` and returns where it ends. For scores in
 * [1e-14, 1e9) the nine digits are found without `toPrecision`: the float32 score times 10^(8−k)
 * (k its decimal exponent) is computed exactly as a sum of two doubles (the power of ten is split
 * in halves whose products with a 24-bit mantissa are exact), then rounded half up as
 * `toPrecision` rounds. Other scores take `formatScore` itself.
 */
export function writeScore(out: Uint8Array, at: number, score: number): number {
  if (!(score >= 1e-14 && score < 1e9) || Math.fround(score) !== score) return writeText(out, at, formatScore(score));
  let from = -14;
  let to = 8;
  while (from < to) {
    const mid = (from + to + 1) >> 1;
    if (score >= POWERS[mid + 15]) from = mid;
    else to = mid - 1;
  }
  let k = from;
  const power = POWERS[23 - k];
  const c = SPLIT * power;
  const high = c - (c - power);
  const low = power - high;
  const p1 = score * high;
  const p2 = score * low;
  const sum = p1 + p2;
  const error = p2 - (sum - p1);
  let q = Math.floor(sum);
  const half = sum - q - 0.5;
  if (half > 0 || (half === 0 && error >= 0)) q++;
  if (q === 1e9) {
    q = 1e8;
    k++;
  }
  let n = q | 0;
  let digits = 9;
  while (n % 10 === 0) {
    n = (n / 10) | 0;
    digits--;
  }
  const text = DIGITS;
  for (let i = digits - 1; i >= 0; i--) {
    const next = (n / 10) | 0;
    text[i] = 0x30 + n - next * 10;
    n = next;
  }
  if (k < -6) {
    out[at++] = text[0];
    if (digits > 1) out[at++] = 0x2e;
    for (let i = 1; i < digits; i++) out[at++] = text[i];
    out[at++] = 0x65;
    out[at++] = 0x2d;
    return writeInteger(out, at, -k);
  }
  if (k < 0) {
    out[at++] = 0x30;
    out[at++] = 0x2e;
    for (let i = 1; i < -k; i++) out[at++] = 0x30;
    for (let i = 0; i < digits; i++) out[at++] = text[i];
    return at;
  }
  for (let i = 0; i <= k; i++) out[at++] = i < digits ? text[i] : 0x30;
  if (digits > k + 1) {
    out[at++] = 0x2e;
    for (let i = k + 1; i < digits; i++) out[at++] = text[i];
  }
  return at;
}

const DIGITS = new Uint8Array(9);

/** Writes ASCII `text` to `out` at `at`, a byte a character; returns where it ends. */
export function writeText(out: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
  return at;
}

/** Copies the first `length` of `bytes` (all by default) to `out` at `at`; returns where they end. */
export function putBytes(out: Uint8Array, at: number, bytes: Uint8Array, length = bytes.length): number {
  for (let c = 0; c < length; c++) out[at++] = bytes[c];
  return at;
}
