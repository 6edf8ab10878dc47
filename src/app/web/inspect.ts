import type { ColumnTable } from 'arquero';
import { PRESETS, categoryKey, getPreset, readChunks, type Chunk, type Preset } from '../../pipeline';
import { guessNormal, type FileInfo } from './protocol';

const SAMPLE_ROWS = 2_000;
const MAX_VALUES = 40;
const LABEL_NAMES = /^(label|class|attack_cat|attack|category|target|outcome|y)$/i;
const PROTOCOLS = new Set(['tcp', 'udp', 'icmp']);

async function firstChunk(file: Blob, fileName: string, read: Preset['read'] = {}): Promise<Chunk> {
  const chunks = readChunks(file, { ...read, fileName, chunkRows: SAMPLE_ROWS });
  try {
    const next = await chunks.next();
    if (next.done) throw new Error(`${fileName}: no records`);
    return next.value;
  } finally {
    await chunks.return(undefined);
  }
}

function hasColumnsOf(preset: Preset, columns: ReadonlySet<string>): boolean {
  return [...preset.numeric, ...preset.categorical].every((name) => columns.has(name));
}

/** NSL-KDD files have no header: read with one, their first record's fields become the names. */
function looksLikeNslKdd(columns: readonly string[]): boolean {
  const names = getPreset('nsl-kdd').read.names ?? [];
  return columns.length === names.length && PROTOCOLS.has(columns[1]) && Number.isFinite(Number(columns[0]));
}

/** The preset that describes a file with these columns, or null. */
export function detectPreset(columns: readonly string[]): string | null {
  const has = new Set(columns);
  const byHeader = PRESETS.find((p) => p.read.names === undefined && hasColumnsOf(p, has));
  if (byHeader) return byHeader.name;
  return looksLikeNslKdd(columns) ? 'nsl-kdd' : null;
}

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

/** The likely label column of a generic file and its value for normal traffic. */
export function guessLabel(columns: readonly string[], values: Readonly<Record<string, readonly string[]>>): { label: string | null; normal: string | null } {
  const label = columns.find((c) => LABEL_NAMES.test(c) && values[c]) ?? [...columns].reverse().find((c) => values[c]) ?? null;
  if (label === null) return { label, normal: null };
  return { label, normal: guessNormal(values[label]) };
}

/** Reads the first rows of a file: its format, columns, matching preset and likely label. */
export async function inspectFile(file: File): Promise<FileInfo> {
  let chunk = await firstChunk(file, file.name);
  const preset = detectPreset(chunk.table.columnNames());
  const read = preset === null ? null : getPreset(preset).read;
  if (read?.names) chunk = await firstChunk(file, file.name, read);
  const columns = chunk.table.columnNames();
  const values = distinctValues(chunk.table);
  const guess = preset === null ? guessLabel(columns, values) : { label: null, normal: null };
  return {
    format: chunk.format,
    columns,
    preset,
    values,
    ...guess,
  };
}
