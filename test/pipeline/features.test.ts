import { table } from 'arquero';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/pipeline/errors';
import { DEFAULT_BOUND, fitFeatures, FittedFeatures, mergeReports } from '../../src/pipeline/features';
import { sameBytes } from './helpers/same-bytes';

const fitRows = table({
  x: Float64Array.from([0, 2, 4, 10]),
  c: ['a', 'b', 'a', 'c'],
  k: Float64Array.from([7, 7, 7, 7]),
  s: ['z', 'z', 'z', 'z'],
});
const newRows = table({
  x: Float64Array.from([5, NaN, Infinity, -Infinity, 20, -5]),
  c: ['a', 'b', 'c', 'd', 'a', 'a'],
  k: Float64Array.from([7, 7, 7, 7, 7, 1]),
  s: ['z', 'z', 'z', 'z', 'z', 'y'],
});
const spec = { numeric: ['x', 'k'], categorical: ['c', 's'] };

function rowsOf(matrix: Float32Array, width: number): number[][] {
  return Array.from({ length: matrix.length / width }, (_, r) => Array.from(matrix.subarray(r * width, (r + 1) * width)));
}

describe('fitFeatures', () => {
  it('one-hot encodes with an unseen slot, drops constant columns and names the outputs', () => {
    const fitted = fitFeatures(fitRows, spec);
    expect(fitted.names).toEqual(['x', 'c=a', 'c=b', 'c=c', 'c=<unseen>']);
    expect(fitted.width).toBe(5);
    expect(fitted.dropped.map((d) => d.column)).toEqual(['k', 's']);
    const out = fitted.transform(newRows);
    expect(out.rows).toBe(6);
    expect(rowsOf(out.matrix, 5).map((r) => r.slice(1))).toEqual([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
      [1, 0, 0, 0],
      [1, 0, 0, 0],
    ]);
  });

  it('scales min-max and repairs: missing → median, +Infinity → max, −Infinity → min, counting each', () => {
    const fitted = fitFeatures(fitRows, spec, { scaling: 'minmax' });
    const out = fitted.transform(newRows);
    expect(rowsOf(out.matrix, 5).map((r) => r[0])).toEqual([0.5, 0.3, 1, 0, 2, -0.5].map(Math.fround));
    expect(out.report).toEqual({
      rows: 6,
      repaired: 3,
      clipped: 0,
      unseen: 1,
      columns: { x: { missing: 1, infinite: 2, clipped: 0, unseen: 0 }, c: { missing: 0, infinite: 0, clipped: 0, unseen: 1 } },
    });
    expect(out.matrix.some(Number.isNaN)).toBe(false);
  });

  it('scales standard: mean 0, population standard deviation 1 over the fitting rows, the bound (in deviations) becoming ±1', () => {
    const fitted = fitFeatures(fitRows, spec, { scaling: 'standard', clip: 2 });
    const out = fitted.transform(fitRows);
    const sd = Math.sqrt((16 + 4 + 0 + 36) / 4);
    expect(rowsOf(out.matrix, 5).map((r) => r[0])).toEqual([-4 / sd / 2, -2 / sd / 2, 0, 6 / sd / 2].map(Math.fround));
    expect(fitted.bound).toBe(2);
  });

  it('applies a signed log1p before scaling', () => {
    const rows = table({ y: Float64Array.from([0, Math.E - 1, Math.E ** 2 - 1]) });
    const fitted = fitFeatures(rows, { numeric: ['y'], categorical: [], log1p: ['y'] }, { scaling: 'minmax' });
    const out = fitted.transform(table({ y: Float64Array.from([Math.E - 1, -(Math.E - 1)]) }));
    expect(out.matrix[0]).toBeCloseTo(0.5, 6);
    expect(out.matrix[1]).toBeCloseTo(-0.5, 6);
  });

  it('repairs ±Infinity on a log1p column with the fitted max and min, which are already in log space', () => {
    const rows = table({ y: Float64Array.from([0, Math.E - 1, Math.E ** 2 - 1]) });
    const fitted = fitFeatures(rows, { numeric: ['y'], categorical: [], log1p: ['y'] }, { scaling: 'minmax' });
    const out = fitted.transform(table({ y: Float64Array.from([Infinity, -Infinity, NaN]) }));
    expect(out.matrix[0]).toBeCloseTo(1, 6);
    expect(out.matrix[1]).toBeCloseTo(0, 6);
    expect(out.matrix[2]).toBeCloseTo(0.5, 6);
    expect(out.report.columns.y).toEqual({ missing: 1, infinite: 2, clipped: 0, unseen: 0 });
  });

  it('drops a column with no finite value in the fitting rows, saying why, and does not need it later', () => {
    const rows = table({
      x: Float64Array.from([1, 2, 3]),
      z: Float64Array.from([NaN, Infinity, -Infinity]),
    });
    const fitted = fitFeatures(rows, { numeric: ['x', 'z'], categorical: [] }, { scaling: 'minmax' });
    expect(fitted.names).toEqual(['x']);
    expect(fitted.dropped).toEqual([{ column: 'z', reason: 'no finite value in the fitting rows' }]);
    const out = fitted.transform(table({ x: Float64Array.from([2]) }));
    expect(Array.from(out.matrix)).toEqual([0.5]);
  });

  it('clips scaled values and counts the clipping', () => {
    const fitted = fitFeatures(fitRows, spec, { scaling: 'minmax', clip: 1 });
    const out = fitted.transform(newRows);
    expect(rowsOf(out.matrix, 5).map((r) => r[0])).toEqual([0.5, 0.3, 1, 0, 1, -0.5].map(Math.fround));
    expect(out.report.columns.x.clipped).toBe(1);
  });

  it('keeps the most frequent categories (ties by name) when capped, the rest go to the unseen slot', () => {
    const fitted = fitFeatures(fitRows, { ...spec, maxCategories: 2 });
    expect(fitted.names).toEqual(['x', 'c=a', 'c=b', 'c=<unseen>']);
    expect(fitted.transform(newRows).report.columns.c.unseen).toBe(2);
  });

  it('refuses to fit on zero rows', () => {
    expect(() => fitFeatures(fitRows.filter(() => false), spec)).toThrow('zero rows');
  });
});

