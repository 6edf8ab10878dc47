import type { ColumnTable } from 'arquero';
import type { ColumnKind } from './columns';
import { columnValues } from './columns';
import { InputError } from './errors';
import { CR, LF } from './text-rows';

/** What the `#` lines at the top of a Zeek log say. */
interface ZeekHeader {
  separator: string;
  names: string[];
  /** Column kinds from `#types`, or null when the log has no `#types` line. */
  kinds: ColumnKind[] | null;
  /**
   * The fields of a row (split at the separator) that hold several columns apart by runs of
   * spaces, as the `#fields` line joins their names: IoT-23's `conn.log.labeled` writes
   * `tunnel_parents   label   detailed-label` so. Null for a log that does not.
   */
  spaced: SpacedFields | null;
}

const NUMERIC_TYPES = new Set(['count', 'int', 'double', 'interval', 'time', 'port']);

/** True when the text is a Zeek ASCII log (it starts with `#separator`). */
export function isZeekLog(text: string): boolean {
  return text.startsWith('#separator');
}

/** Reads the `#separator`, `#fields` and `#types` directives of a Zeek log header. */
export function parseZeekHeader(lines: string[], file: string): ZeekHeader {
  let separator = '\t';
  let names: string[] | null = null;
  let types: string[] | null = null;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    if (line.startsWith('#separator')) {
      separator = unescapeZeek(line.slice('#separator'.length).trim());
      continue;
    }
    const [key, ...values] = line.slice(1).split(separator);
    if (key === 'fields') names = values;
    else if (key === 'types') types = values;
  }
  if (names === null) throw new InputError({ file }, 'Zeek log has no #fields line in its header');
  const fields = zeekFields(names);
  if (types !== null) types = zeekFields(types).names;
  if (types !== null && types.length !== fields.names.length) {
    throw new InputError({ file }, `the #types line lists ${types.length} types for ${fields.names.length} #fields`);
  }
  const kinds = types === null ? null : types.map((t): ColumnKind => (NUMERIC_TYPES.has(t) ? 'number' : 'string'));
  return { separator, names: fields.names, kinds, spaced: fields.spaced };
}

/**
 * The names a `#fields` line's fields give (or the types a `#types` line's do), and which fields
 * hold several: Zeek's names hold no space, so a run of spaces parts two.
 */
export function zeekFields(fields: readonly string[]): { names: string[]; spaced: SpacedFields | null } {
  const parts = fields.map((field) => {
    const names = field.trim().split(/ +/);
    return names.length > 1 ? names : [field];
  });
  const at = parts.flatMap((names, j) => (names.length > 1 ? [j] : []));
  return { names: parts.flat(), spaced: at.length > 0 ? { at, rowFields: fields.length } : null };
}

const SPACE = 32;
const HASH = 35;

/** The fields of a Zeek log's rows that hold several columns apart by spaces (see {@link ZeekHeader.spaced}). */
export interface SpacedFields {
  /** Their places among a row's fields as written. */
  readonly at: readonly number[];
  /** The fields of a row as written, before they are split. */
  readonly rowFields: number;
}

/**
 * A block of a Zeek log's rows with each run of spaces in the spaced fields made the separator,
 * so that every column is a field of its own; spaces at a field's start or end are dropped.
 * Only rows of `spaced.rowFields` fields are split, so a block split already is left as it is,
 * as are rows of another count (the decoder names those) and `#` lines. Rewritten in place (it
 * only shrinks): returns the block's new extent. The fields before the first spaced one are
 * found by `indexOf` and moved by `copyWithin`, not a byte at a time.
 */
