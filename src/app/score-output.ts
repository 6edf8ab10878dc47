import { textValue, type TextColumn } from '../pipeline/text-column';
import type { Explainer } from './explain';
import { ExplanationWriter, type ExplainedRows } from './score-explanations';
import { csvField, putBytes, writeInteger, writeScore } from './scores-csv';

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
  /** The rows written, to explain (null without). */
  readonly explained: ExplainedRows | null;
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
 * Writes chunks of scored records as bytes into one buffer, reused from chunk to chunk: no string
 * or object per row. Text columns come as UTF-8, dictionary-encoded, and each value is encoded
 * once per chunk, when a written row first holds it (see {@link EncodedTexts}). With the layout's
 * explanations, `explainer` (of the model's fitted features) explains each row as it is written.
 */
export class ScoreWriter {
  private out: Uint8Array = new Uint8Array(1 << 16);
  private readonly json: boolean;
  private readonly prefixes: Uint8Array[];
  private readonly explanations: ExplanationWriter | null;

  constructor(private readonly layout: ScoreLayout, private readonly threshold: number, explainer: Explainer | null = null) {
    this.json = layout.format === 'jsonl';
    this.prefixes = layout.texts.map((name) => utf8.encode(this.json ? `,${JSON.stringify(name)}:"` : ','));
    this.explanations = layout.explain > 0 && explainer !== null ? new ExplanationWriter(explainer, layout.explain, this.json) : null;
  }

  /** The chunk's records; the bytes are a view of the writer's buffer, valid until its next call. */
  bytes(chunk: ScoreChunk): Uint8Array {
    const { json, threshold } = this;
    const { scores, rows, firstRow } = chunk;
    const count = rows === null ? scores.length : rows.length;
    const texts = chunk.texts.map((column, k) => new EncodedTexts(column, this.prefixes[k], json, (value) => this.encoded(k, value)));
    const explained = chunk.explained === null ? null : this.explaining(chunk.explained);
    let out = this.out;
    let at = 0;
    for (let n = 0; n < count; n++) {
      const i = rows === null ? n : rows[n];
      const explanation = explained === null ? 0 : explained.row(n);
      let need = FIXED_BYTES + explanation;
      for (const text of texts) need += text.length(i);
      if (at + need > out.length) out = this.grow(at + need, at);
      const score = scores[i];
      if (json) {
        at = putBytes(out, at, ROW_KEY);
        at = writeInteger(out, at, firstRow + i);
        at = putBytes(out, at, SCORE_KEY);
        at = Number.isFinite(score) ? writeScore(out, at, score) : putBytes(out, at, NULL);
        at = putBytes(out, at, FLAG_KEY);
      } else {
        at = writeInteger(out, at, firstRow + i);
        out[at++] = COMMA;
        at = writeScore(out, at, score);
        out[at++] = COMMA;
      }
      out[at++] = score >= threshold ? 0x31 : 0x30;
      for (const text of texts) at = text.write(out, at, i);
      if (explained !== null) at = putBytes(out, at, explained.bytes, explanation);
      if (json) out[at++] = 0x7d;
      out[at++] = LF;
    }
    return out.subarray(0, at);
  }

  /** The writer of explanations, given the chunk's rows. */
  private explaining(rows: ExplainedRows): ExplanationWriter {
    if (this.explanations === null) throw new Error('explanations need a layout that explains and the fitted features');
    this.explanations.chunk(rows);
    return this.explanations;
  }

  /** A text column's value that is not plain, in its field's full form: quoted (CSV), or its key and escaped string (JSON). */
  private encoded(k: number, value: string): Uint8Array {
    return utf8.encode(this.json ? `,${JSON.stringify(this.layout.texts[k])}:${JSON.stringify(value)}` : `,${csvField(value)}`);
  }

  /** A buffer of at least `size` bytes holding the first `used` bytes written. */
  private grow(size: number, used: number): Uint8Array {
    const out = new Uint8Array(Math.max(size, this.out.length * 2));
    out.set(this.out.subarray(0, used));
    this.out = out;
    return out;
  }
}

/**
 * One text column of a chunk as the bytes each of its values takes in the output, separator (and
 * key) first: printable ASCII that needs no quoting (CSV) or escaping (JSON), as ids and addresses
 * are, copied byte for byte between the field's prefix and suffix; any other value in the form
 * `encode` gives of its text. Each value is encoded when a row first asks for it, into one table.
 */
class EncodedTexts {
  private table: Uint8Array = new Uint8Array(256);
  private used = 0;
  /** Per value, where its bytes start in the table (-1 until encoded) and end. */
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly plain: (bytes: Uint8Array, start: number, end: number) => boolean;
  private readonly suffix: number;

  constructor(
    private readonly column: TextColumn, private readonly prefix: Uint8Array, json: boolean, private readonly encode: (value: string) => Uint8Array,
  ) {
    this.starts = new Int32Array(column.offsets.length - 1).fill(-1);
    this.ends = new Int32Array(column.offsets.length - 1);
    this.plain = json ? plainJson : plainCsv;
    this.suffix = json ? QUOTE : -1;
  }

  /** The bytes row `i`'s value takes. */
  length(i: number): number {
    const code = this.column.codes[i];
    if (this.starts[code] === -1) this.add(code);
    return this.ends[code] - this.starts[code];
  }

  /** Writes row `i`'s value (sized first by {@link length}) at `at`; returns where it ends. */
  write(out: Uint8Array, at: number, i: number): number {
    const code = this.column.codes[i];
    const table = this.table;
    for (let c = this.starts[code], end = this.ends[code]; c < end; c++) out[at++] = table[c];
    return at;
  }

  private add(code: number): void {
    const { bytes: values, offsets } = this.column;
    const start = offsets[code];
    const end = offsets[code + 1];
    const bytes = this.plain(values, start, end) ? null : this.encode(textValue(this.column, code));
    const size = bytes === null ? this.prefix.length + end - start + (this.suffix === -1 ? 0 : 1) : bytes.length;
    if (this.used + size > this.table.length) {
      const table = new Uint8Array(Math.max(this.table.length * 2, this.used + size));
      table.set(this.table.subarray(0, this.used));
      this.table = table;
    }
    const table = this.table;
    let at = this.used;
    this.starts[code] = at;
    if (bytes !== null) {
      at = putBytes(table, at, bytes);
    } else {
      at = putBytes(table, at, this.prefix);
      for (let c = start; c < end; c++) table[at++] = values[c];
      if (this.suffix !== -1) table[at++] = this.suffix;
    }
    this.ends[code] = at;
    this.used = at;
  }
}

/** Whether `bytes[start, end)` is printable ASCII without a comma or quote: a CSV field as it is. */
function plainCsv(bytes: Uint8Array, start: number, end: number): boolean {
  for (let c = start; c < end; c++) {
    const code = bytes[c];
    if (code < 0x20 || code > 0x7e || code === COMMA || code === QUOTE) return false;
  }
  return true;
}

/** Whether `bytes[start, end)` is printable ASCII without a quote or backslash: the inside of a JSON string as it is. */
function plainJson(bytes: Uint8Array, start: number, end: number): boolean {
  for (let c = start; c < end; c++) {
    const code = bytes[c];
    if (code < 0x20 || code > 0x7e || code === QUOTE || code === 0x5c) return false;
  }
  return true;
}

/** Rows of a chunk whose score is ≥ the threshold, ascending. */
export function flaggedRows(scores: Float32Array, threshold: number): Uint32Array {
  let n = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i] >= threshold) n++;
  const rows = new Uint32Array(n);
  for (let i = 0, k = 0; i < scores.length; i++) if (scores[i] >= threshold) rows[k++] = i;
  return rows;
}
