import { pickRows } from '../model/matrix';
import { pickTexts, textBuffers, textValue, type TextColumn } from '../pipeline/text-column';
import type { RecordBatch } from '../pipeline/records';
import type { Explainer } from './explain';
import { csvField, csvFieldBytes, putBytes, writeInteger, writeText } from './scores-csv';

/**
 * What a writing thread needs to explain the rows of a chunk it writes, as typed arrays: the rows'
 * features, the model's reconstruction of them and the values their explained columns hold as
 * read. Row n is the chunk's n-th row written.
 */
export interface ExplainedRows {
  /** Row-major [rows × width]: the rows' features. */
  readonly features: Float32Array;
  /** Row-major [rows × width]: the model's reconstruction of `features`. */
  readonly reconstruction: Float32Array;
  /** Row-major [rows × numeric columns]: the rows' values of the numeric columns, as read (NaN where missing). */
  readonly numbers: Float64Array;
  /** Per categorical column, the rows' values as read (null where the input has none: the category the features hold is written). */
  readonly categories: readonly (TextColumn | null)[];
}

/**
 * The chosen rows of a batch (every row when `rows` is null) gathered for explaining, with
 * `reconstruct` giving the model's reconstruction of their features; `numeric` and `categorical`
 * name the explained columns in feature order. Every array is the result's own, so that all can
 * be moved to another thread ({@link explainedBuffers}).
 */
export async function explainedRows(
  batch: RecordBatch, rows: Uint32Array | null, numeric: readonly string[], categorical: readonly string[],
  reconstruct: (features: Float32Array) => Promise<Float32Array>,
): Promise<ExplainedRows> {
  const count = rows === null ? batch.rows : rows.length;
  const at = (n: number) => (rows === null ? n : rows[n]);
  const features = rows === null ? batch.matrix.slice(0, count * batch.width) : pickRows(batch.matrix, batch.width, rows);
  const reconstruction = count === 0 ? new Float32Array(0) : await reconstruct(features);
  const numbers = new Float64Array(count * numeric.length).fill(Number.NaN);
  numeric.forEach((name, k) => {
    const values = batch.numbers[name];
    if (values !== undefined) for (let n = 0; n < count; n++) numbers[n * numeric.length + k] = values[at(n)];
  });
  const categories = categorical.map((name): TextColumn | null => {
    const text = batch.texts[name];
    return text === undefined ? null : pickTexts(text, count, at);
  });
  return { features, reconstruction, numbers, categories };
}

/** The buffers an {@link ExplainedRows} holds, to move with it. */
export function explainedBuffers(rows: ExplainedRows): ArrayBuffer[] {
  const arrays = [rows.features, rows.reconstruction, rows.numbers].map((a) => a.buffer as ArrayBuffer);
  return [...arrays, ...rows.categories.flatMap((c) => (c === null ? [] : textBuffers(c)))];
}

const utf8 = new TextEncoder();
const COMMA = 0x2c;
const OPEN = utf8.encode(',"explanation":[');
const CLOSE = utf8.encode(']');
const VALUE_KEY = utf8.encode(',"value":');
const EXPECTED_KEY = utf8.encode(',"expected":');
const NULL = utf8.encode('null');
const EMPTY_CSV = utf8.encode(',,,,');
/** Bytes a number or share takes at most, as JavaScript writes it (`-1.2345678901234567e-308`). */
const NUMBER_BYTES = 32;

/**
 * Writes the explanations of rows, one row at a time, as the bytes that follow a record's text
 * columns: per explained feature `,feature,share,value,expected` (CSV, empty fields past the
 * columns there are), or `,"explanation":[{"feature","share","value","expected"}, …]` (JSON lines).
 * A value or expectation is the column's text as read (a CSV field, or a JSON string), or a number:
 * a value as read, an expectation to six significant digits, nothing (CSV) or null (JSON) when not
 * finite. Shares are written to four decimals. Feature names and categories are encoded once; a
 * value read as text once per chunk, when a row first holds it.
 */
export class ExplanationWriter {
  /** The last row's bytes, from 0 to the length {@link row} returns. */
  bytes: Uint8Array = new Uint8Array(1024);
  private readonly json: boolean;
  /** Per feature: `,feature,` (CSV) or `{"feature":…,"share":` (JSON). */
  private readonly featureBytes: Uint8Array[];
  /** Per categorical feature, its category as a CSV field or JSON string. */
  private readonly categoryBytes: Uint8Array[];
  private rows: ExplainedRows | null = null;
  /** Per categorical column, each of the chunk's values as a CSV field or JSON string, once a row holds it. */
  private values: (Uint8Array | undefined)[][] = [];

  constructor(private readonly explainer: Explainer, private readonly k: number, json: boolean) {
    this.json = json;
    const text = json ? (s: string) => JSON.stringify(s) : csvField;
    this.featureBytes = explainer.names.map((name) => utf8.encode(json ? `{"feature":${text(name)},"share":` : `,${text(name)},`));
    this.categoryBytes = explainer.names.map((_, f) => utf8.encode(text(explainer.category(f))));
  }

