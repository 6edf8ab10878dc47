import { textValue, type TextColumn } from '../pipeline/text-column';
import type { Explainer } from './explain';
import { ExplanationWriter, type ExplainedRows } from './score-explanations';
import { csvField, csvFieldBytes, putBytes, writeInteger, writeScore } from './scores-csv';

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
const BACKSLASH = 0x5c;
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
 * The buffer may be moved away with the bytes (to another thread): the next chunk is then written
 * into a buffer given with {@link reuse}, else into a new one as large as the last.
 */
export class ScoreWriter {
  private out: Uint8Array = new Uint8Array(1 << 16);
  /** Bytes of the buffer written into last. */
  private size = 1 << 16;
  private readonly json: boolean;
  private readonly texts: EncodedTexts[];
  private readonly explanations: ExplanationWriter | null;

  constructor(private readonly layout: ScoreLayout, private readonly threshold: number, explainer: Explainer | null = null) {
    this.json = layout.format === 'jsonl';
    this.texts = layout.texts.map((name, k) => {
      const prefix = utf8.encode(this.json ? `,${JSON.stringify(name)}:"` : ',');
      return new EncodedTexts(prefix, this.json, (value) => this.encoded(k, value));
    });
    this.explanations = layout.explain > 0 && explainer !== null ? new ExplanationWriter(explainer, layout.explain, this.json) : null;
  }

  /** The chunk's records; the bytes are a view of the writer's buffer, valid until its next call. */
  bytes(chunk: ScoreChunk): Uint8Array {
    const { json, threshold } = this;
    if (this.out.length === 0) this.out = new Uint8Array(this.size);
    const { scores, rows, firstRow } = chunk;
    const count = rows === null ? scores.length : rows.length;
    const texts = this.texts;
    chunk.texts.forEach((column, k) => texts[k].chunk(column));
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
    return this.json ? utf8.encode(`,${JSON.stringify(this.layout.texts[k])}:${JSON.stringify(value)}`) : csvFieldBytes(value, true);
  }

  /** A buffer of at least `size` bytes holding the first `used` bytes written. */
  /**
   * Writes the next chunk into `buffer` (its bytes moved away and given back, say), unless the
   * writer's own buffer is larger and still its own.
   */
  reuse(buffer: Uint8Array): void {
    if (buffer.length <= this.out.length) return;
    this.out = buffer;
    this.size = Math.max(this.size, buffer.length);
  }

  private grow(size: number, used: number): Uint8Array {
    const out = new Uint8Array(Math.max(size, this.out.length * 2));
    out.set(this.out.subarray(0, used));
    this.out = out;
    this.size = out.length;
    return out;
  }
}

/**
 * One text column of the chunks a writer writes, as the bytes each value takes in the output,
 * separator (and key) first: printable ASCII that needs no quoting (CSV) or escaping (JSON), as
 * ids and addresses are, copied byte for byte from the column between the field's prefix and
 * suffix; any other value in the form `encode` gives of its text, encoded into a table when a row
 * first asks for it. A column whose rows each hold a value of their own (decoded in place, or ids)
 * is checked as it is copied, in one pass, with room kept for the longest form a value can take.
 * Its arrays are reused from chunk to chunk.
 */
class EncodedTexts {
  private column: TextColumn | null = null;
  private table: Uint8Array = new Uint8Array(256);
  private used = 0;
  /** Per value of the chunk: PLAIN, UNSEEN, or where its encoded bytes start in the table. */
  private places = new Int32Array(0);
  /** Per value encoded into the table, where its bytes end. */
  private tableEnds = new Int32Array(0);
  private readonly plain: (bytes: Uint8Array, start: number, end: number) => boolean;
  private readonly suffix: number;
  /** Besides control and non-ASCII bytes, the two a plain value holds none of: comma and quote (CSV), quote and backslash (JSON). */
  private readonly stop: number;
  private readonly otherStop: number;
  /** Whether each row of the chunk holds a value of its own. */
  private once = false;

