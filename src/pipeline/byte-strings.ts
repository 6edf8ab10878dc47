const utf8 = new TextDecoder('utf-8');

/** The 32-bit FNV-1a hash of bytes starts from this… */
export const FNV_OFFSET = 0x811c9dc5 | 0;
/** …and takes each byte in with `Math.imul(hash ^ byte, FNV_PRIME)`. */
export const FNV_PRIME = 0x01000193;

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

  /** Whether the table holds as many entries as it keeps: a text not in it is not added. */
  get full(): boolean {
    return this.values.length >= this.maxEntries;
  }

  /** The text of `bytes[start, end)`. */
  get(bytes: Uint8Array, start: number, end: number): string {
    const entry = this.entry(bytes, start, end);
    return entry === -1 ? decodeBytes(bytes, start, end) : this.values[entry];
  }

  /**
   * The entry of `bytes[start, end)`, added when new: a small number per distinct text, from 0
   * up, whose text is {@link text}. -1 when the bytes are too long to keep or the table is full.
   */
  entry(bytes: Uint8Array, start: number, end: number): number {
    if (end - start > this.maxBytes) return -1;
    let hash = FNV_OFFSET;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i], FNV_PRIME);
    return this.find(bytes, start, end, hash);
  }

  /** {@link entry}, given the bytes' hash: `FNV_OFFSET`, then for each byte `Math.imul(hash ^ byte, FNV_PRIME)`. */
  find(bytes: Uint8Array, start: number, end: number, hash: number): number {
    const length = end - start;
    if (length > this.maxBytes) return -1;
    const { table, hashes, starts, lengths, arena } = this;
    const mask = table.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = table[slot];
      if (entry === -1) {
        if (this.values.length >= this.maxEntries) return -1;
        const added = this.add(hash, bytes, start, length, decodeBytes(bytes, start, end));
        table[slot] = added;
        if (this.values.length * 2 > table.length) this.rehash();
        return added;
      }
      if (hashes[entry] === hash && lengths[entry] === length && same(arena, starts[entry], bytes, start, length)) return entry;
    }
  }

  /** The text of an entry from {@link entry}. */
  text(entry: number): string {
    return this.values[entry];
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
