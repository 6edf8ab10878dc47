import type { ColumnTable } from 'arquero';
import type { ByteSource } from './bytes';
import { parseText, readTable, type ReadOptions, type ReadResult, type TableReading } from './io';
import { labelsOf, readOptionsFor, resolveSchema, rowNumbers, type Labels, type Schema, type SchemaSpec } from './schema';
import { splitRow } from './text-rows';
import type { Format } from './text-table';

/** A file read whole, with its columns' roles resolved and its labels (null when unlabelled). */
export interface Dataset extends ReadResult {
  schema: Schema;
  labels: Labels | null;
}

/** How a dataset's file is read besides its spec: the columns chosen, how its text is decoded (see ReadOptions), the rows kept, the rows met reported. */
export type DatasetReading = Pick<ReadOptions, 'select' | 'decoding' | 'decodingAbove' | 'blockBytes' | 'gunzip'> & TableReading;

/**
 * Reads a whole file (any supported format, gzip or not) for a preset or a generic spec.
 * `reading.select` chooses the columns to read (default: all; see presetColumns); `reading.sample`
 * caps the rows kept (default: all).
 */
export async function readDataset(source: ByteSource, spec: SchemaSpec, fileName?: string, reading: DatasetReading = {}): Promise<Dataset> {
  return toDataset(await readTable(source, { ...readOptionsFor(spec, fileName), ...reading }), spec);
}

/** The same from decoded text (CSV, TSV or Zeek log), synchronously. */
export function parseDataset(text: string, spec: SchemaSpec, fileName?: string): Dataset {
  return toDataset(parseText(text, readOptionsFor(spec, fileName)), spec);
}

/** Rows read, with the roles `spec` gives their columns. */
export function toDataset(read: ReadResult, spec: SchemaSpec): Dataset {
  const schema = resolveSchema(read.table, spec, read.file, read.lines);
  return { ...read, schema, labels: labelsOf(read.table, schema) };
}

/** A table built in memory as a dataset: its rows numbered from 1, none blank. */
export function tableDataset(table: ColumnTable, spec: SchemaSpec, file: string, format: Format): Dataset {
  return toDataset({ table, file, format, lines: rowNumbers(table.numRows()), unit: 'row', blankRows: 0 }, spec);
}

/** Column names from a names file, and the columns it marks as categorical (symbolic). */
export interface Names {
  names: string[];
  categorical: string[];
}

/** The name given to the class column that a UCI `.names` file lists by its values only. */
export const UCI_CLASS_COLUMN = 'class';

/** `name: type.`, the attribute lines of a UCI `.names` file. */
const UCI_ATTRIBUTE = /^([^:|]+):\s*(.+?)\s*\.?\s*$/;

/** The rows of delimited text as {@link splitRow} splits them, fields trimmed, rows with no text left out. */
function delimitedRows(text: string, delimiter: string): string[][] {
  const bytes = new TextEncoder().encode(text);
  const rows: string[][] = [];
  for (let at = 0; at < bytes.length;) {
    const row = splitRow(bytes, at, bytes.length, delimiter.charCodeAt(0), true, true);
    if (row === null) break;
    const fields = row.fields.map((f) => f.trim());
    if (fields.some((f) => f.length > 0)) rows.push(fields);
    at = row.next;
  }
  return rows;
}

/** The words that give a column's kind in a names file (`symbolic`, `continuous.`, UNSW-NB15's `nominal`, …). */
const KIND_WORD = /^(symbolic|continuous|real|integer|numeric|nominal|binary|float|string|timestamp)\.?$/i;

/**
 * A names file in one of four forms. One name per non-empty line: its first field (before `,`,
 * `:` or a tab), trimmed, and `symbolic` as a second field marks it categorical (NSL-KDD's
 * field_names.csv). All the names on one line, comma- or tab-separated (a CSV header saved on its
 * own, as BoT-IoT's feature names are). A table of the columns, comma- or tab-separated, whose
 * header has a `Name` column and no kind (UNSW-NB15's NUSW-NB15_features.csv:
 * `No.,Name,Type,Description`): that column's values, in order, the columns' kinds left to the
 * data. Or the UCI `.names` form: `|` comments, a first line listing the classes
 * (`back,buffer_overflow,…,normal.`), then `name: type.` lines; the class column, last in the
 * data, is named `class`, and `symbolic` (or a list of values) marks a column categorical.
 */
export function parseNames(text: string): Names {
  const body = text.replace(/^\uFEFF/, '');
  const firstLine = body.trimStart().split(/\r?\n/, 1)[0];
  const rows = delimitedRows(body, firstLine.includes('\t') ? '\t' : ',');
  const header = rows[0] ?? [];
  const at = header.findIndex((f) => f.toLowerCase() === 'name');
  if (rows.length > 1 && header.length > 1 && at >= 0 && !header.some((f) => KIND_WORD.test(f))) {
    return { names: rows.slice(1).map((row) => row[at] ?? '').filter((name) => name.length > 0), categorical: [] };
  }
  if (rows.length === 1 && header.length > 1 && !(header.length === 2 && KIND_WORD.test(header[1]))) {
    return { names: header.filter((name) => name.length > 0), categorical: [] };
  }
  const lines = body.split(/\r?\n/).map((line) => line.replace(/\|.*$/, '').trim()).filter((line) => line.length > 0);
  const uci = lines.length > 1 && !lines[0].includes(':') && lines[0].endsWith('.') && lines.slice(1).every((line) => UCI_ATTRIBUTE.test(line));
  if (uci) {
    const attributes = lines.slice(1).map((line) => UCI_ATTRIBUTE.exec(line)!);
    return {
      names: [...attributes.map((m) => m[1].trim()), UCI_CLASS_COLUMN],
      categorical: attributes.filter((m) => !/^(continuous|real|integer|numeric)$/i.test(m[2])).map((m) => m[1].trim()),
    };
  }
  const fields = lines.map((line) => line.split(/[,:\t]/).map((f) => f.trim()));
  return {
    names: fields.map((f) => f[0]).filter((name) => name.length > 0),
    categorical: fields.filter((f) => f[0] && /^symbolic\.?$/i.test(f[1] ?? '')).map((f) => f[0]),
  };
}
