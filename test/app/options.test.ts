import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/app/cli/errors';
import { layers } from '../../src/app/cli/options';
import { thresholdRule } from '../../src/app/cli/threshold';

describe('command-line options', () => {
  it('reads the threshold flags: a number flag implies its mode, two rules or a mismatched number are refused', () => {
    expect(thresholdRule({})).toBeUndefined();
    expect(thresholdRule({ percentile: 95 })).toEqual({ kind: 'percentile', percentile: 95 });
    expect(thresholdRule({ threshold: 0.5 })).toEqual({ kind: 'fixed', value: 0.5 });
    expect(thresholdRule({ thresholdMode: 'fixed', threshold: 0.5 })).toEqual({ kind: 'fixed', value: 0.5 });
    expect(thresholdRule({ fpr: 0.02 })).toEqual({ kind: 'fpr', rate: 0.02 });
    expect(thresholdRule({ thresholdMode: 'mad' })).toEqual({ kind: 'mad', k: 3 });
    expect(thresholdRule({ thresholdMode: 'best-f1' })).toEqual({ kind: 'best-f1' });
    expect(() => thresholdRule({ thresholdMode: 'fixed' })).toThrow(UsageError);
    expect(() => thresholdRule({ thresholdMode: 'best-f1', percentile: 90 })).toThrow('--threshold-mode best-f1 does not take --percentile');
    expect(() => thresholdRule({ thresholdMode: 'best-f1', threshold: 2 })).toThrow('--threshold-mode best-f1 does not take --threshold');
    expect(() => thresholdRule({ fpr: 0.01, threshold: 2 })).toThrow('--fpr and --threshold set two thresholds; give one');
  });

  it('checks --layers before the data is read', () => {
    expect(layers('deep')).toBe('deep');
    expect(layers('auto-64-32-64-auto')).toBe('auto-64-32-64-auto');
    expect(() => layers('66-100000000-66')).toThrow(/netae builds at most 268,435,456/);
  });
});
