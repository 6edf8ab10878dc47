import type { ColumnTable } from 'arquero';
import { formatColumnError, type ColumnError } from './explain';
import { csvField, formatScore } from './scores-csv';

/** Rows of scored records to hand to another tool, with every field as read. */
export interface ExportRows {
  readonly table: ColumnTable;
  /** 0-based row indices, in the order to write them. */
  readonly rows: ArrayLike<number>;
  readonly scores: ArrayLike<number>;
  /** A row's worst-reconstructed columns, when it was explained. */
  explanation(row: number): readonly ColumnError[] | undefined;
}

function text(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? '' : String(value);
  return value === null || value === undefined ? '' : String(value);
}

function json(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  return value ?? null;
}

function rounded(value: number | string): number | string | null {
  return typeof value === 'number' ? (Number.isFinite(value) ? Number(value.toPrecision(6)) : null) : value;
}

/**
 * CSV: `row` (1-based, as in the scores CSV), `score`, `explanation` (the worst-reconstructed
 * columns, `column value (expected …) share`, separated by `; `), then every column of the file.
 */
export function exportCsv(data: ExportRows): string {
  const columns = data.table.columnNames();
  const lines = [['row', 'score', 'explanation', ...columns].map(csvField).join(',')];
  for (let k = 0; k < data.rows.length; k++) {
    const row = data.rows[k];
    const why = data.explanation(row)?.map(formatColumnError).join('; ') ?? '';
    const fields = columns.map((c) => csvField(text(data.table.get(c, row))));
    lines.push([String(row + 1), formatScore(data.scores[row]), csvField(why), ...fields].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * NDJSON, one object per row: `row`, `score`, `explanation` (`column`, `value`, `expected`,
 * `share`), and `fields`, the file's columns by name; missing numbers are null.
 */
export function exportNdjson(data: ExportRows): string {
  const columns = data.table.columnNames();
  const lines: string[] = [];
  for (let k = 0; k < data.rows.length; k++) {
    const row = data.rows[k];
    const fields: Record<string, unknown> = {};
    for (const c of columns) fields[c] = json(data.table.get(c, row));
    const explanation = data.explanation(row)?.map((e) => ({
      column: e.column, value: rounded(e.value), expected: rounded(e.expected), share: Number(e.share.toFixed(4)),
    })) ?? null;
    lines.push(JSON.stringify({ row: row + 1, score: Number(formatScore(data.scores[row])), explanation, fields }));
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
