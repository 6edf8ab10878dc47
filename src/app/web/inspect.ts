import type { ColumnTable } from 'arquero';
import { categoryKey, getPreset } from '../../pipeline';
import { firstRows, recognisePreset } from '../../pipeline/recognise';
import { guessLabel, plainCategory, rowValues } from '../../pipeline/guess-label';
import type { FileInfo } from './protocol';

const SAMPLE_ROWS = 2_000;
const MAX_VALUES = 40;

function distinctValues(table: ColumnTable): Record<string, string[]> {
  const values: Record<string, string[]> = {};
  for (const name of table.columnNames()) {
    const seen = new Map<string, number>();
    const column = table.array(name) as ArrayLike<unknown>;
    for (let i = 0; i < column.length; i++) {
      const key = categoryKey(column[i]).trim();
      seen.set(key, (seen.get(key) ?? 0) + 1);
      if (seen.size > MAX_VALUES) break;
    }
    if (seen.size <= MAX_VALUES) values[name] = [...seen].sort((a, b) => b[1] - a[1]).map(([v]) => v);
  }
  return values;
}

/** Reads the first rows of a file: its format, columns, matching preset and likely label. */
export async function inspectFile(file: File): Promise<FileInfo> {
  let chunk = await firstRows(file, file.name, SAMPLE_ROWS);
  const preset = recognisePreset(chunk.table.columnNames());
  const read = preset === null ? null : getPreset(preset).read;
  if (read?.names) chunk = await firstRows(file, file.name, SAMPLE_ROWS, read);
  const columns = chunk.table.columnNames();
  const values = distinctValues(chunk.table);
  const guess = preset === null ? guessLabel(columns, values) : { label: null, normal: null };
  const { label, normal } = guess;
  const category = label === null || normal === null ? null
    : plainCategory(columns, label, rowValues(chunk.table, label, [normal]));
  return {
    format: chunk.format,
    columns,
    preset,
    values,
    ...guess,
    category,
  };
}
