import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { parseNames, readDataset, type Dataset } from './dataset';
import { parallelDecoding } from './decode-pool-node';
import { readChunks, readTable, type Chunk, type ReadOptions, type ReadResult } from './io';
import type { FittedPipeline } from './pipeline';
import { readRecords, type RecordBatch, type RecordOptions } from './records';
import type { SchemaSpec } from './schema';

/** The bytes of a file, read in 1 MiB pieces. */
function fileSource(path: string): Readable {
  return createReadStream(path, { highWaterMark: 1 << 20 });
}

/** A file path, `-` (standard input) or a Node readable stream, with the name errors give it. */
function inputOf(input: string | Readable, fileName: string | undefined): { source: Readable; fileName: string } {
  if (typeof input !== 'string') return { source: input, fileName: fileName ?? 'stream' };
  if (input === '-') return { source: process.stdin, fileName: fileName ?? 'stdin' };
  return { source: fileSource(input), fileName: fileName ?? input };
}

/**
 * Rows of a file path, `-` (standard input) or a stream as the fitted pipeline's feature matrix
 * (see readRecords), text decoded on `threads` worker threads (gzip is inflated on this one).
 */
export function readRecordsFile(input: string | Readable, pipeline: FittedPipeline, options: RecordOptions & { threads?: number } = {}): AsyncGenerator<RecordBatch> {
  const { source, fileName } = inputOf(input, options.fileName);
  const decoding = options.decoding ?? (options.threads === undefined ? undefined : parallelDecoding(options.threads));
  return readRecords(source, pipeline, { ...options, fileName, decoding });
}

export function readTableFile(path: string, options: ReadOptions = {}): Promise<ReadResult> {
  return readTable(fileSource(path), { ...options, fileName: options.fileName ?? path });
}

/** Chunks of a file path, of `-` (standard input), or of a Node readable stream. */
export function readChunksFile(input: string | Readable, options: ReadOptions = {}): AsyncGenerator<Chunk> {
  const { source, fileName } = inputOf(input, options.fileName);
  return readChunks(source, { ...options, fileName });
}

export function readDatasetFile(path: string, spec: SchemaSpec): Promise<Dataset> {
  return readDataset(fileSource(path), spec, path);
}

/** Column names from a names file (one per line, first field; e.g. NSL-KDD's field_names.csv). */
export async function readNamesFile(path: string): Promise<string[]> {
  return parseNames(await readFile(path, 'utf8'));
}
