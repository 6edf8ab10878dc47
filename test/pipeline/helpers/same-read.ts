import { expect } from 'vitest';
import type { ReadResult } from '../../../src/pipeline/io';

/**
 * Expects two reads of a file to be the same: format, blank rows, each row's line, and the same
 * columns in the same order, each of the same type (Float64Array or strings) with the same values
 * (NaN and -0 told apart). Their file names may differ.
 */
export function expectSameRead(got: ReadResult, expected: ReadResult): void {
  expect({ format: got.format, unit: got.unit, blankRows: got.blankRows }).toEqual({ format: expected.format, unit: expected.unit, blankRows: expected.blankRows });
  expect(Array.from(got.lines)).toEqual(Array.from(expected.lines));
  expect(got.table.columnNames()).toEqual(expected.table.columnNames());
  for (const name of expected.table.columnNames()) {
    const [a, b] = [got.table.array(name) as ArrayLike<unknown>, expected.table.array(name) as ArrayLike<unknown>];
    expect(a.constructor, name).toBe(b.constructor);
    const [av, bv] = [Array.from(a), Array.from(b)];
    expect(av.length, name).toBe(bv.length);
    const differ = av.findIndex((v, i) => !Object.is(v, bv[i]));
    expect(differ, `${name}: first row that differs`).toBe(-1);
  }
}