export function splitSpacedFields(block: Uint8Array, separator: number, spaced: SpacedFields): Uint8Array {
  const first = Math.min(...spaced.at);
  const isSpaced = new Uint8Array(spaced.rowFields);
  for (const j of spaced.at) isSpaced[j] = 1;
  const starts = new Int32Array(spaced.rowFields);
  const n = block.length;
  let w = 0;
  let r = 0;
  while (r < n) {
    const lf = block.indexOf(LF, r);
    const end = lf === -1 ? n : lf + 1;
    const split = block[r] !== HASH && fieldStarts(block, r, end, separator, starts) === spaced.rowFields;
    const kept = split ? starts[first] : end;
    if (w !== r) block.copyWithin(w, r, kept);
    w += kept - r;
    let field = first;
    let fieldStart = true;
    for (let p = kept; p < end;) {
      const c = block[p++];
      if (c === SPACE && isSpaced[field] === 1) {
        while (p < end && block[p] === SPACE) p++;
        const next = p < end ? block[p] : LF;
        if (!fieldStart && next !== separator && next !== LF && next !== CR) {
          block[w++] = separator;
          fieldStart = true;
        }
        continue;
      }
      block[w++] = c;
      if (c === separator) {
        field++;
        fieldStart = true;
      } else fieldStart = false;
    }
    r = end;
  }
  return block.subarray(0, w);
}

/**
 * The fields of the row `block[start, end)`, where each starts written into `starts`, as many as
 * it holds; a row of more fields counts `starts.length + 1`.
 */
function fieldStarts(block: Uint8Array, start: number, end: number, separator: number, starts: Int32Array): number {
  let at = start;
  for (let fields = 0; fields < starts.length; fields++) {
    starts[fields] = at;
    const next = block.indexOf(separator, at);
    if (next === -1 || next >= end) return fields + 1;
    at = next + 1;
  }
  return starts.length + 1;
}

function unescapeZeek(text: string): string {
  return text.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Zeek types of the conn.log fields, for writing a header. */
const CONN_TYPES: Record<string, string> = {
  ts: 'time',
  uid: 'string',
  'id.orig_h': 'addr',
  'id.orig_p': 'port',
  'id.resp_h': 'addr',
  'id.resp_p': 'port',
  proto: 'enum',
  service: 'string',
  duration: 'interval',
  orig_bytes: 'count',
  resp_bytes: 'count',
  conn_state: 'string',
  local_orig: 'bool',
  local_resp: 'bool',
  missed_bytes: 'count',
  history: 'string',
  orig_pkts: 'count',
  orig_ip_bytes: 'count',
  resp_pkts: 'count',
  resp_ip_bytes: 'count',
  tunnel_parents: 'set[string]',
};

/**
 * A table as Zeek ASCII log text: tab-separated, `#fields`/`#types` header, `-` for a missing
 * number (NaN), `(empty)` for an empty string. conn.log columns get their Zeek types; other
 * number columns are `double`, other text columns `string`.
 */
export function toZeekLog(table: ColumnTable): string {
  const names = table.columnNames();
  const columns = names.map((name) => columnValues(table, name));
  const types = names.map((name, j) => CONN_TYPES[name] ?? (columns[j] instanceof Float64Array ? 'double' : 'string'));
  const stamp = zeekStamp(names.includes('ts') ? Number(table.get('ts', 0)) : 0);
  const lines = [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    '#path\tconn',
    `#open\t${stamp}`,
    `#fields\t${names.join('\t')}`,
    `#types\t${types.join('\t')}`,
  ];
  const format = types.map(formatterFor);
  const rows = table.numRows();
  const fields = new Array<string>(names.length);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < names.length; j++) fields[j] = format[j](columns[j][i]);
    lines.push(fields.join('\t'));
  }
  lines.push(`#close\t${stamp}`);
  return `${lines.join('\n')}\n`;
}

function formatterFor(type: string): (value: unknown) => string {
  if (type === 'time' || type === 'interval') return (v) => (isMissing(v) ? '-' : (v as number).toFixed(6));
  if (type === 'count' || type === 'port' || type === 'int') return (v) => (isMissing(v) ? '-' : String(Math.round(v as number)));
  return (v) => (isMissing(v) ? '-' : v === '' ? '(empty)' : String(v));
}

function isMissing(value: unknown): boolean {
  return value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value));
}

function zeekStamp(seconds: number): string {
  const iso = new Date((Number.isFinite(seconds) ? seconds : 0) * 1000).toISOString();
  return `${iso.slice(0, 10)}-${iso.slice(11, 13)}-${iso.slice(14, 16)}-${iso.slice(17, 19)}`;
}
