import { describe, expect, it } from 'vitest';
import { rowsTheDeviceHolds } from '../../src/app/detector/fit';

/** A matrix whose row i holds i, i + 0.5 and −i, so that a row says where it came from. */
function numbered(rows: number): { values: Float32Array; rows: number; cols: number } {
  const values = new Float32Array(rows * 3);
  for (let i = 0; i < rows; i++) values.set([i, i + 0.5, -i], i * 3);
  return { values, rows, cols: 3 };
}

describe('rowsTheDeviceHolds', () => {
  it('keeps every row, and says nothing, when they fit in one buffer', () => {
    const matrix = numbered(100);
    const held = rowsTheDeviceHolds(100 * 3 * 4, matrix, 1);
    expect(held.matrix).toBe(matrix);
    expect(held.notes).toEqual([]);
  });

  it('keeps as many whole rows as fit, in their order, and says how many of how many', () => {
    const held = rowsTheDeviceHolds(40 * 3 * 4 + 11, numbered(1000), 7);
    expect(held.matrix.rows).toBe(40);
    expect(held.matrix.values.length).toBe(40 * 3);
    const firsts: number[] = [];
    for (let r = 0; r < 40; r++) {
      const [a, b, c] = held.matrix.values.subarray(r * 3, r * 3 + 3);
      expect([b, c]).toEqual([a + 0.5, -a]);
      firsts.push(a);
    }
    expect(firsts).toEqual([...firsts].sort((x, y) => x - y));
    expect(new Set(firsts).size).toBe(40);
    expect(held.notes).toEqual([expect.stringMatching(/uniform sample of 40 of the 1,000 normal rows: this device holds at most 491 bytes in one buffer, 40 rows of 3 features/)]);
  });

  it('draws each row about equally often over seeds, and the same rows for the same seed', () => {
    const rows = 50;
    const kept = new Array(rows).fill(0);
    const seeds = 4000;
    for (let seed = 0; seed < seeds; seed++) {
      const held = rowsTheDeviceHolds(10 * 3 * 4, numbered(rows), seed);
      for (let r = 0; r < 10; r++) kept[held.matrix.values[r * 3]]++;
    }
    // Each row is kept with probability 1/5: 800 of 4,000 times, standard deviation √(4000 · 0.2 · 0.8) ≈ 25.
    for (const times of kept) expect(Math.abs(times - 800)).toBeLessThan(125);
    expect(rowsTheDeviceHolds(120, numbered(rows), 3).matrix.values).toEqual(rowsTheDeviceHolds(120, numbered(rows), 3).matrix.values);
  });
});
