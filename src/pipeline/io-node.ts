import { openAsBlob } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { chunkBuffer, giveChunk } from './bytes';
import { parseNames, readDataset, type Dataset, type DatasetReading, type Names } from './dataset';
import { parallelDecoding, runnableThreads } from './decode-pool-node';
import { readChunks, type Chunk, type ReadOptions } from './io';
import { isParquet } from './parquet';
import { firstRows } from './recognise';
import type { Featurizer } from './featurizer';
import { readRecords, type RecordBatch, type RecordOptions } from './records';
import type { SchemaSpec } from './schema';

/** The bytes of a file, read in chunks of CHUNK_BYTES into buffers that a reader copying them gives back ({@link chunkBuffer}). */
async function* fileSource(path: string): AsyncGenerator<Uint8Array> {
  const file = await open(path, 'r');
  try {
    for (;;) {
      const buffer = chunkBuffer();
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) {
        giveChunk(buffer);
        return;
      }
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await file.close();
  }
}

/**
 * Bytes zlib inflates at a time: in chunks of a MiB rather than its 16 KiB (as the web
 * `DecompressionStream` inflates), gzip is inflated three times as fast, since each chunk costs a
 * round trip to the thread that inflates it (206 MB of NSL-KDD on the 2-core machine: 0.21 s
 * against 0.67–0.71).
 */
const INFLATE_CHUNK_BYTES = 1 << 20;

/** Inflates gzip with Node's zlib, off this thread, a MiB at a time. */
async function* inflate(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const gunzip = createGunzip({ chunkSize: INFLATE_CHUNK_BYTES });
  pipeline(Readable.from(chunks, { objectMode: false }), gunzip, () => undefined);
  for await (const chunk of gunzip) yield chunk as Uint8Array;
}

/**
 * A file path, `-` (standard input) or a Node readable stream, with the name errors give it. A
 * Parquet file is opened as a Blob, read at random (its index is at its end); a path that is not a
 * regular file (a named pipe, `<(zcat …)`, `/dev/stdin`) is read once through, as standard input is.
 */
async function inputOf(input: string | Readable, fileName: string | undefined): Promise<{ source: AsyncIterable<Uint8Array> | Blob; fileName: string }> {
  if (typeof input !== 'string') return { source: input, fileName: fileName ?? 'stream' };
  if (input === '-') return { source: process.stdin, fileName: fileName ?? 'stdin' };
  if (!(await stat(input)).isFile()) return { source: fileSource(input), fileName: fileName ?? input };
  if (await startsWithParquetMagic(input)) return { source: await openAsBlob(input), fileName: fileName ?? input };
  return { source: fileSource(input), fileName: fileName ?? input };
}

async function startsWithParquetMagic(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const head = new Uint8Array(4);
    await file.read(head, 0, 4, 0);
    return isParquet(head);
  } finally {
    await file.close();
  }
}

/**
 * Rows of a file path, `-` (standard input) or a stream as the fitted pipeline's feature matrix
 * (see readRecords), text decoded on `threads` worker threads (gzip is inflated on this one).
 */
export async function* readRecordsFile(input: string | Readable, featurizer: Featurizer, options: RecordOptions & { threads?: number } = {}): AsyncGenerator<RecordBatch> {
  const { source, fileName } = await inputOf(input, options.fileName);
  const decoding = options.decoding ?? (options.threads === undefined ? undefined : parallelDecoding(options.threads));
  yield* readRecords(source, featurizer, { gunzip: inflate, ...options, fileName, decoding });
}

/**
 * The first rows (at most `rows`) of a file path, read as {@link readChunksFile} reads it; null
 * where they cannot be read or there are none, the whole read then saying why.
 */
export async function firstRowsFile(path: string, rows: number, options: ReadOptions = {}): Promise<Chunk | null> {
  try {
    const { source, fileName } = await inputOf(path, options.fileName);
    return await firstRows(source, fileName, rows, { gunzip: inflate, ...options });
  } catch {
    return null;
  }
}

/** Chunks of a file path, of `-` (standard input), or of a Node readable stream. */
export async function* readChunksFile(input: string | Readable, options: ReadOptions = {}): AsyncGenerator<Chunk> {
  const { source, fileName } = await inputOf(input, options.fileName);
  yield* readChunks(source, { gunzip: inflate, ...options, fileName });
}

/**
 * Text of at most this many blocks (16 MiB) is decoded on the reading thread even where threads
 * are asked for: a decoding thread takes tens of milliseconds to start and about 100 ms more
 * before its decoder runs compiled, in which time the reading thread decodes some 10 MiB.
 */
const DECODE_HERE_BLOCKS = 16;

/**
 * A whole file path, `-` (standard input) or stream as a dataset; `select` chooses the columns read
 * (see presetColumns), `sample` caps the rows kept. Text is decoded on up to `threads` worker threads (gzip is inflated on this
 * one) when at least two of them can run ({@link runnableThreads}), since one only moves the work
 * off this thread, and when it is longer than DECODE_HERE_BLOCKS blocks (see
 * ReadOptions.decodingAbove); else on this thread. The threads stop once the file is read or has
 * failed.
 */
export async function readDatasetFile(
  input: string | Readable, spec: SchemaSpec, options: Omit<DatasetReading, 'decoding'> & { threads?: number; fileName?: string } = {},
): Promise<Dataset> {
  const { threads, fileName: name, ...reading } = options;
  const { source, fileName } = await inputOf(input, name);
  const decoding = threads !== undefined && runnableThreads(threads) >= 2 ? parallelDecoding(threads) : undefined;
  return readDataset(source, spec, fileName, { decodingAbove: DECODE_HERE_BLOCKS, gunzip: inflate, ...reading, decoding });
}

/** Column names from a names file (see parseNames for its forms). */
export async function readNamesFile(path: string): Promise<Names> {
  return parseNames(await readFile(path, 'utf8'));
}
