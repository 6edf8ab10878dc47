import { table, type ColumnTable } from 'arquero';
import { categoryKey, type FittedPipeline } from '../../pipeline';
import type { ColumnKind } from '../../pipeline/columns';
import { InputError } from '../../pipeline/errors';
import { parseText, type ReadOptions } from '../../pipeline/io';
import type { Format } from '../../pipeline/text-table';
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
}

/** Turns the payloads of a batch of messages into feature rows. */
export type MessageDecoder = (payloads: readonly Uint8Array[]) => Decoded;

/** The columns the fitted features read: numeric, then categorical. */
export function featureColumns(pipeline: FittedPipeline): { numeric: string[]; categorical: string[] } {
  const json = pipeline.features.toJSON();
  return { numeric: json.numeric.map((e) => e.column), categorical: json.categorical.map((e) => e.column) };
}

/** The feature columns missing from a list of field names. */
export function missingColumns(pipeline: FittedPipeline, names: readonly string[]): string[] {
  const has = new Set(names);
  const { numeric, categorical } = featureColumns(pipeline);
  return [...numeric, ...categorical].filter((name) => !has.has(name));
}

/**
 * A decoder for messages on the given wire, through the same readers and fitted transform as
 * `netae score`. Each message is decoded whole or not at all: a message with a bad record gets
 * an error naming its line (and field) and contributes no rows, and the others are unaffected.
 */
export function messageDecoder(detector: { readonly pipeline: FittedPipeline }, wire: Wire): MessageDecoder {
  const { pipeline } = detector;
  if (wire.format === 'json') {
    const columns = featureColumns(pipeline);
    return (payloads) => decodeJson(pipeline, columns, payloads);
  }
  if (wire.names === null) throw new Error(`${wire.format} lines need column names`);
  const names = wire.names;
  const kinds = pipeline.readOptions().types ?? {};
  const types: Record<string, ColumnKind> = {};
  for (const name of names) types[name] = kinds[name] ?? 'string';
  return (payloads) => decodeLines(pipeline, payloads, wire.format as Format, names, types);
}

/** Gathers the rows of each message, from the tables that hold them, into one matrix. */
class Assembly {
  private readonly count: Int32Array;
  private readonly errors: (string | null)[];
  /** Per message: the part (parsed table) holding its rows, and its first row there. */
  private readonly partOf: Int32Array;
  private readonly rowOf: Int32Array;
  private readonly parts: { matrix: Float32Array; labels: (string | null)[] | null }[] = [];

  constructor(private readonly pipeline: FittedPipeline, messages: number) {
    this.count = new Int32Array(messages);
    this.errors = new Array<string | null>(messages).fill(null);
    this.partOf = new Int32Array(messages).fill(-1);
    this.rowOf = new Int32Array(messages);
  }

  fail(message: number, reason: string): void {
    this.errors[message] = reason;
  }

  /**
   * Transforms a table of records; `messageOf` gives each row's message, rows of a message
   * being consecutive. Labels come from the table's label column unless given.
   */
  add(rows: ColumnTable, messageOf: Int32Array, labels?: (string | null)[]): void {
    const label = this.pipeline.schema.label;
    const features = this.pipeline.transform(rows);
    const part = this.parts.length;
    this.parts.push({
      matrix: features.matrix,
      labels: labels ?? (label !== null && rows.columnNames().includes(label) ? Array.from(rows.array(label) as ArrayLike<unknown>, labelText) : null),
    });
    for (let r = messageOf.length - 1; r >= 0; r--) {
      const m = messageOf[r];
      this.partOf[m] = part;
      this.rowOf[m] = r;
      this.count[m]++;
    }
  }

  finish(): Decoded {
    const width = this.pipeline.width;
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
    for (let m = 0; m < messages; m++) {
      const n = this.count[m];
      if (n === 0) continue;
      const part = this.parts[this.partOf[m]];
      const from = this.rowOf[m];
      matrix.set(part.matrix.subarray(from * width, (from + n) * width), first[m] * width);
      if (labels !== null && part.labels !== null) for (let i = 0; i < n; i++) labels[first[m] + i] = part.labels[from + i];
    }
    return { matrix, rows, first, count: this.count, errors: this.errors, labels };
  }
}

function labelText(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

const utf8 = new TextDecoder('utf-8');

function textOf(payload: Uint8Array): string {
  const text = utf8.decode(payload);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

// ---------------------------------------------------------------------------------------------
// JSON lines

/** A bad record in a message: its 1-based line within the message, and why. */
class RecordError extends Error {}

/**
 * JSON objects, one per line, read as Zeek's JSON writer means them: a field that is absent or
 * null is unset (a missing number, the category `-`, as Zeek's `-` in its ASCII logs), nested
 * objects name their fields with dots (`id.orig_h`), an array is a set (`a,b`), true and false
 * are `T` and `F`. A number field may also be a string that reads as a number.
 */
function decodeJson(pipeline: FittedPipeline, columns: { numeric: string[]; categorical: string[] }, payloads: readonly Uint8Array[]): Decoded {
  const { numeric, categorical } = columns;
  const label = pipeline.schema.label;
  const numbers = numeric.map(() => [] as number[]);
  const texts = categorical.map(() => [] as string[]);
  const labels: (string | null)[] = [];
  let sawLabel = false;
  const messageOf: number[] = [];
  const assembly = new Assembly(pipeline, payloads.length);
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
        const value = label === null ? undefined : record[label];
        if (value !== undefined && value !== null) sawLabel = true;
        labels.push(value === undefined || value === null ? null : String(value));
        messageOf.push(m);
      }
    } catch (error) {
      if (!(error instanceof RecordError)) throw error;
      for (const column of [...numbers, ...texts]) column.length = before;
      labels.length = before;
      messageOf.length = before;
      assembly.fail(m, error.message);
    }
  }
  if (messageOf.length > 0) {
    const data: Record<string, Float64Array | string[]> = {};
    numeric.forEach((name, j) => (data[name] = Float64Array.from(numbers[j])));
    categorical.forEach((name, j) => (data[name] = texts[j]));
    assembly.add(table(data), Int32Array.from(messageOf), sawLabel ? labels : undefined);
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
    if (typeof inner === 'object' && inner !== null && !Array.isArray(inner)) return flatten(record, '', {});
  }
  return record;
}

