import { table } from 'arquero';
import { categoryKey, type Featurizer } from '../../pipeline';
import type { ColumnKind } from '../../pipeline/columns';
import { InputError } from '../../pipeline/errors';
import { RecordDecoder, type DecodeRequest } from '../../pipeline/record-decoder';
import { rowTexts } from '../../pipeline/text-column';
import { bodyBlock, readLayout, type TextLayout } from '../../pipeline/text-layout';
import { LF } from '../../pipeline/text-rows';
import { parseNumber } from '../../pipeline/values';
import type { Wire } from './wire';

/** The records of a batch of messages as rows of the model's feature matrix. */
export interface Decoded {
  /** Row-major [rows × width]: the records of every decoded message, message after message. */
  readonly matrix: Float32Array;
  readonly rows: number;
  /** Per message: the row of its first record and its number of records (0 when it failed). */
  readonly first: Int32Array;
  readonly count: Int32Array;
  /** Per message: why it could not be decoded, or null. */
  readonly errors: (string | null)[];
  /** Per row: the record's label, when the records carry the model's label column; else null. */
  readonly labels: (string | null)[] | null;
  /** The kept columns (see messageDecoder), each with its text in every row (null where a JSON record lacks it). */
  readonly kept: readonly KeptColumn[];
}

export interface KeptColumn {
  readonly name: string;
  readonly values: (string | null)[];
}

/** Turns the payloads of a batch of messages into feature rows. */
export type MessageDecoder = (payloads: readonly Uint8Array[]) => Decoded;

/** The columns the fitted features read: numeric, then categorical. */
export function featureColumns(featurizer: Featurizer): { numeric: string[]; categorical: string[] } {
  const { numeric, categorical } = featurizer.features;
  return { numeric: numeric.map((f) => f.column), categorical: categorical.map((f) => f.column) };
}

/** The feature columns missing from a list of field names. */
export function missingColumns(featurizer: Featurizer, names: readonly string[]): string[] {
  const has = new Set(names);
  return featurizer.features.columns.filter((name) => !has.has(name));
}

/**
 * A decoder for messages on the given wire, with the same fitted encoding as `netae score`:
 * delimited lines through the byte decoder `netae score` reads files with, JSON lines through the
 * fitted transform. Each message is decoded whole or not at all: a message with a bad record
 * gets an error naming its line (and field) and contributes no rows, and the others are
 * unaffected. `kept` names the columns whose text each result carries (for delimited lines,
 * columns of `wire.names`).
 */
export function messageDecoder(detector: { readonly featurizer: Featurizer }, wire: Wire, kept: readonly string[] = []): MessageDecoder {
  const { featurizer } = detector;
  if (wire.format === 'json') {
    const columns = featureColumns(featurizer);
    return (payloads) => decodeJson(featurizer, columns, kept, payloads);
  }
  if (wire.names === null) throw new Error(`${wire.format} lines need column names`);
  return lineDecoder(featurizer, wire.format, wire.names, kept);
}

/** A part of a batch: rows decoded together, and the message each belongs to (a message's rows consecutive). */
interface Part {
  readonly matrix: Float32Array;
  readonly messageOf: Int32Array;
  readonly labels: (string | null)[] | null;
  /** Per kept column, its values in this part's rows. */
  readonly kept: (string | null)[][];
}

/** Gathers the rows of each message, from the parts that hold them, into one matrix. */
class Assembly {
  private readonly count: Int32Array;
  private readonly errors: (string | null)[];
  /** Per message: the part holding its rows, and its first row there. */
  private readonly partOf: Int32Array;
  private readonly rowOf: Int32Array;
  private readonly parts: Part[] = [];

  constructor(private readonly featurizer: Featurizer, private readonly kept: readonly string[], messages: number) {
    this.count = new Int32Array(messages);
    this.errors = new Array<string | null>(messages).fill(null);
    this.partOf = new Int32Array(messages).fill(-1);
    this.rowOf = new Int32Array(messages);
  }

  fail(message: number, reason: string): void {
    this.errors[message] = reason;
  }

