import type { TextColumn } from '../pipeline/record-decoder';
import type { ColumnError } from './explain';
import { csvField, writeInteger, writeScore } from './scores-csv';

/**
 * What `netae score` writes, one record per row scored:
 *
 * - `csv`: a header, then `row,score,flag`, the text columns (the label, then the columns kept
 *   from the input), then per explained feature `featureK,shareK,valueK,expectedK`;
 * - `jsonl`: one JSON object per line, `{"row":…,"score":…,"flag":…}` with the text columns by
 *   name (as JSON strings) and `"explanation":[{"feature","share","value","expected"}, …]`.
 *
 * Rows are numbered from 1 in input order, whatever rows are written; the flag is 1 when the
 * score is ≥ the threshold. A score that is not finite is written as JSON null.
 */
export type ScoreFormat = 'csv' | 'jsonl';

export const SCORE_FORMATS: readonly ScoreFormat[] = ['csv', 'jsonl'];

export interface ScoreLayout {
  readonly format: ScoreFormat;
  /** Text columns after the flag, by name: the label, then the kept columns. */
  readonly texts: readonly string[];
  /** Features explained per row (0 for none). */
  readonly explain: number;
}

/** Names the output's own fields take, which a kept column may not: CSV columns, or JSON keys. */
export function reservedNames(format: ScoreFormat, explain: number): string[] {
  if (format === 'jsonl') return ['row', 'score', 'flag', 'explanation'];
  const explained = Array.from({ length: explain }, (_, k) => ['feature', 'share', 'value', 'expected'].map((f) => `${f}${k + 1}`));
  return ['row', 'score', 'flag', ...explained.flat()];
}

/** The CSV header line; nothing for JSON lines. */
export function scoreHeader(layout: ScoreLayout): string {
  if (layout.format === 'jsonl') return '';
  const [row, score, flag, ...explained] = reservedNames('csv', layout.explain);
  return `${[row, score, flag, ...layout.texts, ...explained].map(csvField).join(',')}\n`;
}

/** One chunk of scored records. */
export interface ScoreChunk {
  readonly scores: Float32Array;
  /** The row number (from 1) of `scores[0]`. */
  readonly firstRow: number;
  /** The chunk's values of the layout's text columns, in its order. */
  readonly texts: readonly TextColumn[];
  /** The chunk's rows to write, ascending (null: every row). */
  readonly rows: Uint32Array | null;
  /** Per row written, its explanation (null without). */
  readonly explanations: readonly (readonly ColumnError[])[] | null;
}

const utf8 = new TextEncoder();
const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const ROW_KEY = utf8.encode('{"row":');
const SCORE_KEY = utf8.encode(',"score":');
const FLAG_KEY = utf8.encode(',"flag":');
const NULL = utf8.encode('null');
/** Bytes of a row besides its texts and explanation, at most: row number, score, flag, separators, JSON keys. */
const FIXED_BYTES = 16 + 24 + 3 + 1 + ROW_KEY.length + SCORE_KEY.length + FLAG_KEY.length + 1;

/**
 * The chunk's records as bytes, in one buffer for one write. Text columns come dictionary-encoded,
 * and each value is sized once, when a written row first holds it: printable ASCII that needs no
 * quoting (CSV) or escaping (JSON), as ids and addresses are, is copied as it is, after the
 * field's separator (and key); any other value is quoted or escaped and encoded once.
 */