describe('robust defaults', () => {
  it('puts heavy-tailed columns through signed log1p on its own, and leaves rates and small counts alone', () => {
    const n = 1000;
    const rows = table({
      bytes: Float64Array.from({ length: n }, (_, i) => (i === 0 ? 1e7 : 100 + (i % 50))),
      rate: Float64Array.from({ length: n }, (_, i) => (i % 10) / 10),
      logins: Float64Array.from({ length: n }, (_, i) => i % 5),
    });
    const fitted = fitFeatures(rows, { numeric: ['bytes', 'rate', 'logins'], categorical: [] }, { scaling: 'minmax' });
    expect(fitted.log1p).toEqual(['bytes']);
    const out = fitted.transform(rows);
    expect(out.matrix[0]).toBeCloseTo(1, 6);
    expect(out.matrix[3]).toBeCloseTo((Math.log1p(101) - Math.log1p(100)) / (Math.log1p(1e7) - Math.log1p(100)), 6);
  });

  it('fits each scaling\'s statistics as the built-in sort of the finite values gives them, for signed, zero-heavy and heavy-tailed columns', () => {
    const n = 5000;
    let s = 7;
    const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const columns: Record<string, Float64Array> = {
      // Large negative magnitudes beside many small positive ones: the negatives, read backwards, decide the median magnitude.
      signed: Float64Array.from({ length: n }, () => { const r = u(); return r < 0.3 ? -Math.floor(u() * 1e6) : r < 0.4 ? -0 : r < 0.5 ? 0 : r < 0.52 ? NaN : u() * 3; }),
      sparse: Float64Array.from({ length: n }, () => (u() < 0.9 ? 0 : Math.floor(u() * 50))),
      even: Float64Array.from({ length: 2000 }, (_, i) => (i < 1000 ? -(i % 7) : (i % 11) * 1e3)),
    };
    const slog = (v: number) => (v === 0 ? v : Math.sign(v) * Math.log1p(Math.abs(v)));
    const q = (a: number[], p: number) => {
      const at = (a.length - 1) * p;
      const i = Math.floor(at);
      const f = at - i;
      return f === 0 || i + 1 >= a.length ? a[i] : a[i] * (1 - f) + a[i + 1] * f;
    };
    const byValue = (values: number[]) => Array.from(Float64Array.from(values).sort());
    for (const [column, values] of Object.entries(columns)) {
      const rows = table({ [column]: values });
      let sorted = byValue(Array.from(values).filter(Number.isFinite));
      const magnitudes = byValue(sorted.map(Math.abs).filter((v) => v > 0));
      const heavy = magnitudes.at(-1)! >= 10 * (1 + q(magnitudes, 0.5));
      if (heavy) sorted = byValue(sorted.map(slog));
      const median = q(sorted, 0.5);
      const spread = [0.25, 0.1, 0.01, 0].map((t) => (q(sorted, 1 - t) / 2 - q(sorted, t) / 2) * 2).find((d) => d > 0)!;
      const robust = fitFeatures(rows, { numeric: [column], categorical: [] }).toJSON().numeric[0];
      expect(robust).toMatchObject({ log1p: heavy, fill: median, offset: median, low: sorted[0], high: sorted.at(-1) });
      expect(robust.scale).toBe(1 / spread / DEFAULT_BOUND);
      const minmax = fitFeatures(rows, { numeric: [column], categorical: [] }, { scaling: 'minmax' }).toJSON().numeric[0];
      expect(minmax).toMatchObject({ offset: sorted[0], scale: 1 / ((sorted.at(-1)! / 2 - sorted[0] / 2) * 2) });
    }
  });

  it('scales robustly by default, bounds scaled values at 3 spreads, which become ±1, and counts them apart from repairs', () => {
    const fitted = fitFeatures(fitRows, spec);
    expect([fitted.scaling, fitted.bound]).toEqual(['robust', 3]);
    // x fitted on 0, 2, 4, 10: median 3, interquartile range 5.5 − 1.5 = 4.
    const out = fitted.transform(table({ x: Float64Array.from([100, -100, 5, 3 + 1.5 * 4]), c: ['a', 'a', 'a', 'a'] }));
    expect(Array.from({ length: 4 }, (_, r) => out.matrix[r * fitted.width])).toEqual([1, -1, 2 / 4 / 3, 0.5].map(Math.fround));
    expect(out.report).toMatchObject({ repaired: 0, clipped: 2 });
  });

  it('encodes every numeric value within ±1 by default, the range of a one-hot slot, whatever its column\'s spread', () => {
    const n = 400;
    const rows = table({
      wide: Float64Array.from({ length: n }, (_, i) => (i * 7919) % 100_003),
      narrow: Float64Array.from({ length: n }, (_, i) => 0.001 * (i % 7)),
      sparse: Float64Array.from({ length: n }, (_, i) => (i % 50 === 0 ? 3 : 0)),
      proto: Array.from({ length: n }, (_, i) => ['tcp', 'udp'][i % 2]),
    });
    const fitted = fitFeatures(rows, { numeric: ['wide', 'narrow', 'sparse'], categorical: ['proto'] });
    const shifted = table({ wide: [-1e9, 1e9], narrow: [-5, 5], sparse: [1e6, -1e6], proto: ['tcp', 'udp'] });
    for (const data of [rows, shifted]) {
      const out = fitted.transform(data).matrix;
      expect(Math.max(...out.map(Math.abs))).toBeLessThanOrEqual(1);
    }
    expect(Array.from(fitted.transform(shifted).matrix.subarray(0, 3))).toEqual([-1, -1, 1]);
  });

  it('transforms features fitted by an earlier netae (bound in scaled units, no \'bound\' field) as they were fitted', () => {
    const earlier = FittedFeatures.fromJSON({
      kind: 'netae-features', version: 1, scaling: 'robust', clip: 5,
      numeric: [{ column: 'x', log1p: false, fill: 3, high: 10, low: 0, offset: 3, scale: 0.25 }],
      categorical: [{ column: 'c', categories: ['a', 'b'] }], dropped: [],
    });
    expect(earlier.bound).toBe(5);
    const out = earlier.transform(table({ x: Float64Array.from([5, 100]), c: ['a', 'b'] }));
    expect(Array.from(out.matrix)).toEqual([0.5, 1, 0, 0, 5, 0, 1, 0]);
  });

  it('robust scaling: median and the narrowest non-zero central range, even for a column that is mostly one value', () => {
    const rows = table({
      q: Float64Array.from({ length: 101 }, (_, i) => i),
      sparse: Float64Array.from({ length: 100 }, (_, i) => (i < 95 ? 0 : 1)),
    });
    const fitted = fitFeatures(rows.slice(0, 100), { numeric: ['q', 'sparse'], categorical: [] }, { scaling: 'robust', clip: 1 });
    const [q, sparse] = fitted.toJSON().numeric;
    expect(q.offset).toBe(49.5);
    expect(1 / q.scale).toBeCloseTo(49.5, 9);
    expect(sparse.offset).toBe(0);
    expect(1 / sparse.scale).toBe(1);
  });

  it('fits finite values near ±1.7e308 without overflow: the column goes through log1p, no NaN, a note names it', () => {
    const rows = table({ huge: Float64Array.from([1.7e308, -1.7e308, 1e308, 0, 5]) });
    const fitted = fitFeatures(rows, { numeric: ['huge'], categorical: [] }, { scaling: 'standard', log1p: 'listed' });
    expect(fitted.log1p).toEqual(['huge']);
    expect(fitted.notes?.[0]).toMatch(/^huge: its values span more than float64 can subtract/);
    const out = fitted.transform(rows);
    expect(out.matrix.every(Number.isFinite)).toBe(true);
    expect(out.report.clipped).toBe(0);
  });

  it('computes the statistics of a column of 1e200–3e200 right in every scaling', () => {
    const rows = table({ big: Float64Array.from([1e200, 2e200, 3e200]) });
    for (const scaling of ['minmax', 'standard', 'robust'] as const) {
      const fitted = fitFeatures(rows, { numeric: ['big'], categorical: [] }, { scaling, log1p: 'listed' });
      const out = Array.from(fitted.transform(rows).matrix);
      const b = DEFAULT_BOUND;
      const expected = { minmax: [0, 0.5, 1], standard: [-Math.sqrt(1.5) / b, 0, Math.sqrt(1.5) / b], robust: [-1 / b, 0, 1 / b] }[scaling];
      out.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    }
  });
});

