/** Numbers and tables as text for people: the CLI's tables, the page's counts, bench's reports. */
import { printable } from '../pipeline/errors';

export type Cell = string | number | null;
export type Row = Record<string, Cell>;

/** Numbers for people: whole numbers with separators, others to about four significant digits. */
export function formatCell(value: Cell): string {
  if (value === null) return '—';
  if (typeof value === 'string') return printable(value);
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 1 || abs === 0) return value.toFixed(abs >= 100 ? 1 : 3);
  return value.toPrecision(4);
}

/**
 * Lines for a terminal, each as `printable` writes it: a column name, label or file name from a
 * file cannot start a line of its own or send the terminal an escape sequence.
 */
export function printableLines(lines: readonly string[]): string {
  return `${lines.map(printable).join('\n')}\n`;
}

/** Rows as an aligned text table: the first column and columns of text left-aligned, numbers right-aligned; text cells as `printable` writes them. */
export function formatTable(rows: readonly Row[]): string {
  if (!rows.length) return '';
  const keys = Object.keys(rows[0]);
  const cells = rows.map((r) => keys.map((k) => formatCell(r[k] ?? null)));
  const widths = keys.map((k, i) => cells.reduce((w, c) => Math.max(w, c[i].length), k.length));
  const left = keys.map((k, i) => i === 0 || rows.every((r) => typeof r[k] === 'string'));
  const line = (values: string[]) => values.map((v, i) => (left[i] ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ').trimEnd();
  return [line(keys), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
