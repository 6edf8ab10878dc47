import { InputError } from './errors';
import { readLayout, type LayoutOptions, type TextLayout } from './text-layout';
import { LF, lastRowEnd } from './text-rows';

/** Blocks of whole rows are about this long (1 MiB): long enough that handing one over costs little. */
export const BLOCK_BYTES = 1 << 20;

/** A row longer than this is taken for an unclosed quote. */
const MAX_ROW_BYTES = 64 << 20;

/** A text stream's layout and its data rows, in blocks that start and end on row boundaries. */
export interface TextBlocks {
  layout: TextLayout;
  /**
   * Each block is a view: of a buffer of its own, or of a chunk of the input as it came (a chunk of
   * a block or more is not copied). To hand a block's buffer to another thread, copy it unless it
   * spans its whole buffer.
   */
  blocks: AsyncGenerator<Uint8Array>;
}

/** Reads the header of a byte stream, then cuts the rest into blocks of whole rows of about `blockBytes`. */
export async function openText(chunks: AsyncIterable<Uint8Array>, options: LayoutOptions, blockBytes = BLOCK_BYTES): Promise<TextBlocks> {
  const iterator = chunks[Symbol.asyncIterator]();
  let buffer: Uint8Array = new Uint8Array(Math.max(blockBytes * 2, 1 << 16));
  let filled = 0;
  /** Where the bytes not yet handed out start. */
  let start = 0;
  /** Whether `buffer` is a chunk of the input as it came, never written to: blocks are cut from it as views. */
  let borrowed = false;
  let done = false;
  const append = (piece: Uint8Array) => {
    if (filled === start && piece.length >= blockBytes) {
      buffer = new Uint8Array(piece.buffer, piece.byteOffset, piece.length);
      start = 0;
      filled = piece.length;
      borrowed = true;
      return;
    }
    if (borrowed || filled + piece.length > buffer.length) {
      const grown = new Uint8Array(Math.max(blockBytes * 2, (filled - start + piece.length) * 2));
      grown.set(buffer.subarray(start, filled));
      filled -= start;
      start = 0;
      buffer = grown;
      borrowed = false;
    }
    buffer.set(piece, filled);
    filled += piece.length;
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
  while (layout === null) {
    if (!done) await more();
    layout = readLayout(buffer.subarray(0, filled), done, options);
  }
  const { delimiter, quoted, file } = layout;
  start = layout.bodyStart;
  async function* blocks(): AsyncGenerator<Uint8Array> {
    let want = blockBytes;
    try {
      for (;;) {
        while (!done && filled - start < want) await more();
        if (done) {
          if (filled > start) yield withFinalLF(buffer.subarray(start, filled), borrowed);
          return;
        }
        const cut = lastRowEnd(buffer, start, Math.min(filled, start + want), delimiter, quoted);
        if (cut === -1) {
          if (want > MAX_ROW_BYTES) {
            throw new InputError({ file }, `a row runs on for more than ${MAX_ROW_BYTES >> 20} MiB (a quoted field not closed?)`);
          }
          want *= 2;
          continue;
        }
        want = blockBytes;
        if (filled - cut > want) {
          yield borrowed ? buffer.subarray(start, cut) : buffer.slice(start, cut);
          start = cut;
          continue;
        }
        const block = buffer.subarray(start, cut);
        const next = new Uint8Array(Math.max(blockBytes * 2, (filled - cut) * 2));
        next.set(buffer.subarray(cut, filled));
        filled -= cut;
        start = 0;
        buffer = next;
        const asView = borrowed || block.byteOffset === 0;
        borrowed = false;
        yield asView ? block : block.slice();
      }
    } finally {
      await iterator.return?.();
    }
  }
  return { layout, blocks: blocks() };
}

/**
 * The bytes, ending with an LF: the last row of a file may lack one, and the decoder relies on it.
 * A copy, unless `asView` and they already end with one.
 */
export function withFinalLF(bytes: Uint8Array, asView = false): Uint8Array {
  if (bytes.length > 0 && bytes[bytes.length - 1] === LF) return asView ? bytes : bytes.slice();
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  out[bytes.length] = LF;
  return out;
}