describe('transform input checks', () => {
  it('names a missing column', () => {
    const fitted = fitFeatures(fitRows, spec);
    expect(() => fitted.transform(table({ x: Float64Array.from([1]) }), { file: 'f.csv', lines: Int32Array.of(2) })).toThrow(
      /f\.csv: the fitted features need column\(s\) the data lacks: "c"/,
    );
  });

  it('reads text in a numeric column by the number rule and names the line of a non-number', () => {
    const fitted = fitFeatures(fitRows, spec);
    const rows = table({ x: ['1', 'Infinity', 'oops'], c: ['a', 'a', 'a'] });
    let error: unknown;
    try {
      fitted.transform(rows, { file: 't.csv', lines: Int32Array.of(10, 11, 12) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe('t.csv, line 12, column "x": expected a number, found "oops"');
  });
});

describe('serialization', () => {
  it('gives an identical transform after a JSON round trip', () => {
    const n = 500;
    const rows = table({
      bytes: Float64Array.from({ length: n }, (_, i) => (i * 7919) % 100_003),
      rate: Float64Array.from({ length: n }, (_, i) => Math.sin(i) / 3),
      proto: Array.from({ length: n }, (_, i) => ['tcp', 'udp', 'icmp'][i % 3]),
    });
    for (const scaling of ['minmax', 'standard'] as const) {
      const fitted = fitFeatures(rows, { numeric: ['bytes', 'rate'], categorical: ['proto'], log1p: ['bytes'] }, { scaling });
      const loaded = FittedFeatures.fromJSON(JSON.parse(JSON.stringify(fitted)));
      expect(loaded.names).toEqual(fitted.names);
      expect(sameBytes(loaded.transform(rows).matrix, fitted.transform(rows).matrix)).toBe(true);
    }
  });

  it('says what is wrong with JSON that is not a fitted pipeline', () => {
    expect(() => FittedFeatures.fromJSON({ kind: 'other' })).toThrow('not a netae feature pipeline: kind is "other"');
    const json = fitFeatures(fitRows, spec).toJSON();
    expect(() => FittedFeatures.fromJSON({ ...json, numeric: [{ ...json.numeric[0], scale: null }] })).toThrow('numeric encoder "x": scale must be a finite number');
    expect(() => FittedFeatures.fromJSON({ ...json, clip: 1e300 })).toThrow("clip 1e+300 is beyond float32's range");
    expect(() => FittedFeatures.fromJSON({ ...json, numeric: [{ ...json.numeric[0], scale: 1e50 }] })).toThrow(`numeric encoder "x": scale 1e+50 is beyond float32's range`);
  });
});

describe('transformInBlocks', () => {
  it('hands over the rows a block at a time, in order, bit for bit as transform makes them, with the same repairs', () => {
    const n = 1000;
    const rows = table({
      x: Float64Array.from({ length: n }, (_, i) => (i % 97 === 0 ? NaN : i % 89 === 0 ? Infinity : (i * 37) % 50 - 20)),
      c: Array.from({ length: n }, (_, i) => ['a', 'b', 'd'][i % 3]),
      k: Float64Array.from({ length: n }, (_, i) => i % 7),
      s: Array.from({ length: n }, (_, i) => (i % 11 === 0 ? 'y' : 'z')),
    });
    const fitted = fitFeatures(fitRows, spec, { clip: 2 });
    const whole = fitted.transform(rows);
    const joined = new Float32Array(n * fitted.width);
    let next = 0;
    let blocks = 0;
    const report = fitted.transformInBlocks(rows, undefined, (block, first, count) => {
      expect(first).toBe(next);
      expect(block.length).toBe(count * fitted.width);
      joined.set(block, first * fitted.width);
      next = first + count;
      blocks++;
    });
    expect(next).toBe(n);
    expect(blocks).toBeGreaterThan(1);
    expect(sameBytes(joined, whole.matrix)).toBe(true);
    expect(report).toEqual(whole.report);
    expect(report.repaired + report.clipped + report.unseen).toBeGreaterThan(0);
  });
});

describe('mergeReports', () => {
  it('adds the counts of streamed chunks', () => {
    const fitted = fitFeatures(fitRows, spec);
    const total = mergeReports(fitted.transform(newRows).report, fitted.transform(newRows).report);
    expect(total.rows).toBe(12);
    expect(total.repaired).toBe(6);
    expect(total.columns.x.infinite).toBe(4);
  });
});

describe('weighted features', () => {
  const n = 300;
  const rows = table({
    bytes: Float64Array.from({ length: n }, (_, i) => (i * 7919) % 10_007),
    rate: Float64Array.from({ length: n }, (_, i) => (i % 10) / 10),
    proto: Array.from({ length: n }, (_, i) => ['tcp', 'udp', 'icmp'][i % 3]),
  });
  const fitted = fitFeatures(rows, { numeric: ['bytes', 'rate'], categorical: ['proto'] });
  const weights = [4, 0.25, 1, 9, 2.25, 16];

  it('multiplies each output by the square root of its weight, repairs and counts unchanged, through JSON too', () => {
    const fresh = table({ bytes: Float64Array.from([5, NaN, 1e9]), rate: Float64Array.from([0.5, 0.1, 0]), proto: ['udp', 'gre', 'tcp'] });
    const plain = fitted.transform(fresh);
    const weighted = fitted.weighted(weights);
    expect(Array.from(weighted.gains)).toEqual([2, 0.5, 1, 3, 1.5, 4]);
    for (const features of [weighted, FittedFeatures.fromJSON(JSON.parse(JSON.stringify(weighted.toJSON())))]) {
      const out = features.transform(fresh);
      out.matrix.forEach((v, i) => expect(v).toBeCloseTo(plain.matrix[i] * Math.sqrt(weights[i % 6]), 6));
      expect(out.report).toEqual(plain.report);
    }
    expect(Array.from(fitted.weighted(weights).weighted([4, 1, 1, 1, 1, 1]).gains)[0]).toBe(4);
  });

  it('refuses weights that are not one positive number per output, and gains in JSON that are not', () => {
    expect(() => fitted.weighted([1, 2])).toThrow('2 weights for 6 features');
    expect(() => fitted.weighted([1, 0, 1, 1, 1, 1])).toThrow('rate has 0');
    const json = fitted.weighted(weights).toJSON();
    expect(() => FittedFeatures.fromJSON({ ...json, categorical: [{ ...json.categorical[0], gains: [1, 2] }] })).toThrow(/gains must be 4 positive numbers/);
    expect(() => FittedFeatures.fromJSON({ ...json, numeric: [{ ...json.numeric[0], gain: -1 }, json.numeric[1]] })).toThrow(/gain must be a positive number/);
  });
});
