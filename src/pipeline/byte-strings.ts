const utf8 = new TextDecoder('utf-8');

/**
 * UTF-8 bytes as a string, invalid sequences as U+FFFD (as `TextDecoder` does for a whole file:
 * a field is cut at ASCII bytes, which never continue a multi-byte sequence, so decoding field by
 * field gives the same text as decoding the file).
 */
export function decodeBytes(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 32) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (bytes[i] >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  }
  return utf8.decode(bytes.subarray(start, end));
}

/**
 * Interns the text of short byte strings: the same bytes give the same string object, found by a
 * hash of the bytes without decoding them again. A column's categories or labels take a few
 * entries; a column of ids fills the table, after which new strings are decoded and not kept.
 */
export class ByteStrings {
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private table = new Int32Array(64).fill(-1);
  private hashes = new Int32Array(32);
  private starts = new Int32Array(32);
  private lengths = new Int32Array(32);
  private readonly values: string[] = [];
  private arena = new Uint8Array(1024);
  private used = 0;

  constructor(maxEntries = 4096, maxBytes = 64) {
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
  }

  /** The text of `bytes[start, end)`. */
  get(bytes: Uint8Array, start: number, end: number): string {
    const length = end - start;
    if (length > this.maxBytes) return decodeBytes(bytes, start, end);
    let hash = 0x811c9dc5 | 0;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
    const { table, hashes, starts, lengths, arena } = this;
    const mask = table.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = table[slot];
      if (entry === -1) {
        const text = decodeBytes(bytes, start, end);
        if (this.values.length < this.maxEntries) {
          table[slot] = this.add(hash, bytes, start, length, text);
          if (this.values.length * 2 > table.length) this.rehash();
        }
        return text;
      }
      if (hashes[entry] === hash && lengths[entry] === length && same(arena, starts[entry], bytes, start, length)) {
        return this.values[entry];
      }
    }
  }

  private add(hash: number, bytes: Uint8Array, start: number, length: number, text: string): number {
    const entry = this.values.length;
    if (entry === this.hashes.length) {
      this.hashes = grow(this.hashes);
      this.starts = grow(this.starts);
      this.lengths = grow(this.lengths);
    }
    if (this.used + length > this.arena.length) {
      const arena = new Uint8Array(Math.max(this.arena.length * 2, this.used + length));
      arena.set(this.arena.subarray(0, this.used));
      this.arena = arena;
    }
    this.arena.set(bytes.subarray(start, start + length), this.used);
    this.hashes[entry] = hash;
    this.starts[entry] = this.used;
    this.lengths[entry] = length;
    this.values.push(text);
    this.used += length;
    return entry;
  }

  /** A table twice the size, so it stays at most half full. */
  private rehash(): void {
    const table = new Int32Array(this.table.length * 2).fill(-1);
    const mask = table.length - 1;
    for (let entry = 0; entry < this.values.length; entry++) {
      let slot = this.hashes[entry] & mask;
      while (table[slot] !== -1) slot = (slot + 1) & mask;
      table[slot] = entry;
    }
    this.table = table;
  }
}

function grow(array: Int32Array): Int32Array<ArrayBuffer> {
  const out = new Int32Array(array.length * 2);
  out.set(array);
  return out;
}

function same(a: Uint8Array, at: number, b: Uint8Array, bt: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[at + i] !== b[bt + i]) return false;
  return true;
}
