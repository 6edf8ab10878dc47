/** Anything that yields the bytes of a file: in memory, a browser File/Blob, a web stream, or a Node readable. */
export type ByteSource = Uint8Array | ArrayBuffer | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** The bytes of a source as an async sequence of chunks. */
export async function* byteChunks(source: ByteSource): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source;
  } else if (source instanceof ArrayBuffer) {
    yield new Uint8Array(source);
  } else if (isBlob(source)) {
    yield* readStream(source.stream());
  } else if (isReadableStream(source)) {
    yield* readStream(source);
  } else {
    yield* source;
  }
}

function isBlob(source: ByteSource): source is Blob {
  return typeof Blob !== 'undefined' && source instanceof Blob;
}

function isReadableStream(source: ByteSource): source is ReadableStream<Uint8Array> {
  return typeof (source as ReadableStream<Uint8Array>).getReader === 'function';
}

async function* readStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** Size of the buffers a file is read into ({@link chunkBuffer}). */
export const CHUNK_BYTES = 1 << 20;

/** Spare chunk buffers kept, at most: a reader that copies its chunks as they come needs one or two. */
const MAX_SPARE_CHUNKS = 4;

const spareChunks: ArrayBuffer[] = [];
const chunkBuffers = new WeakSet<ArrayBuffer>();

/**
 * A buffer of CHUNK_BYTES to read the next chunk of a file into: one given back by
 * {@link giveChunk}, or a new one. A reader that copies each chunk and gives it back has a file
 * read through one or two buffers rather than one per chunk: each buffer is memory outside the
 * collector's heap, and every few tens of megabytes of it left to the collector start a
 * collection of the whole heap.
 */
export function chunkBuffer(): Uint8Array {
  const spare = spareChunks.pop();
  if (spare !== undefined) return new Uint8Array(spare);
  const buffer = new ArrayBuffer(CHUNK_BYTES);
  chunkBuffers.add(buffer);
  return new Uint8Array(buffer);
}

/**
 * Gives back a chunk read into a {@link chunkBuffer}, once nothing reads it any more: the caller
 * must have copied what it keeps. Any other chunk is ignored.
 */
export function giveChunk(chunk: Uint8Array): void {
  const buffer = chunk.buffer;
  if (!(buffer instanceof ArrayBuffer) || !chunkBuffers.has(buffer) || buffer.byteLength !== CHUNK_BYTES) return;
  if (spareChunks.length < MAX_SPARE_CHUNKS && !spareChunks.includes(buffer)) spareChunks.push(buffer);
}

/**
 * The first bytes of a sequence (at least `size` unless it is shorter), and the whole sequence
 * again. Stopping the replay early stops the sequence too (a file source then closes its file).
 */
export async function peekBytes(
  chunks: AsyncIterable<Uint8Array>,
  size: number,
): Promise<{ head: Uint8Array; chunks: AsyncGenerator<Uint8Array> }> {
  const iterator = chunks[Symbol.asyncIterator]();
  const seen: Uint8Array[] = [];
  let length = 0;
  let done = false;
  while (length < size) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    if (next.value.length === 0) continue;
    seen.push(next.value);
    length += next.value.length;
  }
  const head = concatArrays(seen, Uint8Array);
  async function* replay(): AsyncGenerator<Uint8Array> {
    try {
      if (head.length > 0) yield head;
      if (done) return;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await iterator.return?.();
    }
  }
  return { head, chunks: replay() };
}

/** The parts one after another in a new array of their type; a single part is returned as is. */
export function concatArrays<T extends Uint8Array | Int32Array | Float32Array | Float64Array>(parts: T[], Make: new (n: number) => T): T {
  if (parts.length === 1) return parts[0];
  const out = new Make(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export async function collectBytes(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return concatArrays(parts, Uint8Array);
}

/** Gzip's magic number. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** Decompresses gzip with the web `DecompressionStream` (Node 18+ and browsers). */
export async function* gunzip(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const stream = new DecompressionStream('gzip');
  const writer = stream.writable.getWriter();
  const pump = (async () => {
    try {
      for await (const chunk of chunks) await writer.write(chunk as Uint8Array<ArrayBuffer>);
      await writer.close();
    } catch (error) {
      await writer.abort(error).catch(() => undefined);
    }
  })();
  yield* readStream(stream.readable);
  await pump;
}