export function scoreBytes(chunk: ScoreChunk, threshold: number, layout: ScoreLayout): Uint8Array {
  const json = layout.format === 'jsonl';
  const { scores, rows } = chunk;
  const count = rows === null ? scores.length : rows.length;
  const prefixes = layout.texts.map((name) => utf8.encode(json ? `,${JSON.stringify(name)}:"` : ','));
  const plain = json ? plainJson : plainCsv;
  /** Per column and value: its bytes in the output (0 until sized), and its encoding when it is not plain. */
  const lengths = chunk.texts.map((column) => new Int32Array(column.values.length));
  const encoded = chunk.texts.map(() => new Map<number, Uint8Array>());
  const sizeOf = (k: number, code: number): number => {
    let length = lengths[k][code];
    if (length === 0) {
      const value = chunk.texts[k].values[code];
      if (plain(value)) {
        length = prefixes[k].length + value.length + (json ? 1 : 0);
      } else {
        const bytes = utf8.encode(json ? `,${JSON.stringify(layout.texts[k])}:${JSON.stringify(value)}` : `,${csvField(value)}`);
        encoded[k].set(code, bytes);
        length = bytes.length;
      }
      lengths[k][code] = length;
    }
    return length;
  };
  const explained = chunk.explanations?.map((errors) => utf8.encode(json ? jsonExplanation(errors) : csvExplanation(errors, layout.explain))) ?? null;
  let size = count * FIXED_BYTES;
  for (let k = 0; k < chunk.texts.length; k++) {
    const codes = chunk.texts[k].codes;
    for (let n = 0; n < count; n++) size += sizeOf(k, codes[rows === null ? n : rows[n]]);
  }
  if (explained !== null) for (const bytes of explained) size += bytes.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (let n = 0; n < count; n++) {
    const i = rows === null ? n : rows[n];
    const score = scores[i];
    if (json) {
      out.set(ROW_KEY, at);
      at = writeInteger(out, at + ROW_KEY.length, chunk.firstRow + i);
      out.set(SCORE_KEY, at);
      at += SCORE_KEY.length;
      if (Number.isFinite(score)) {
        at = writeScore(out, at, score);
      } else {
        out.set(NULL, at);
        at += NULL.length;
      }
      out.set(FLAG_KEY, at);
      at += FLAG_KEY.length;
    } else {
      at = writeInteger(out, at, chunk.firstRow + i);
      out[at++] = COMMA;
      at = writeScore(out, at, score);
      out[at++] = COMMA;
    }
    out[at++] = score >= threshold ? 0x31 : 0x30;
    for (let k = 0; k < chunk.texts.length; k++) {
      const code = chunk.texts[k].codes[i];
      const bytes = encoded[k].get(code);
      if (bytes !== undefined) {
        out.set(bytes, at);
        at += bytes.length;
        continue;
      }
      const prefix = prefixes[k];
      out.set(prefix, at);
      at += prefix.length;
      const value = chunk.texts[k].values[code];
      for (let c = 0; c < value.length; c++) out[at++] = value.charCodeAt(c);
      if (json) out[at++] = QUOTE;
    }
    if (explained !== null) {
      out.set(explained[n], at);
      at += explained[n].length;
    }
    if (json) out[at++] = 0x7d;
    out[at++] = LF;
  }
  return out.subarray(0, at);
}

/** Printable ASCII without a comma or quote: a CSV field as it is. */
function plainCsv(value: string): boolean {
  for (let c = 0; c < value.length; c++) {
    const code = value.charCodeAt(c);
    if (code < 0x20 || code > 0x7e || code === COMMA || code === QUOTE) return false;
  }
  return true;
}

/** Printable ASCII without a quote or backslash: the inside of a JSON string as it is. */
function plainJson(value: string): boolean {
  for (let c = 0; c < value.length; c++) {
    const code = value.charCodeAt(c);
    if (code < 0x20 || code > 0x7e || code === QUOTE || code === 0x5c) return false;
  }
  return true;
}

/** A share of error to four decimals. */
function shareText(share: number): string {
  return String(Number(share.toFixed(4)));
}

/** A value or expectation: text as it is; a number to six significant digits, or null (JSON) or nothing (CSV) when not finite. */
function valueText(value: number | string, json: boolean, digits: number | null): string {
  if (typeof value === 'string') return json ? JSON.stringify(value) : csvField(value);
  if (!Number.isFinite(value)) return json ? 'null' : '';
  return String(digits === null ? value : Number(value.toPrecision(digits)));
}

function csvExplanation(errors: readonly ColumnError[], k: number): string {
  let text = '';
  for (let j = 0; j < k; j++) {
    const e = errors[j];
    text += e === undefined ? ',,,,' : `,${csvField(e.feature)},${shareText(e.share)},${valueText(e.value, false, null)},${valueText(e.expected, false, 6)}`;
  }
  return text;
}

function jsonExplanation(errors: readonly ColumnError[]): string {
  const items = errors.map((e) => `{"feature":${JSON.stringify(e.feature)},"share":${shareText(e.share)},"value":${valueText(e.value, true, null)},"expected":${valueText(e.expected, true, 6)}}`);
  return `,"explanation":[${items.join(',')}]`;
}

/** Rows of a chunk whose score is ≥ the threshold, ascending. */
export function flaggedRows(scores: Float32Array, threshold: number): Uint32Array {
  let n = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i] >= threshold) n++;
  const rows = new Uint32Array(n);
  for (let i = 0, k = 0; i < scores.length; i++) if (scores[i] >= threshold) rows[k++] = i;
  return rows;
}
