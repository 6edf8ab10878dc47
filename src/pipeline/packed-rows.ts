import type { FittedFeatures } from './features';

/**
 * A packed row holds what a dense row of the feature matrix is made from, in fewer bytes: the
 * numeric features' values (f32), then per categorical column the place its value sets in the
 * dense row (u32), or {@link NO_SLOT} when it sets none. NSL-KDD's 78 fitted features (36
 * numeric, 3 categorical) pack into 39 words. A packed row is expanded back into the dense row
 * by copying bits, with no arithmetic: the numeric words as they are, and at each set place the
 * value the dense row holds there (1, or the category's gain once weighted).
 */

/** The word of a categorical column whose value sets no place. */
export const NO_SLOT = 0xffff_ffff;

/** How packed rows of some fitted features map onto their dense rows. */
export interface PackedLayout {
  /** Features in a dense row. */
  readonly width: number;
  /** Numeric features: the first words of a packed row and the first features of a dense one. */
  readonly numeric: number;
  /** Words in a packed row: the numeric features, then one per categorical column. */
  readonly words: number;
  /** Per dense feature, the packed word it is read from. */
  readonly wordOf: Uint32Array;
  /** Per dense feature, the bits of its value where its category is present (0 for a numeric feature). */
  readonly hot: Uint32Array;
}

/** The packed layout of `features`' rows. */
export function packedLayout(features: FittedFeatures): PackedLayout {
  const numeric = features.numeric.length;
  const wordOf = new Uint32Array(features.width);
  const hot = new Uint32Array(features.width);
  for (let c = 0; c < numeric; c++) wordOf[c] = c;
  features.categorical.forEach((f, k) => {
    const bits = new Uint32Array(f.hot.buffer, f.hot.byteOffset, f.hot.length);
    wordOf.fill(numeric + k, f.base, f.base + f.hot.length);
    hot.set(bits, f.base);
  });
  return { width: features.width, numeric, words: numeric + features.categorical.length, wordOf, hot };
}

/**
 * Dense rows from `rows` packed rows: the CPU's expansion, which the GPU's (src/shaders/expand.wgsl)
 * is checked against. `packed` holds the rows' words; the result is the rows' features.
 */
export function expandRows(packed: Uint32Array, rows: number, layout: PackedLayout): Float32Array {
  const { width, numeric, words, wordOf, hot } = layout;
  if (packed.length < rows * words) throw new Error(`${packed.length} words are not ${rows} packed rows of ${words}`);
  const out = new Uint32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const from = r * words;
    const to = r * width;
    for (let c = 0; c < numeric; c++) out[to + c] = packed[from + c];
    for (let c = numeric; c < width; c++) {
      if (packed[from + wordOf[c]] === c) out[to + c] = hot[c];
    }
  }
  return new Float32Array(out.buffer);
}
