import type { ColumnTable } from 'arquero';
import type { ByteSource } from './bytes';
import { parseText, readTable, type ReadOptions, type ReadResult } from './io';
import { labelsOf, readOptionsFor, resolveSchema, type Labels, type Schema, type SchemaSpec } from './schema';
import type { Format } from './text-table';

/** A file read whole, with its columns' roles resolved and its labels (null when unlabelled). */
export interface Dataset extends ReadResult {
  schema: Schema;
  labels: Labels | null;
}

/**
 * Reads a whole file (any supported format, gzip or not) for a preset or a generic spec.
 * `select` chooses the columns to read (default: all; see presetColumns).
 */
export async function readDataset(source: ByteSource, spec: SchemaSpec, fileName?: string, select?: ReadOptions['select']): Promise<Dataset> {
  return toDataset(await readTable(source, { ...readOptionsFor(spec, fileName), select }), spec);
}

/** The same from decoded text (CSV, TSV or Zeek log), synchronously. */
export function parseDataset(text: string, spec: SchemaSpec, fileName?: string): Dataset {
  return toDataset(parseText(text, readOptionsFor(spec, fileName)), spec);
}

function toDataset(read: ReadResult, spec: SchemaSpec): Dataset {
  const schema = resolveSchema(read.table, spec, read.file);
  return { ...read, schema, labels: labelsOf(read.table, schema) };
}

/** A table built in memory as a dataset: its rows numbered from 1, none blank. */
export function tableDataset(table: ColumnTable, spec: SchemaSpec, file: string, format: Format): Dataset {
  const lines = Int32Array.from({ length: table.numRows() }, (_, i) => i + 1);
  return toDataset({ table, file, format, lines, unit: 'row', blankRows: 0 }, spec);
}

/** One line per non-empty line of a names file: its first field (before `,`, `:` or a tab), trimmed. */
export function parseNames(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((line) => line.split(/[,:\t]/)[0].trim())
    .filter((name) => name.length > 0);
}
