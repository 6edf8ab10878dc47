import { describe, expect, it } from 'vitest';
import { sortFloat64 } from '../../src/pipeline/float-sort';

/** A deterministic generator of values in [0, 1). */
function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const kinds: Record<string, (u: () => number) => number> = {
  'mostly zero counts': (u) => (u() < 0.8 ? 0 : Math.floor(u() * 1000)),
  'signed, both zeros, every magnitude': (u) => {
    const r = u();
    if (r < 0.1) return -0;
    if (r < 0.2) return 0;
    const magnitude = 10 ** (u() * 616 - 308);
    return r < 0.6 ? -magnitude : magnitude;
  },
  'rates with ties': (u) => Math.round(u() * 100) / 100,
  'infinities and subnormals': (u) => [Infinity, -Infinity, 5e-324, -5e-324, u() - 0.5][Math.floor(u() * 5)],
};

describe('sortFloat64', () => {
  for (const [kind, draw] of Object.entries(kinds)) {
    it(`orders ${kind} exactly as Float64Array.prototype.sort does, bit for bit`, () => {
      for (const length of [0, 7, 1023, 1024, 5000, 70_001]) {
        const u = uniform(length + kind.length);
        const values = Float64Array.from({ length }, () => draw(u));
        const expected = values.slice().sort();
        const sorted = sortFloat64(values);
        expect(sorted).toBe(values);
        expect(new Uint8Array(sorted.buffer)).toEqual(new Uint8Array(expected.buffer));
      }
    });
  }

  it('sorts a view in place, leaving the rest of its buffer alone', () => {
    const u = uniform(3);
    const whole = Float64Array.from({ length: 3000 }, () => u() - 0.5);
    const before = whole.slice();
    const view = whole.subarray(500, 2500);
    const expected = view.slice().sort();
    sortFloat64(view);
    expect(view).toEqual(expected);
    expect(whole.subarray(0, 500)).toEqual(before.subarray(0, 500));
    expect(whole.subarray(2500)).toEqual(before.subarray(2500));
  });
});
