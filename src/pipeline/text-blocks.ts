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
  /** Each block is a Uint8Array of its own (it may be handed to another thread). */
  blocks: AsyncGenerator<Uint8Array>;
}

/** Reads the header of a byte stream, then cuts the rest into blocks of whole rows of about `blockBytes`. */
export async function openText(chunks: AsyncIterable<Uint8Array>, options: LayoutOptions, blockBytes = BLOCK_BYTES): Promise<TextBlocks> {
  const iterator = chunks[Symbol.asyncIterator]();
  let buffer = new Uint8Array(Math.max(blockBytes * 2, 1 << 16));
  let filled = 0;
  let done = false;
  const append = (piece: Uint8Array) => {
    if (filled + piece.length > buffer.length) {
      const grown = new Uint8Array(Math.max(buffer.length * 2, filled + piece.length));
      grown.set(buffer.subarray(0, filled));
      buffer = grown;
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
  let start = layout.bodyStart;
  async function* blocks(): AsyncGenerator<Uint8Array> {
    let want = blockBytes;
    try {
      for (;;) {
        while (!done && filled - start < want) await more();
        if (done) {
          if (filled > start) yield withFinalLF(buffer.subarray(start, filled));
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
          yield buffer.slice(start, cut);
          start = cut;
          continue;
        }
        const block = buffer.subarray(start, cut);
        const next = new Uint8Array(Math.max(buffer.length, (filled - cut) * 2));
        next.set(buffer.subarray(cut, filled));
        filled -= cut;
        start = 0;
        buffer = next;
        yield block.byteOffset === 0 ? block : block.slice();
      }
    } finally {
      await iterator.return?.();
    }
  }
  return { layout, blocks: blocks() };
}

/** The bytes, ending with an LF: the last row of a file may lack one, and the decoder relies on it. */
export function withFinalLF(bytes: Uint8Array): Uint8Array {
  if (bytes.length > 0 && bytes[bytes.length - 1] === LF) return bytes.slice();
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  out[bytes.length] = LF;
  return out;
}
