import type { ColumnTable } from 'arquero';
import { columnValues } from './columns';

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
const RECORD_NUMBER_NAMES = /^(?:id|pkseqid|index|no\.?|unnamed: \d+)$/i;

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
 * would look unlike any trained on; and numbers that rise with every row (an index saved under
 * another name, or none).
 * Looks at every row of `table`.
 */
export function identifierColumns(table: ColumnTable, candidates: readonly string[]): LeftOut[] {
  const found: LeftOut[] = [];
  for (const column of candidates) {
    const reason = TIME_NAMES.test(column.trim()) ? 'a time, when a record was rather than what'
      : RECORD_NUMBER_NAMES.test(column.trim()) ? 'a record number'
        : identifierReason(columnValues(table, column));
    if (reason !== null) found.push({ column, reason });
  }
  return found;
}

/**
 * Whether numbers rise from every row to the next through at least MANY_VALUES rows: a row
 * counter (a saved index) or a time, never a measure of traffic, which repeats and falls.
 */
function rises(values: Float64Array): boolean {
  if (values.length < MANY_VALUES) return false;
  for (let i = 1; i < values.length; i++) if (!(values[i] > values[i - 1])) return false;
  return true;
}

/** Full (eight groups) or compressed (`::`) IPv6, so that times of day such as `08:59:01` do not count. */
function isIpv6(text: string): boolean {
  return (text.includes('::') || text.split(':').length === 8) && IPV6.test(text);
}

function identifierReason(values: ArrayLike<unknown>): string | null {
  if (values instanceof Float64Array) return rises(values) ? 'a record number or time: it rises with every row' : null;
  const distinct = new Set<string>();
  const matches = { address: 0, uuid: 0, date: 0 };
  let filled = 0;
  for (let i = 0; i < values.length; i++) {
    const text = typeof values[i] === 'string' ? (values[i] as string).trim() : '';
    if (text === '' || text === '-') continue;
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