  constructor(private readonly prefix: Uint8Array, json: boolean, private readonly encode: (value: string) => Uint8Array) {
    this.plain = json ? plainJson : plainCsv;
    this.suffix = json ? QUOTE : -1;
    this.stop = json ? BACKSLASH : COMMA;
    this.otherStop = QUOTE;
  }

  /** Takes the chunk's values of the column. */
  chunk(column: TextColumn): void {
    const values = column.starts.length;
    this.column = column;
    this.once = values === column.codes.length;
    if (this.once) return;
    if (values > this.places.length) {
      this.places = new Int32Array(Math.max(values, 2 * this.places.length));
      this.tableEnds = new Int32Array(this.places.length);
    }
    this.places.fill(UNSEEN, 0, values);
    this.used = 0;
  }

  /**
   * The bytes row `i`'s value takes, or at most takes where each row holds a value of its own:
   * encoded, a byte of input takes at most six (a control byte escaped in JSON, `\u00XX`; a byte of
   * invalid UTF-8 read as U+FFFD, three, and its quote doubled in CSV) and the field two quotes.
   */
  length(i: number): number {
    const { codes, starts, ends } = this.column!;
    const code = codes[i];
    if (this.once) return this.prefix.length + 6 * (ends[code] - starts[code]) + 2;
    let start = this.places[code];
    if (start === UNSEEN) start = this.add(code);
    if (start === PLAIN) return this.prefix.length + ends[code] - starts[code] + (this.suffix === -1 ? 0 : 1);
    return this.tableEnds[code] - start;
  }

  /** Writes row `i`'s value (sized first by {@link length}) at `at`; returns where it ends. */
  write(out: Uint8Array, at: number, i: number): number {
    const { codes, bytes, starts, ends } = this.column!;
    const code = codes[i];
    if (this.once) return this.writeOnce(out, at, code);
    const start = this.places[code];
    if (start !== PLAIN) {
      const table = this.table;
      for (let c = start, end = this.tableEnds[code]; c < end; c++) out[at++] = table[c];
      return at;
    }
    at = putBytes(out, at, this.prefix);
    for (let c = starts[code], end = ends[code]; c < end; c++) out[at++] = bytes[c];
    if (this.suffix !== -1) out[at++] = this.suffix;
    return at;
  }

  /** Copies value `code` as it is, checking each byte; a value that is not plain is encoded over it. */
  private writeOnce(out: Uint8Array, at: number, code: number): number {
    const { bytes, starts, ends } = this.column!;
    const { stop, otherStop } = this;
    const from = at;
    at = putBytes(out, at, this.prefix);
    for (let c = starts[code], end = ends[code]; c < end; c++) {
      const b = bytes[c];
      if (b < 0x20 || b > 0x7e || b === stop || b === otherStop) {
        const encoded = this.encode(textValue(this.column!, code));
        out.set(encoded, from);
        return from + encoded.length;
      }
      out[at++] = b;
    }
    if (this.suffix !== -1) out[at++] = this.suffix;
    return at;
  }

  /** Sorts value `code` as plain or encodes it into the table; returns its start. */
  private add(code: number): number {
    const column = this.column!;
    if (this.plain(column.bytes, column.starts[code], column.ends[code])) return (this.places[code] = PLAIN);
    const bytes = this.encode(textValue(column, code));
    if (this.used + bytes.length > this.table.length) {
      const table = new Uint8Array(Math.max(this.table.length * 2, this.used + bytes.length));
      table.set(this.table.subarray(0, this.used));
      this.table = table;
    }
    const start = this.used;
    this.table.set(bytes, start);
    this.used += bytes.length;
    this.tableEnds[code] = this.used;
    return (this.places[code] = start);
  }
}

/** A value of an {@link EncodedTexts} not yet asked for. */
const UNSEEN = -1;
/** A value written as its bytes are. */
const PLAIN = -2;

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
    if (code < 0x20 || code > 0x7e || code === QUOTE || code === BACKSLASH) return false;
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
