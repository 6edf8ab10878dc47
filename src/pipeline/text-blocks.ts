import { giveChunk } from './bytes';
import { InputError } from './errors';
import type { DecodedRows, DecodeRequest } from './record-decoder';
import type { LineSample } from './row-sample';
import { readLayout, type LayoutOptions, type TextLayout } from './text-layout';
import { LF, lastRowEnd } from './text-rows';

/** Blocks of whole rows are about this long (1 MiB): long enough that handing one over costs little. */
export const BLOCK_BYTES = 1 << 20;

/** A row longer than this is taken for an unclosed quote. */
export const MAX_ROW_BYTES = 64 << 20;

/**
 * A row that runs on past MAX_ROW_BYTES. The blocks do not count lines, so it is raised without
 * one; whoever counts the lines of the blocks before it names the row's line with `at`.
 */
export class RowRunsOn extends InputError {
  constructor(file: string, line?: number) {
    super({ file, line }, line === undefined
      ? `a row runs on for more than ${MAX_ROW_BYTES >> 20} MiB (a quoted field not closed?)`
      : `the row that starts on this line runs on for more than ${MAX_ROW_BYTES >> 20} MiB (a quoted field not closed?)`);
  }

  /** This error at the line the row starts on. */
  at(line: number): InputError {
    return new RowRunsOn(this.file!, line);
  }
}

/**
 * Decodes blocks of whole rows, in order. The default decodes on this thread; Node passes one that
 * spreads the blocks over worker threads (decode-pool-node.ts). Each result's `lines` are
 * absolute, counted from the layout's `bodyLine`. A block is given to `recycle` once decoded.
 * With a `sample`, rows it no longer admits when their block is sent may be passed over unread
 * (RecordDecoder's `sampleBelow`) and only counted.
 */
export type BlockDecoding = (
  blocks: AsyncIterable<Uint8Array>, layout: TextLayout, request: DecodeRequest, recycle: (block: Uint8Array) => void, sample?: LineSample,
) => AsyncIterable<DecodedRows>;

/** A text stream's layout and its data rows, in blocks that start and end on row boundaries. */
export interface TextBlocks {
  layout: TextLayout;
  /**
   * Each block is a view of a buffer that holds no other block, so the buffer may be handed to
   * another thread; every block ends with an LF.
   */
  blocks: AsyncGenerator<Uint8Array>;
  /**
   * Gives a block's buffer back once nothing reads the block any more (decoded, its text copied
   * out), for a later block to be cut into: a reader that gives its blocks back allocates a few
   * buffers, not one per block.
   */
  recycle: (block: Uint8Array) => void;
}

/**
 * Reads the header of a byte stream, then cuts the rest into blocks of whole rows of about
 * `blockBytes`. Each chunk is copied as it comes, then given back ({@link giveChunk}) when it was
 * read into a chunk buffer.
 */
export async function openText(chunks: AsyncIterable<Uint8Array>, options: LayoutOptions, blockBytes = BLOCK_BYTES): Promise<TextBlocks> {
  const iterator = chunks[Symbol.asyncIterator]();
  const buffers = new BufferPool(Math.max(blockBytes * 2, 1 << 16));
  let buffer = buffers.take(0);
  let start = 0;
  let filled = 0;
  let done = false;
  const append = (piece: Uint8Array) => {
    if (filled + piece.length >= buffer.length) {
      const grown = buffers.take(Math.max(buffer.length * 2, filled - start + piece.length + 1));
      grown.set(buffer.subarray(start, filled));
      buffers.give(buffer);
      buffer = grown;
      filled -= start;
      start = 0;
    }
    buffer.set(piece, filled);
    filled += piece.length;
    giveChunk(piece);
  };
  const more = async (): Promise<boolean> => {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      return false;
    }
    append(next.value);
    return true;
  };
  let layout: TextLayout | null = null;
  try {
    while (layout === null) {
      if (!done) await more();
      layout = readLayout(buffer.subarray(0, filled), done, options);
    }
  } catch (error) {
    await iterator.return?.();
    throw error;
  }
  const { delimiter, quoted, file } = layout;
  start = layout.bodyStart;
  /** Hands `buffer[start, cut)` over as a block; what follows the cut moves to a buffer of its own. */
  const handOver = (cut: number): Uint8Array => {
    const block = buffer.subarray(start, cut);
    const next = buffers.take(filled - cut + 1);
    next.set(buffer.subarray(cut, filled));
    buffer = next;
    filled -= cut;
    start = 0;
    return block;
  };
  async function* blocks(): AsyncGenerator<Uint8Array> {
    let want = blockBytes;
    try {
      for (;;) {
        while (!done && filled - start < want) await more();
        if (done) {
          if (filled === start) return;
          if (buffer[filled - 1] !== LF) buffer[filled++] = LF;
          yield handOver(filled);
          return;
        }
        const cut = lastRowEnd(buffer, start, Math.min(filled, start + want), delimiter, quoted);
        if (cut === -1) {
          if (want >= MAX_ROW_BYTES) throw new RowRunsOn(file);
          want *= 2;
          continue;
        }
        want = blockBytes;
        if (filled - cut > want) {
          yield buffers.copy(buffer.subarray(start, cut));
          start = cut;
          continue;
        }
        yield handOver(cut);
      }
    } finally {
      await iterator.return?.();
    }
  }
  return { layout, blocks: blocks(), recycle: (block) => buffers.give(block) };
}

/**
 * Buffers of one standard size, given back and taken again; a larger one is made when asked and
 * left to the collector. A buffer is given back as any view of it; views of one that was moved to
 * another thread (detached) are ignored.
 */
class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  constructor(private readonly size: number) {}

  /** A buffer of at least `bytes` (and at least the standard size). */
  take(bytes: number): Uint8Array {
    if (bytes <= this.size) {
      const spare = this.free.pop();
      if (spare !== undefined) return new Uint8Array(spare);
    }
    return new Uint8Array(Math.max(this.size, bytes));
  }

  /** `bytes` copied into a buffer of the pool, as a view of their length. */
  copy(bytes: Uint8Array): Uint8Array {
    const out = this.take(bytes.length);
    out.set(bytes);
    return out.subarray(0, bytes.length);
  }

  give(view: Uint8Array): void {
    const buffer = view.buffer;
    if (buffer instanceof ArrayBuffer && buffer.byteLength === this.size && !this.free.includes(buffer)) this.free.push(buffer);
  }
}
