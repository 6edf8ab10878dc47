/**
 * A uniform sample of at most `rows` of a stream of rows, drawn without knowing how many will
 * come: each row gets a key, a hash of its place in the stream and the seed read as a number in
 * [0, 1), and the sample is the `rows` rows with the smallest keys (ties to the earlier row), kept
 * in stream order. Every subset of `rows` rows is equally likely to have the smallest keys, so
 * the sample is uniform; it depends on the seed and each row's place, not on how the stream was
 * cut into chunks.
 *
 * Rows held are bounded: once more than a limit are held (a small multiple of `rows`, the
 * caller's), the keys are cut at the `rows`-th smallest and the rows above it let go; a row whose
 * key is above the cut is never held.
 */
export class RowSample {
  private seen = 0;
  /** Rows whose key is at least this are not in the sample. */
  private cut = Infinity;

  constructor(readonly rows: number, private readonly seed: number) {
    if (!Number.isInteger(rows) || rows < 1) throw new Error(`a sample holds a whole number of rows ≥ 1, got ${rows}`);
  }

  /** Rows met so far. */
  get total(): number {
    return this.seen;
  }

  /** The keys of the next `count` rows of the stream. */
  next(count: number): Float64Array {
    const keys = new Float64Array(count);
    for (let i = 0; i < count; i++) keys[i] = sampleKey(this.seen + i, this.seed);
    this.seen += count;
    return keys;
  }

  /** Whether a row of key `key` can still be in the sample. */
  admits(key: number): boolean {
    return key < this.cut;
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
    this.cut = last;
    return kept;
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

/** Keys drawn at a time by {@link sampleMembers}. */
const KEY_BLOCK = 1 << 16;

/**
 * The sample a {@link RowSample} of `rows` draws from a stream of `total` rows, as a test to put
 * to the same rows again: called once for each place 0, 1, … in order, it says whether that row
 * is in the sample. Computed from the keys alone, at most twice `rows` of them held at a time.
 */
export function sampleMembers(total: number, rows: number, seed: number): (place: number) => boolean {
  if (total <= rows) return () => true;
  const sample = new RowSample(rows, seed);
  let held = new Float64Array(0);
  for (let first = 0; first < total; first += KEY_BLOCK) {
    const keys = sample.next(Math.min(KEY_BLOCK, total - first)).filter((key) => sample.admits(key));
    const joined = new Float64Array(held.length + keys.length);
    joined.set(held);
    joined.set(keys, held.length);
    held = joined;
    const kept = sample.keep(held, 2 * rows);
    if (kept !== null) held = Float64Array.from(kept, (i) => held[i]);
  }
  const kept = sample.keep(held, rows);
  if (kept !== null) held = Float64Array.from(kept, (i) => held[i]);
  let last = -Infinity;
  let ties = 0;
  for (const key of held) {
    if (key > last) [last, ties] = [key, 1];
    else if (key === last) ties++;
  }
  return (place) => {
    const key = sampleKey(place, seed);
    return key < last || (key === last && ties-- > 0);
  };
}

/** Row `row`'s key under `seed`: two rounds of a 32-bit integer mix, as a number in [0, 1) with 53 bits. */
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