  add(part: Part): void {
    const index = this.parts.length;
    this.parts.push(part);
    for (let r = part.messageOf.length - 1; r >= 0; r--) {
      const m = part.messageOf[r];
      this.partOf[m] = index;
      this.rowOf[m] = r;
      this.count[m]++;
    }
  }

  finish(): Decoded {
    const width = this.featurizer.width;
    const messages = this.count.length;
    const first = new Int32Array(messages);
    let rows = 0;
    for (let m = 0; m < messages; m++) {
      if (this.errors[m] === null && this.count[m] === 0) this.errors[m] = 'no records';
      if (this.errors[m] !== null) this.count[m] = 0;
      first[m] = rows;
      rows += this.count[m];
    }
    const matrix = new Float32Array(rows * width);
    const labels = this.parts.some((p) => p.labels !== null) ? new Array<string | null>(rows).fill(null) : null;
    const kept = this.kept.map((name) => ({ name, values: new Array<string | null>(rows).fill(null) }));
    for (let m = 0; m < messages; m++) {
      const n = this.count[m];
      if (n === 0) continue;
      const part = this.parts[this.partOf[m]];
      const from = this.rowOf[m];
      matrix.set(part.matrix.subarray(from * width, (from + n) * width), first[m] * width);
      for (let i = 0; i < n; i++) {
        if (labels !== null && part.labels !== null) labels[first[m] + i] = part.labels[from + i];
        for (let k = 0; k < kept.length; k++) kept[k].values[first[m] + i] = part.kept[k][from + i];
      }
    }
    return { matrix, rows, first, count: this.count, errors: this.errors, labels, kept };
  }
}

// ---------------------------------------------------------------------------------------------
// JSON lines

/** A bad record in a message: its 1-based line within the message, and why. */
class RecordError extends Error {}

const utf8 = new TextDecoder('utf-8');

