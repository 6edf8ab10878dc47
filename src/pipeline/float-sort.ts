/** Below this many values the built-in sort is as fast, and needs no scratch space. */
const SMALL = 1024;
const DIGITS = 65536;

/**
 * Sorts float64 values other than NaN in place, ascending, into exactly the order of
 * `Float64Array.prototype.sort` (−0 before +0), by a least-significant-digit radix sort on the
 * values' bits: about twice as fast as the built-in sort on the columns that fitting sorts.
 *
 * Each value's 64 bits become an unsigned key that orders as the value does: a negative value's
 * bits are all inverted, a positive value's sign bit is set. The keys are then stably sorted by
 * each 16-bit digit in turn, from the lowest; a digit that every key shares is skipped. The keys
 * are turned back into values at the end.
 */
export function sortFloat64(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < SMALL) return values.sort();
  const words = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
  const counts = new Uint32Array(4 * DIGITS);
  for (let i = 0; i < 2 * n; i += 2) {
    let lo = words[i];
    let hi = words[i + 1];
    if (hi & 0x80000000) {
      lo = ~lo >>> 0;
      hi = ~hi >>> 0;
    } else {
      hi = (hi | 0x80000000) >>> 0;
    }
    words[i] = lo;
    words[i + 1] = hi;
    counts[lo & 0xffff]++;
    counts[DIGITS + (lo >>> 16)]++;
    counts[2 * DIGITS + (hi & 0xffff)]++;
    counts[3 * DIGITS + (hi >>> 16)]++;
  }
  let from: Uint32Array = words;
  let to: Uint32Array = new Uint32Array(2 * n);
  for (let digit = 0; digit < 4; digit++) {
    const base = digit * DIGITS;
    if (!startsOfBuckets(counts, base, n)) continue;
    const word = digit >> 1;
    const shift = (digit & 1) * 16;
    for (let i = 0; i < 2 * n; i += 2) {
      const at = 2 * counts[base + ((from[i + word] >>> shift) & 0xffff)]++;
      to[at] = from[i];
      to[at + 1] = from[i + 1];
    }
    [from, to] = [to, from];
  }
  if (from !== words) words.set(from);
  for (let i = 0; i < 2 * n; i += 2) {
    if (words[i + 1] & 0x80000000) {
      words[i + 1] &= 0x7fffffff;
    } else {
      words[i] = ~words[i];
      words[i + 1] = ~words[i + 1];
    }
  }
  return values;
}

/**
 * Turns one digit's counts, `counts[base, base + DIGITS)`, into where each digit's bucket starts;
 * false (counts left as they are) when all `n` keys share the digit, so sorting by it would move nothing.
 */
function startsOfBuckets(counts: Uint32Array, base: number, n: number): boolean {
  let sum = 0;
  for (let d = base; d < base + DIGITS; d++) {
    const c = counts[d];
    if (c === n) return false;
    counts[d] = sum;
    sum += c;
  }
  return true;
}
