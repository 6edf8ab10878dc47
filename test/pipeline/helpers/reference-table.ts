import Papa from 'papaparse';
import { table, type ColumnTable } from 'arquero';
import { parseNumber } from '../../../src/pipeline/values';

export interface ReferenceOptions {
  /** Column names of a headerless file. */
  names?: string[];
  zeek?: boolean;
  /** Columns read as numbers; the others stay text. */
  numeric: readonly string[];
}

/**
 * A file's table read the way netae read text before its byte decoder: Papa Parse splits the rows,
 * a CR ending a row's last field is dropped, rows of empty fields are skipped, Zeek `#` lines too,
 * and number columns go through parseNumber. The reference the decoder is compared with.
 */
export function referenceTable(text: string, options: ReferenceOptions): ColumnTable {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const zeek = options.zeek === true;
  const lines = zeek ? body.split('\n') : [];
  const headerLines = zeek ? lines.findIndex((line) => !line.startsWith('#')) : 0;
  const fields = zeek ? lines.find((line) => line.startsWith('#fields'))!.replace(/\r$/, '').split('\t').slice(1) : null;
  const parsed = Papa.parse<string[]>(zeek ? lines.slice(headerLines).join('\n') : body, {
    delimiter: zeek ? '\t' : ',',
    newline: '\n',
    quoteChar: '"',
    fastMode: zeek ? true : undefined,
  });
  const rows = parsed.data
    .map((row) => {
      const last = row.length - 1;
      if (row[last].endsWith('\r')) row[last] = row[last].slice(0, -1);
      return row;
    })
    .filter((row) => !row.every((f) => f === ''))
    .filter((row) => !(zeek && row[0].startsWith('#')));
  const names = fields ?? options.names ?? rows.shift()!.map((n) => n.trim());
  const numeric = new Set(options.numeric);
  const data: Record<string, Float64Array | string[]> = {};
  names.forEach((name, j) => {
    data[name] = numeric.has(name) ? Float64Array.from(rows, (row) => parseNumber(row[j])!) : rows.map((row) => row[j]);
  });
  return table(data, names);
}
