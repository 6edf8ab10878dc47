import type { ColumnTable } from 'arquero';
import { columnValues } from './columns';
import { isMissingText } from './values';

/** A column left out of the features, and why. */
export interface LeftOut {
  column: string;
  reason: string;
}

const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$/;
const IPV6 = /^[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?:%\w+)?$/i;
const MAC = /^[0-9a-f]{2}(?:[:-][0-9a-f]{2}){5}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A date, then optionally a time of day: `2018-02-14 08:31:01`, `14/02/2018 08:31:01`, `7/7/2017 8:59`. */
const DATE_TIME = /^(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\/\d{1,2}\/\d{2,4}|\d{1,2}[.-]\d{1,2}[.-]\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s?[AP]M)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i;
/** Names of columns that say when a record was (seconds since 1970 and the like) or number it in its file. */
const TIME_NAMES = /^(?:ts|stime|ltime|time|timestamp|date|datetime|start_?time|end_?time|first_?seen|last_?seen)$/i;
const RECORD_NUMBER_NAMES = /^(?:id|pkseqid|index|no\.?|unnamed: \d+(?:\.\d+)?)$/i;
/** What a header row's empty first name is read as (see text-layout.ts): where pandas writes a frame's index. */
const UNNAMED_FIRST = 'column1';

/** Share of a column's non-empty values that must match a pattern for the column to count as such. */
const PATTERN_SHARE = 0.9;
/** A text column with at least this many distinct values, … */
const MANY_VALUES = 32;
/** … that are at least this share of its non-empty values, names rows rather than describing them. */
const UNIQUE_SHARE = 0.5;

/**
 * Columns that identify a record or a host, or say when it was, rather than describe the traffic.
 * Text: addresses (IPv4, IPv6, MAC), UUIDs, dates and times, and columns nearly unique per row
 * (Zeek's `uid`, flow IDs); one-hot encoded they add a feature per value, none of which a new
 * record shares, so a model learns nothing from them and every new record looks unseen. Text or
 * numbers, by name: a time (`ts`, `Stime`, `timestamp`, …) or a record number (`id`, `pkSeqID`,
 * pandas' saved index `Unnamed: 0`), which grow with the capture, so that traffic of a later day
 * would look unlike any trained on. Numbers that count the rows (a row's value is its line, the
 * `lines` of the table's rows, plus one constant: an index or counter saved in file order, however
 * the rows were sampled), and an unnamed first column of distinct whole numbers (pandas' index,
 * shuffled or not). Looks at every row of `table`.
 */
export function identifierColumns(table: ColumnTable, candidates: readonly string[], lines: ArrayLike<number>): LeftOut[] {
  const found: LeftOut[] = [];
  for (const column of candidates) {
    const values = columnValues(table, column);
    const reason = TIME_NAMES.test(column.trim()) ? 'a time, when a record was rather than what'
      : RECORD_NUMBER_NAMES.test(column.trim()) ? 'a record number'
        : values instanceof Float64Array ? numberReason(values, lines, column === UNNAMED_FIRST && table.columnNames()[0] === column)
          : identifierReason(values);
    if (reason !== null) found.push({ column, reason });
  }
  return found;
}

/**
 * Why a column of numbers is no feature, or null: it counts the rows, through at least
 * MANY_VALUES of them; or, as the unnamed first column (`unnamedFirst`), it holds distinct whole
 * numbers, an index.
 */
function numberReason(values: Float64Array, lines: ArrayLike<number>, unnamedFirst: boolean): string | null {
  if (values.length < MANY_VALUES) return null;
  if (countsRows(values, lines)) return 'a record number: it counts the rows';
  if (unnamedFirst && values.every(Number.isInteger) && new Set(values).size === values.length) return 'an index: an unnamed first column of distinct whole numbers';
  return null;
}

/** Whether each row's value is its line plus one whole constant. */
function countsRows(values: Float64Array, lines: ArrayLike<number>): boolean {
  const offset = values[0] - lines[0];
  if (!Number.isInteger(offset)) return false;
  for (let i = 1; i < values.length; i++) if (values[i] - lines[i] !== offset) return false;
  return true;
}

/** Full (eight groups) or compressed (`::`) IPv6, so that times of day such as `08:59:01` do not count. */
function isIpv6(text: string): boolean {
  return (text.includes('::') || text.split(':').length === 8) && IPV6.test(text);
}

function identifierReason(values: ArrayLike<unknown>): string | null {
  const distinct = new Set<string>();
  const matches = { address: 0, uuid: 0, date: 0 };
  let filled = 0;
  for (let i = 0; i < values.length; i++) {
    const text = typeof values[i] === 'string' ? (values[i] as string).trim() : '';
    if (isMissingText(text)) continue;
    filled++;
    distinct.add(text);
    if (IPV4.test(text) || MAC.test(text) || isIpv6(text)) matches.address++;
    else if (UUID.test(text)) matches.uuid++;
    else if (DATE_TIME.test(text)) matches.date++;
  }
  if (filled === 0) return null;
  if (matches.address >= PATTERN_SHARE * filled) return 'addresses';
  if (matches.uuid >= PATTERN_SHARE * filled) return 'UUIDs';
  if (matches.date >= PATTERN_SHARE * filled) return 'dates and times';
  if (distinct.size >= MANY_VALUES && distinct.size >= UNIQUE_SHARE * filled) {
    return `${distinct.size.toLocaleString('en-US')} distinct values in ${filled.toLocaleString('en-US')} rows`;
  }
  return null;
}
