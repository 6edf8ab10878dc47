import type { ByteSource } from './bytes';
import { readChunks, type Chunk, type ReadOptions } from './io';
import { PRESETS, getPreset, type Preset } from './presets';
import { parseNumber } from './values';

/**
 * Which public data set a file holds, from its columns alone.
 *
 * A preset whose files have a header matches when the file has every one of its feature
 * columns. A headerless preset (NSL-KDD) matches a header of exactly its column names, in order
 * (such a file is read with the preset, its first row as the header: text-layout.ts). Read with
 * a header, a headerless file's first record becomes the column names: the preset matches when
 * there are as many names as it has columns and they have its shape, a number in each numeric
 * column and text in each categorical one. Names are tried first, so a file with real names
 * never matches by shape.
 */
export function recognisePreset(columns: readonly string[]): string | null {
  const has = new Set(columns);
  const byHeader = PRESETS.find((p) => (p.read.names === undefined
    ? featureColumns(p).every((c) => has.has(c) || p.optional?.includes(c))
    : p.read.names.length === columns.length && p.read.names.every((name, j) => name === columns[j])));
  if (byHeader) return byHeader.name;
  return PRESETS.find((p) => p.read.names !== undefined && hasShapeOf(p, columns))?.name ?? null;
}

/**
 * The headerless preset whose every feature column a header names, its label and other columns
 * named otherwise (copies of NSL-KDD with a header of their own: `…,attack,level`), or null.
 */
export function presetFeaturesIn(columns: readonly string[]): Preset | null {
  const has = new Set(columns);
  return PRESETS.find((p) => p.read.names !== undefined && featureColumns(p).every((c) => has.has(c))) ?? null;
}

/** A preset's short title, for messages: its description up to the first parenthesis or colon. */
export function presetTitle(name: string): string {
  return getPreset(name).description.split(/ \(|:/)[0].trim();
}

function featureColumns(preset: Preset): string[] {
  return [...preset.numeric, ...preset.categorical];
}

/** A repeated header name gets `.1`, `.2`, … from the reader; the field itself is what precedes that. */
function fieldOf(name: string): string {
  return name.replace(/\.\d+$/, '');
}

function hasShapeOf(preset: Preset, fields: readonly string[]): boolean {
  const names = preset.read.names!;
  if (fields.length !== names.length) return false;
  const at = new Map(names.map((n, j) => [n, fields[j]]));
  const isNumber = (field: string) => parseNumber(field) !== undefined || parseNumber(fieldOf(field)) !== undefined;
  return preset.numeric.every((c) => isNumber(at.get(c)!)) && preset.categorical.every((c) => parseNumber(at.get(c)!) === undefined);
}

/** The first rows of a file (at most `rows`), read with its own header; an Error when it has none. */
export async function firstRows(source: ByteSource, fileName: string, rows: number, read: ReadOptions = {}): Promise<Chunk> {
  const chunks = readChunks(source, { ...read, fileName, chunkRows: rows });
  try {
    const next = await chunks.next();
    if (next.done) throw new Error(`${fileName}: no records`);
    return next.value;
  } finally {
    await chunks.return(undefined);
  }
}
