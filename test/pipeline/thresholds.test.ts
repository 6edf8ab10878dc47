import { describe, expect, it } from 'vitest';
import { fprThreshold, fprThresholdFromRanks, rankedScores, rateOf } from '../../src/pipeline/thresholds';

/** 999 distinct scores 1 … 999, shuffled. */
const distinct = Array.from({ length: 999 }, (_, i) => ((i * 389) % 999) + 1);

describe('false-positive-rate thresholds', () => {
  it('take the k-th highest of n held-out scores, k = rate · (n + 1), with the rate of new rows it flags', () => {
    const t = fprThreshold(distinct, 0.01);
    expect(t).toMatchObject({ value: 990, target: 0.01, flagged: 10, rows: 999, expected: 10 / 1000 });
    expect(t.low).toBeGreaterThan(0.004);
    expect(t.high).toBeLessThan(0.02);
    expect(t.low).toBeLessThan(0.01);
    expect(t.high).toBeGreaterThan(0.01);
    expect(rateOf(t.value, distinct)).toEqual({ value: t.value, flagged: t.flagged, rows: t.rows, expected: t.expected, low: t.low, high: t.high });
  });

  it('count the scores tied with the threshold as flagged, since they are', () => {
    const tied = [...distinct.filter((v) => v < 985), 985, 985, 985, 985, 985, 985, 985, 985, 985, 985, 985, 985, 985, 985, 985];
    const t = fprThreshold(tied, 0.01);
    expect(t.value).toBe(985);
    expect(t.flagged).toBe(tied.filter((v) => v >= 985).length);
    const { target, ...rest } = t;
    expect(target).toBe(0.01);
    expect(rateOf(t.value, tied)).toEqual(rest);
  });

  it('from the scores a model keeps: exact to rank 1,000, within a kept rank beyond, ties counted', () => {
    const many = Array.from({ length: 20_000 }, (_, i) => ((i * 7919) % 20_000) / 7);
    const kept = rankedScores(many);
    expect(kept.ranks.slice(0, 3)).toEqual([1, 2, 3]);
    expect(kept.ranks.length).toBeLessThan(1400);
    for (const rate of [0.001, 0.01, 0.02]) expect(fprThresholdFromRanks(kept, rate)).toEqual(fprThreshold(many, rate));
    const wide = fprThresholdFromRanks(kept, 0.3);
    expect(Math.abs(wide.flagged - 0.3 * 20_001) / (0.3 * 20_001)).toBeLessThan(0.005);
    expect(wide.flagged).toBe(rateOf(wide.value, many).flagged);

    const tied = [...Array.from({ length: 990 }, (_, i) => i / 1000), ...Array(10).fill(5)];
    expect(fprThresholdFromRanks(rankedScores(tied), 0.005)).toMatchObject({ value: 5, flagged: 10 });
    expect(fprThresholdFromRanks(rankedScores(tied), 0.005)).toEqual(fprThreshold(tied, 0.005));
  });
});
