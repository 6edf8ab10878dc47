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
   * `tunnel_parents   label   detailed-label` so. Empty for a log that does not.
   */
  spaced: number[];
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
  const spaced = names.flatMap((name, j) => (spacedNames(name).length > 1 ? [j] : []));
  names = names.flatMap(spacedNames);
  if (types !== null) types = types.flatMap(spacedNames);
  if (types !== null && types.length !== names.length) {
    throw new InputError({ file }, `the #types line lists ${types.length} types for ${names.length} #fields`);
  }
  const kinds = types === null ? null : types.map((t): ColumnKind => (NUMERIC_TYPES.has(t) ? 'number' : 'string'));
  return { separator, names, kinds, spaced };
}

/** The names in one field of a `#fields` line: Zeek's names hold no space, so a run of spaces parts two. */
export function spacedNames(field: string): string[] {
  const names = field.trim().split(/ +/);
  return names.length > 1 ? names : [field];
}

const SPACE = 32;
const HASH = 35;

/**
 * A block of a Zeek log's rows with each run of spaces in the `spaced` fields (see
 * {@link ZeekHeader.spaced}) made the separator, so that every column is a field of its own;
 * spaces at a field's start or end are dropped. Rewritten in place (it only shrinks): returns the
 * block's new extent. `#` lines are left as they are.
 */
export function splitSpacedFields(block: Uint8Array, separator: number, spaced: readonly number[]): Uint8Array {
  const isSpaced = new Uint8Array(Math.max(...spaced) + 1);
  for (const j of spaced) isSpaced[j] = 1;
  const n = block.length;
  let w = 0;
  let r = 0;
  while (r < n) {
    if (block[r] === HASH) {
      while (r < n && block[r] !== LF) block[w++] = block[r++];
      if (r < n) block[w++] = block[r++];
      continue;
    }
    let field = 0;
    let fieldStart = true;
    while (r < n) {
      const c = block[r++];
      if (c === SPACE && field < isSpaced.length && isSpaced[field] === 1) {
        while (r < n && block[r] === SPACE) r++;
        const next = r < n ? block[r] : LF;
        if (!fieldStart && next !== separator && next !== LF && next !== CR) {
          block[w++] = separator;
          fieldStart = true;
        }
        continue;
      }
      block[w++] = c;
      if (c === LF) break;
      if (c === separator) {
        field++;
        fieldStart = true;
      } else fieldStart = false;
    }
  }
  return block.subarray(0, w);
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