  /** Takes the rows of the next chunk. */
  chunk(rows: ExplainedRows): void {
    this.rows = rows;
    this.values = rows.categories.map((c) => (c === null ? [] : new Array<Uint8Array | undefined>(c.starts.length)));
  }

  /** Writes the explanation of the chunk's row `n` into {@link bytes}; returns its length. */
  row(n: number): number {
    const { explainer, json } = this;
    const rows = this.rows!;
    const count = explainer.rank(rows.features, rows.reconstruction, this.k, n * explainer.width);
    const { columns, features, shares, expected } = explainer.ranked;
    let at = json ? this.put(0, OPEN) : 0;
    for (let r = 0; r < count; r++) {
      const s = columns[r];
      const numeric = s < explainer.numericColumns;
      const value = numeric ? null : this.category(s - explainer.numericColumns, n, features[r]);
      const expectation = numeric ? null : this.categoryBytes[expected[r]];
      const feature = this.featureBytes[features[r]];
      const out = this.room(at, feature.length + 2 * NUMBER_BYTES + (value?.length ?? NUMBER_BYTES) + (expectation?.length ?? NUMBER_BYTES));
      if (json && r > 0) out[at++] = COMMA;
      at = putBytes(out, at, feature);
      at = writeShare(out, at, shares[r]);
      if (json) at = putBytes(out, at, VALUE_KEY);
      else out[at++] = COMMA;
      at = value === null ? this.number(out, at, rows.numbers[n * explainer.numericColumns + s], false) : putBytes(out, at, value);
      if (json) at = putBytes(out, at, EXPECTED_KEY);
      else out[at++] = COMMA;
      at = expectation === null ? this.number(out, at, expected[r], true) : putBytes(out, at, expectation);
      if (json) out[at++] = 0x7d;
    }
    if (json) return this.put(at, CLOSE);
    for (let r = count; r < this.k; r++) at = this.put(at, EMPTY_CSV);
    return at;
  }

  /** Column c's value in row n as read, encoded; the category `feature` stands for when the input has none. */
  private category(c: number, n: number, feature: number): Uint8Array {
    const column = this.rows!.categories[c];
    if (column === null) return this.categoryBytes[feature];
    const code = column.codes[n];
    let bytes = this.values[c][code];
    if (bytes === undefined) {
      const value = textValue(column, code);
      bytes = this.values[c][code] = this.json ? utf8.encode(JSON.stringify(value)) : csvFieldBytes(value, false);
    }
    return bytes;
  }

  /** A number (to six significant digits when `rounded`), or nothing or null when it is not finite. */
  private number(out: Uint8Array, at: number, value: number, rounded: boolean): number {
    if (!Number.isFinite(value)) return this.json ? putBytes(out, at, NULL) : at;
    if (!rounded && Number.isInteger(value) && value >= 0 && value <= 0x7fffffff) return writeInteger(out, at, value);
    return writeText(out, at, String(rounded ? Number(value.toPrecision(6)) : value));
  }

  /** {@link bytes}, grown to hold at least `more` bytes past `used`. */
  private room(used: number, more: number): Uint8Array {
    if (used + more > this.bytes.length) {
      const bytes = new Uint8Array(Math.max(2 * this.bytes.length, used + more));
      bytes.set(this.bytes.subarray(0, used));
      this.bytes = bytes;
    }
    return this.bytes;
  }

  private put(at: number, bytes: Uint8Array): number {
    return putBytes(this.room(at, bytes.length), at, bytes);
  }
}

/** The texts of k / 10⁴ for k in [0, 10⁴], as JavaScript writes those numbers, end to end: k's ends at `SHARE_ENDS[k]`. */
const SHARE_TEXTS = Array.from({ length: 1e4 + 1 }, (_, k) => String(k / 1e4));
const SHARES = utf8.encode(SHARE_TEXTS.join(''));
const SHARE_ENDS = new Int32Array(SHARE_TEXTS.length);
SHARE_TEXTS.reduce((end, text, k) => (SHARE_ENDS[k] = end + text.length), 0);

/** A share of error to four decimals, as `String(Number(share.toFixed(4)))` writes it. */
function writeShare(out: Uint8Array, at: number, share: number): number {
  const scaled = share * 1e4;
  const k = Math.floor(scaled + 0.5);
  if (!(k >= 0 && k <= 1e4) || Math.abs(scaled - Math.floor(scaled) - 0.5) < 1e-6) return writeText(out, at, String(Number(share.toFixed(4))));
  for (let c = k === 0 ? 0 : SHARE_ENDS[k - 1], end = SHARE_ENDS[k]; c < end; c++) out[at++] = SHARES[c];
  return at;
}
