import type { ColumnTable } from 'arquero';
import type { ColumnKind } from '../../pipeline/columns';
import { formatScore } from '../scores-csv';

/**
 * How records travel in messages, one record per line:
 * - `json`: a JSON object per line, as Zeek's JSON logs write them;
 * - `zeek`: tab-separated fields, as in a Zeek ASCII log, without quoting;
 * - `csv`, `tsv`: delimited fields with RFC 4180 quoting.
 */
export type WireFormat = 'json' | 'zeek' | 'csv' | 'tsv';

export const WIRE_FORMATS: readonly WireFormat[] = ['json', 'zeek', 'csv', 'tsv'];

/** What a worker expects on its input: the format, and the column names of delimited lines. */
export interface Wire {
  readonly format: WireFormat;
  /** Names of the fields of a delimited line, in order; null for JSON. */
  readonly names: readonly string[] | null;
}

/**
 * Read options' `types` that read every column as text, whatever its name: a record read this
 * way goes out as it came in.
 */
export const TEXT_COLUMNS: Record<string, ColumnKind> = new Proxy({}, { get: (_, name) => (typeof name === 'string' ? 'string' : undefined) });

/**
 * Each record of a table as one line of the wire format, without the line end. The table is
 * expected to hold text as read (so a record goes out as it came in); a number column is
 * written in its shortest exact form, a missing number as `-` (Zeek) or an empty field.
 * JSON writes a field that reads as a number in that form as a JSON number, any other as text.
 */
export function recordLines(rows: ColumnTable, format: WireFormat): string[] {
  const names = rows.columnNames();
  const columns = names.map((name) => rows.array(name) as ArrayLike<unknown>);
  const count = rows.numRows();
  const lines = new Array<string>(count);
  const fields = new Array<string>(names.length);
  if (format === 'json') {
    const keys = names.map((name) => `${JSON.stringify(name)}:`);
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < names.length; j++) fields[j] = keys[j] + jsonValue(columns[j][i]);
      lines[i] = `{${fields.join(',')}}`;
    }
    return lines;
  }
  const write = format === 'zeek' ? zeekField(names) : delimitedField(format === 'csv' ? ',' : '\t');
  const separator = format === 'csv' ? ',' : '\t';
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < names.length; j++) fields[j] = write(columns[j][i], i, j);
    lines[i] = fields.join(separator);
  }
  return lines;
}

function textOf(value: unknown, missing: string): string {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return missing;
    if (value === Infinity) return 'inf';
    if (value === -Infinity) return '-inf';
    return String(value);
  }
  return value === null || value === undefined ? missing : String(value);
}

function jsonValue(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : JSON.stringify(textOf(value, ''));
  const text = value === null || value === undefined ? '' : String(value);
  return isCanonicalNumber(text) ? text : JSON.stringify(text);
}

/** Text that is the shortest form of a finite number, so it reads back as the same text. */
function isCanonicalNumber(text: string): boolean {
  if (text === '' || text.length > 24) return false;
  const value = Number(text);
  return Number.isFinite(value) && String(value) === text;
}

function delimitedField(delimiter: string): (value: unknown) => string {
  return (value) => {
    const text = textOf(value, '');
    return text.includes(delimiter) || /["\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
}

function zeekField(names: readonly string[]): (value: unknown, row: number, column: number) => string {
  return (value, row, column) => {
    const text = textOf(value, '-');
    if (/[\t\n\r]/.test(text)) {
      throw new Error(`record ${row + 1}, column "${names[column]}": a tab or line break cannot be written as a Zeek field`);
    }
    return text;
  };
}

/** The fields of a result line besides the kept columns. */
export const RESULT_FIELDS: readonly string[] = ['seq', 'record', 'score', 'flag', 'label'];

/**
 * The result of one record as a JSON line: the input's stream sequence, the record's place in
 * its message (from 1), the score (nine significant digits, as `netae score` writes it; null
 * when not finite), the flag (1 when the score is at or above the threshold), the label when
 * the record has one, then the kept columns (`kept`: their `,"name":value` text, see {@link keptFields}).
 */
export function resultLine(seq: number, record: number, score: number, threshold: number, label: string | null, kept = ''): string {
  const flag = score >= threshold ? 1 : 0;
  const value = Number.isFinite(score) ? formatScore(score) : 'null';
  return `{"seq":${seq},"record":${record},"score":${value},"flag":${flag}${label === null ? '' : `,"label":${JSON.stringify(label)}`}${kept}}`;
}

/** A row's kept columns as JSON members, `,"uid":"C1x…","id.orig_p":"52814"`: text as read, null where unset. */
export function keptFields(columns: readonly { readonly name: string; readonly values: readonly (string | null)[] }[], row: number): string {
  let text = '';
  for (const { name, values } of columns) {
    const value = values[row];
    text += `,${JSON.stringify(name)}:${value === null ? 'null' : JSON.stringify(value)}`;
  }
  return text;
}

/** A result line read back (for consumers of the output subject and for tests); kept columns by name. */
export interface Result {
  seq: number;
  record: number;
  score: number | null;
  flag: 0 | 1;
  label?: string;
  [kept: string]: string | number | null | undefined;
}

export function parseResults(text: string): Result[] {
  return text.split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as Result);
}
