import type { TextColumn } from '../pipeline/record-decoder';

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

export function csvField(value: unknown): string {
  const text = String(value ?? '');
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The CSV `netae score` writes: `row,score,flag` and `label` when the records have one; rows
 * numbered from 1, flag 1 when the score is ≥ the threshold.
 */
export function scoresHeader(labelled: boolean): string {
  return `row,score,flag${labelled ? ',label' : ''}\n`;
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

export function scoresCsv(scores: ArrayLike<number>, threshold: number, labels: ArrayLike<unknown> | null): string {
  return scoresHeader(labels !== null) + scoreLines(scores, threshold, labels);
}

const utf8 = new TextEncoder();

/**
 * The same lines as {@link scoreLines}, written straight into bytes for a stream: labels come
 * dictionary-encoded, each distinct label encoded once.
 */
export function scoreBytes(scores: Float32Array, threshold: number, labels: TextColumn | null, firstRow: number): Uint8Array {
  const encoded = labels?.values.map((label) => utf8.encode(`,${csvField(label)}`)) ?? [];
  const longest = encoded.reduce((n, bytes) => Math.max(n, bytes.length), 0);
  const out = new Uint8Array(scores.length * (16 + 24 + 3 + longest + 1));
  let at = 0;
  for (let i = 0; i < scores.length; i++) {
    at = writeInteger(out, at, firstRow + i);
    out[at++] = 0x2c;
    const score = formatScore(scores[i]);
    for (let k = 0; k < score.length; k++) out[at++] = score.charCodeAt(k);
    out[at++] = 0x2c;
    out[at++] = scores[i] >= threshold ? 0x31 : 0x30;
    if (labels !== null) {
      const label = encoded[labels.codes[i]];
      out.set(label, at);
      at += label.length;
    }
    out[at++] = 0x0a;
  }
  return out.subarray(0, at);
}

function writeInteger(out: Uint8Array, at: number, value: number): number {
  let digits = 1;
  for (let v = value; v >= 10; v = Math.floor(v / 10)) digits++;
  let v = value;
  for (let k = at + digits - 1; k >= at; k--) {
    out[k] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  }
  return at + digits;
}
