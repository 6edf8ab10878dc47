/**
 * A sample being drawn as a stream is read, as its reader sees it: a row whose key under `seed`
 * ({@link sampleKey} of the line it starts on) is at least `cut()` can no longer enter it, so the
 * reader may pass over it unread and only count it; of those, the rows whose keys are below
 * `linesCut()` (a larger sample's cut) are handed back as their lines. Cuts only fall as rows come.
 */
export interface LineSample {
  readonly seed: number;
  cut(): number;
  linesCut?(): number;
}

/**
 * A uniform sample of at most `rows` of a stream of rows, drawn without knowing how many will
 * come: each row gets a key, a hash of the line it starts on (its record number in columnar input)
 * and the seed, read as a number in [0, 1), and the sample is the `rows` rows with the smallest
 * keys (ties to the earlier row), kept in stream order. Every subset of `rows` rows is equally
 * likely to have the smallest keys, so the sample is uniform; it depends on the seed and each
 * row's line, not on how the stream was cut into blocks or chunks, nor on the rows passed over.
 *
 * Rows held are bounded: once more than a limit are held (a small multiple of `rows`, the
 * caller's), the keys are cut at the `rows`-th smallest and the rows above it let go; a row whose
 * key is above the cut is never held, and its reader may pass over it unread ({@link LineSample}).
 */
export class RowSample implements LineSample {
  /** Rows whose key is at least this are not in the sample. */
  private below = Infinity;

  constructor(readonly rows: number, readonly seed: number) {
    if (!Number.isInteger(rows) || rows < 1) throw new Error(`a sample holds a whole number of rows ≥ 1, got ${rows}`);
  }

  cut(): number {
    return this.below;
  }

  /** The keys of rows starting on `lines`. */
  keysOf(lines: Int32Array): Float64Array {
    const keys = new Float64Array(lines.length);
    for (let i = 0; i < lines.length; i++) keys[i] = sampleKey(lines[i], this.seed);
    return keys;
  }

  /** Whether a row of key `key` can still be in the sample. */
  admits(key: number): boolean {
    return key < this.below;
  }

  /**
   * Given the keys of every row held, in stream order, the places of those to keep: all of them
   * while there are at most `limit`, else the `rows` smallest, and the cut moves down to the
   * largest key kept.
   */
  keep(keys: Float64Array, limit: number): Int32Array | null {
    if (keys.length <= limit) return null;
    const last = smallest(keys.slice(), this.rows - 1);
    let ties = this.rows;
    for (const key of keys) if (key < last) ties--;
    const kept = new Int32Array(this.rows);
    let n = 0;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (key < last || (key === last && ties-- > 0)) kept[n++] = i;
    }
    this.below = last;
    return kept;
  }
}

/**
 * The last row of a sample drawn by keys (the one with the largest key, the latest line of those
 * with that key): a row is in the sample when its key is below `key`, or equal to it on a line no
 * later than `line`.
 */
export interface SampleEdge {
  key: number;
  line: number;
}

/** Whether a sample of edge `edge` (null: a sample of every row) holds the row on `line` of key `key`. */
export function withinEdge(edge: SampleEdge | null, key: number, line: number): boolean {
  return edge === null || key < edge.key || (key === edge.key && line <= edge.line);
}

/**
 * The edge of a sample of `rows` drawn as a {@link RowSample} draws it, from the lines of the rows
 * it may hold, given as they come (their keys and lines alone held, at most 1.5 times `rows` of
 * them, 12 bytes each): what a read
 * that draws a smaller sample learns of a larger one under the same seed, so that a second read
 * can decode the larger sample's rows alone. Its cut is that of the draw: a row above it is not
 * in the sample, and need not be given.
 */
export class SampleEdgeFinder {
  private readonly draw: RowSample;
  private keys = new Float64Array(1024);
  private lines = new Int32Array(1024);
  private held = 0;
  private readonly limit: number;

  constructor(rows: number, seed: number) {
    this.draw = new RowSample(rows, seed);
    this.limit = Math.ceil(1.5 * rows);
  }

  cut(): number {
    return this.draw.cut();
  }

  /** Gives rows, by the lines they start on, in file order. */
  add(lines: Int32Array): void {
    const { seed } = this.draw;
    for (let i = 0; i < lines.length; i++) {
      const key = sampleKey(lines[i], seed);
      if (!this.draw.admits(key)) continue;
      if (this.held === this.keys.length) this.grow();
      this.keys[this.held] = key;
      this.lines[this.held++] = lines[i];
      if (this.held > this.limit) this.keep(this.limit);
    }
  }

  /** The sample's edge once every row was given, or null when the sample holds every row. */
  edge(): SampleEdge | null {
    this.keep(this.draw.rows);
    if (this.draw.cut() === Infinity) return null;
    const edge = { key: -Infinity, line: 0 };
    for (let i = 0; i < this.held; i++) {
      if (this.keys[i] > edge.key || (this.keys[i] === edge.key && this.lines[i] > edge.line)) [edge.key, edge.line] = [this.keys[i], this.lines[i]];
    }
    return edge;
  }

  private keep(limit: number): void {
    const kept = this.draw.keep(this.keys.subarray(0, this.held), limit);
    if (kept === null) return;
    for (let k = 0; k < kept.length; k++) {
      this.keys[k] = this.keys[kept[k]];
      this.lines[k] = this.lines[kept[k]];
    }
    this.held = kept.length;
  }

  private grow(): void {
    const n = Math.min(2 * this.keys.length, this.limit + 1);
    const [keys, lines] = [new Float64Array(n), new Int32Array(n)];
    keys.set(this.keys);
    lines.set(this.lines);
    [this.keys, this.lines] = [keys, lines];
  }
}

/**
 * The value that would sit at `rank` (from 0) were `values` sorted ascending, found by
 * partitioning `values` in place (Hoare's selection): linear time on average, where sorting the
 * keys of a sample took the most of its cut.
 */
function smallest(values: Float64Array, rank: number): number {
  let low = 0;
  let high = values.length - 1;
  while (low < high) {
    const pivot = values[(low + high) >>> 1];
    let i = low;
    let j = high;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i++] = values[j];
        values[j--] = t;
      }
    }
    if (rank <= j) high = j;
    else if (rank >= i) low = i;
    else return values[rank];
  }
  return values[rank];
}

/** The key of the row on line `row` under `seed`: two rounds of a 32-bit integer mix, as a number in [0, 1) with 53 bits. */
export function sampleKey(row: number, seed: number): number {
  const high = mix(Math.imul(row >>> 0, 0x9e3779b1) ^ mix(seed ^ Math.floor(row / 2 ** 32)));
  const low = mix(high ^ 0x85ebca6b);
  return ((high >>> 0) * 2 ** 21 + (low >>> 11)) / 2 ** 53;
}

/** The finalising mix of MurmurHash3: every input bit moves every output bit. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
