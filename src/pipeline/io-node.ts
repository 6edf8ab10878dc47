import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { parseNames, readDataset, type Dataset, type Names } from './dataset';
import { readChunks, readTable, type Chunk, type ReadOptions, type ReadResult } from './io';
import type { SchemaSpec } from './schema';

/** The bytes of a file, read in 64 KiB pieces. */
function fileSource(path: string): Readable {
  return createReadStream(path, { highWaterMark: 1 << 16 });
}

export function readTableFile(path: string, options: ReadOptions = {}): Promise<ReadResult> {
  return readTable(fileSource(path), { ...options, fileName: options.fileName ?? path });
}

/** Chunks of a file path, of `-` (standard input), or of a Node readable stream. */
export function readChunksFile(input: string | Readable, options: ReadOptions = {}): AsyncGenerator<Chunk> {
  if (typeof input !== 'string') return readChunks(input, { ...options, fileName: options.fileName ?? 'stream' });
  if (input === '-') return readChunks(process.stdin, { ...options, fileName: options.fileName ?? 'stdin' });
  return readChunks(fileSource(input), { ...options, fileName: options.fileName ?? input });
}

export function readDatasetFile(path: string, spec: SchemaSpec): Promise<Dataset> {
  return readDataset(fileSource(path), spec, path);
}

/** Column names from a names file (see parseNames: one per line, or the UCI `.names` form). */
export async function readNamesFile(path: string): Promise<Names> {
  return parseNames(await readFile(path, 'utf8'));
}