function flatten(object: Record<string, unknown>, prefix: string, into: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(object)) {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) flatten(value as Record<string, unknown>, `${prefix}${key}.`, into);
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

interface Member {
  message: number;
  lines: number;
  /** 1-based lines of the parsed text where the message starts and ends. */
  start: number;
  end: number;
}

/**
 * Delimited lines. Messages are joined and parsed as one text where that cannot change their
 * meaning: Zeek lines always (they have no quoting), CSV and TSV lines when the message holds no
 * quote (a quoted field could run on into the next message). A Zeek message that starts with its
 * own `#` header, and a CSV or TSV message with quotes, is parsed alone. A bad record fails its
 * message only: the message is set aside and the rest parsed again.
 */
function decodeLines(
  pipeline: FittedPipeline, payloads: readonly Uint8Array[], format: Format, names: readonly string[], types: Record<string, ColumnKind>,
): Decoded {
  const assembly = new Assembly(pipeline, payloads.length);
  const texts = payloads.map(textOf);
  const member = (message: number): Member => ({ message, lines: lineCount(texts[message]), start: 0, end: 0 });
  const withNames: ReadOptions = format === 'zeek' ? { format, types } : { format, header: false, names: [...names], types };
  const joined: Member[] = [];
  for (let m = 0; m < texts.length; m++) {
    const ownHeader = format === 'zeek' && texts[m].startsWith('#');
    const alone = ownHeader || (format !== 'zeek' && texts[m].includes('"'));
    if (!alone) joined.push(member(m));
    else parseMembers(assembly, texts, [member(m)], ownHeader ? { format, types } : withNames, '');
  }
  if (joined.length > 0) parseMembers(assembly, texts, joined, withNames, format === 'zeek' ? zeekHeader(names) : '');
  return assembly.finish();
}

/** The two header lines that let Zeek lines be read with the given field names. */
function zeekHeader(names: readonly string[]): string {
  return `#separator \\x09\n#fields\t${names.join('\t')}\n`;
}

function lineCount(text: string): number {
  let n = text.endsWith('\n') ? 0 : 1;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) n++;
  return n;
}

/** Parses and transforms messages joined, setting aside each message a record error points into, until the rest go through. */
function parseMembers(assembly: Assembly, texts: readonly string[], members: Member[], options: ReadOptions, header: string): void {
  const headerLines = header === '' ? 0 : lineCount(header);
  let live = members;
  while (live.length > 0) {
    let line = headerLines + 1;
    for (const member of live) {
      member.start = line;
      member.end = line + member.lines - 1;
      line += member.lines;
    }
    const text = header + live.map((m) => (texts[m.message].endsWith('\n') ? texts[m.message] : `${texts[m.message]}\n`)).join('');
    try {
      const read = parseText(text, { ...options, fileName: 'message' });
      const messageOf = new Int32Array(read.lines.length);
      for (let r = 0, k = 0; r < read.lines.length; r++) {
        while (k < live.length - 1 && read.lines[r] > live[k].end) k++;
        messageOf[r] = live[k].message;
      }
      assembly.add(read.table, messageOf);
      return;
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      const at = error.line;
      const bad = at === undefined ? -1 : live.findIndex((m) => at >= m.start && at <= m.end);
      if (bad === -1) {
        const reason = /no data rows|is empty/.test(error.message) ? 'no records' : reasonOf(error, null);
        for (const m of live) assembly.fail(m.message, reason);
        return;
      }
      assembly.fail(live[bad].message, reasonOf(error, live[bad]));
      live = live.filter((_, i) => i !== bad);
    }
  }
}

/** An input error's message, its location given within the message. */
function reasonOf(error: InputError, member: Member | null): string {
  const prefix = [error.file, error.line === undefined ? undefined : `line ${error.line}`, error.column === undefined ? undefined : `column "${error.column}"`]
    .filter((p) => p !== undefined).join(', ');
  const text = prefix !== '' && error.message.startsWith(`${prefix}: `) ? error.message.slice(prefix.length + 2) : error.message;
  const where: string[] = [];
  if (member !== null && error.line !== undefined) where.push(`line ${error.line - member.start + 1}`);
  if (error.column !== undefined) where.push(`field "${error.column}"`);
  return where.length > 0 ? `${where.join(', ')}: ${text}` : text;
}
