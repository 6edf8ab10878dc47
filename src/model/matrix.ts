/** A row-major matrix of features, one row per record. */
export interface Matrix32 {
  readonly values: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

/** The given rows of a row-major matrix `cols` wide, in the given order, as a new matrix. */
export function pickRows(values: Float32Array, cols: number, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * cols);
  for (let i = 0; i < rows.length; i++) out.set(values.subarray(rows[i] * cols, (rows[i] + 1) * cols), i * cols);
  return out;
}

/** Throws if any value is NaN or ±Infinity, naming the first such row and column. */
export function checkFinite(data: Matrix32, what = 'training data'): void {
  const { values, cols } = data;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      const row = Math.floor(i / cols);
      throw new Error(`${what}: row ${row + 1}, column ${(i % cols) + 1} is ${values[i]}; repair or drop such rows before training`);
    }
  }
}