function textOf(payload: Uint8Array): string {
  const text = utf8.decode(payload);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * JSON objects, one per line, read as Zeek's JSON writer means them: a field that is absent or
 * null is unset (a missing number, the category `-`, as Zeek's `-` in its ASCII logs), nested
 * objects name their fields with dots (`id.orig_h`), an array is a set (`a,b`), true and false
 * are `T` and `F`. A number field may also be a string that reads as a number. A kept field is
 * its text the same way, or null when unset.
 */
function decodeJson(featurizer: Featurizer, columns: { numeric: string[]; categorical: string[] }, kept: readonly string[], payloads: readonly Uint8Array[]): Decoded {
  const { numeric, categorical } = columns;
  const label = featurizer.schema.label;
  const numbers = numeric.map(() => [] as number[]);
  const texts = categorical.map(() => [] as string[]);
  const keptValues = kept.map(() => [] as (string | null)[]);
  const labels: (string | null)[] = [];
  let sawLabel = false;
  const messageOf: number[] = [];
  const assembly = new Assembly(featurizer, kept, payloads.length);
  for (let m = 0; m < payloads.length; m++) {
    const before = messageOf.length;
    try {
      const lines = textOf(payloads[m]).split('\n');
      for (let l = 0; l < lines.length; l++) {
        const line = lines[l].trim();
        if (line === '') continue;
        const record = readObject(line, l + 1);
        let present = 0;
        for (let j = 0; j < numeric.length; j++) {
          const value = record[numeric[j]];
          if (value !== undefined && value !== null) present++;
          numbers[j].push(jsonNumber(value, l + 1, numeric[j]));
        }
        for (let j = 0; j < categorical.length; j++) {
          const value = record[categorical[j]];
          if (value !== undefined && value !== null) present++;
          texts[j].push(jsonCategory(value, l + 1, categorical[j]));
        }
        if (present === 0) throw new RecordError(`line ${l + 1}: none of the model's fields (${[...numeric, ...categorical].slice(0, 4).join(', ')}, …)`);
        for (let k = 0; k < kept.length; k++) {
          const value = record[kept[k]];
          keptValues[k].push(value === undefined || value === null ? null : jsonCategory(value, l + 1, kept[k]));
        }
        const value = label === null ? undefined : record[label];
        if (value !== undefined && value !== null) sawLabel = true;
        labels.push(value === undefined || value === null ? null : String(value));
        messageOf.push(m);
      }
    } catch (error) {
      // A value nested too deep for the stack (an array in an array… thousands deep) fails its message, not the worker.
      const reason = error instanceof RecordError ? error.message : error instanceof RangeError ? `a value nested too deep to read (${error.message})` : null;
      if (reason === null) throw error;
      for (const column of [...numbers, ...texts, ...keptValues]) column.length = before;
      labels.length = before;
      messageOf.length = before;
      assembly.fail(m, reason);
    }
  }
  if (messageOf.length > 0) {
    const data: Record<string, Float64Array | string[]> = {};
    numeric.forEach((name, j) => (data[name] = Float64Array.from(numbers[j])));
    categorical.forEach((name, j) => (data[name] = texts[j]));
    const { matrix } = featurizer.transform(table(data));
    assembly.add({ matrix, messageOf: Int32Array.from(messageOf), labels: sawLabel ? labels : null, kept: keptValues });
  }
  return assembly.finish();
}

function readObject(line: string, at: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new RecordError(`line ${at}: not JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RecordError(`line ${at}: not a JSON object`);
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const inner = record[key];
    if (typeof inner === 'object' && inner !== null && !Array.isArray(inner)) return flatten(record, '', {}, at, 1);
  }
  return record;
}

/** Objects nested in a record at most (Zeek nests two: `id.orig_h`). */
const MAX_NESTING = 16;

function flatten(object: Record<string, unknown>, prefix: string, into: Record<string, unknown>, at: number, depth: number): Record<string, unknown> {
  if (depth > MAX_NESTING) throw new RecordError(`line ${at}: objects nested more than ${MAX_NESTING} deep`);
  for (const [key, value] of Object.entries(object)) {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) flatten(value as Record<string, unknown>, `${prefix}${key}.`, into, at, depth + 1);
    else into[`${prefix}${key}`] = value;
  }
  return into;
}

function jsonNumber(value: unknown, line: number, field: string): number {
  if (typeof value === 'number') return value;
  if (value === undefined || value === null) return NaN;
  if (typeof value === 'string') {
    const number = parseNumber(value);
    if (number !== undefined) return number;
  }
  throw new RecordError(`line ${line}, field "${field}": expected a number, found ${JSON.stringify(value)}`);
}

function jsonCategory(value: unknown, line: number, field: string): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '-';
  if (typeof value === 'boolean') return value ? 'T' : 'F';
  if (typeof value === 'number') return categoryKey(value);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : categoryKey(v))).join(',');
  throw new RecordError(`line ${line}, field "${field}": expected text, a number or a set, found an object`);
}

// ---------------------------------------------------------------------------------------------
// Delimited lines

const BOM = [0xef, 0xbb, 0xbf];
const encoder = new TextEncoder();

/**
 * Delimited lines through the byte decoder. Each message is decoded on its own (a quote left
 * open in one cannot run on into the next), into one decoder for the whole batch: the decoder
 * is marked before a message and rolled back when it fails. A Zeek message that starts with its
 * own `#` header is read by that header, with a decoder of its own.
 */
function lineDecoder(featurizer: Featurizer, format: 'zeek' | 'csv' | 'tsv', names: readonly string[], kept: readonly string[]): MessageDecoder {
  const kinds = featurizer.readOptions().types ?? {};
  const types: Record<string, ColumnKind> = {};
  for (const name of names) types[name] = kinds[name] ?? 'string';
  const head = format === 'zeek' ? encoder.encode(`#separator \\x09\n#fields\t${names.join('\t')}\n`) : new Uint8Array(0);
  const layout = readLayout(head, true, { file: 'message', format, header: false, names: [...names], namesFrom: 'the field names', types })!;
  const reader = new Reader(featurizer, layout, kept);
  return (payloads) => {
    const assembly = new Assembly(featurizer, kept, payloads.length);
    const messageOf: number[] = [];
    for (let m = 0; m < payloads.length; m++) {
      const bytes = withoutBom(payloads[m]);
      if (format === 'zeek' && bytes[0] === 0x23) {
        ownHeader(featurizer, bytes, kept, types, m, assembly);
        continue;
      }
      const n = reader.decode(bytes, 1);
      if (typeof n === 'string') assembly.fail(m, n);
      else for (let i = 0; i < n; i++) messageOf.push(m);
    }
    assembly.add(reader.take(Int32Array.from(messageOf)));
    return assembly.finish();
  };
}

/** A byte decoder for messages of one layout, with the label and kept columns as text. */
class Reader {
  private readonly decoder: RecordDecoder;
  private readonly texts: string[];

  constructor(private readonly featurizer: Featurizer, layout: TextLayout, private readonly kept: readonly string[]) {
    const label = featurizer.schema.label;
    const present = new Set(layout.names);
    this.texts = [...new Set([...(label !== null && present.has(label) ? [label] : []), ...kept.filter((c) => present.has(c))])];
    const request: DecodeRequest = { features: featurizer.features.toJSON(), numbers: [], texts: this.texts };
    this.decoder = new RecordDecoder(layout, request);
  }

  /** Decodes one message's records from the line given; the number of records, or why the message failed (its records dropped). */
  decode(bytes: Uint8Array, line: number): number | string {
    const body = bytes.length > 0 ? withFinalLF(bytes) : bytes;
    const before = this.decoder.size;
    this.decoder.mark();
    try {
      this.decoder.decode(body, 0, body.length, line);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      this.decoder.rollback();
      return reasonOf(error);
    }
    return this.decoder.size - before;
  }

  /** The records decoded since the last take, as a part of the batch. */
  take(messageOf: Int32Array): Part {
    const rows = this.decoder.take();
    const texts = (name: string): (string | null)[] | null => {
      const k = this.texts.indexOf(name);
      return k === -1 ? null : rowTexts(rows.texts[k]);
    };
    const label = this.featurizer.schema.label;
    const labels = label === null ? null : texts(label);
    return {
      matrix: rows.matrix,
      messageOf,
      labels,
      kept: this.kept.map((name) => texts(name) ?? new Array<string | null>(rows.rows).fill(null)),
    };
  }
}

/** A Zeek message that starts with its own `#` header: read by that header, added to the batch as a part of its own. */
function ownHeader(
  featurizer: Featurizer, bytes: Uint8Array, kept: readonly string[], types: Record<string, ColumnKind>, message: number, assembly: Assembly,
): void {
  const whole = withFinalLF(bytes);
  let layout: TextLayout;
  try {
    layout = readLayout(whole, true, { file: 'message', format: 'zeek', types })!;
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    assembly.fail(message, reasonOf(error));
    return;
  }
  const missing = missingColumns(featurizer, layout.names);
  if (missing.length > 0) {
    assembly.fail(message, `its #fields lack the model's column(s) ${missing.map((c) => `"${c}"`).join(', ')}`);
    return;
  }
  const reader = new Reader(featurizer, layout, kept);
  const body = whole.subarray(layout.bodyStart);
  const n = reader.decode(layout.spaced === undefined ? body : bodyBlock(layout, body.slice()), layout.bodyLine);
  if (typeof n === 'string') assembly.fail(message, n);
  else assembly.add(reader.take(new Int32Array(n).fill(message)));
}

function withoutBom(bytes: Uint8Array): Uint8Array {
  return bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2] ? bytes.subarray(3) : bytes;
}

function withFinalLF(bytes: Uint8Array): Uint8Array {
  if (bytes.length > 0 && bytes[bytes.length - 1] === LF) return bytes;
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  out[bytes.length] = LF;
  return out;
}

/** An input error's reason, with its line within the message and its field. */
function reasonOf(error: InputError): string {
  const where: string[] = [];
  if (error.line !== undefined) where.push(`line ${error.line}`);
  if (error.column !== undefined) where.push(`field "${error.column}"`);
  return where.length > 0 ? `${where.join(', ')}: ${error.reason}` : error.reason;
}
