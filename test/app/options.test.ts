import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/app/cli/errors';
import { layers, thresholdRule } from '../../src/app/cli/options';

describe('command-line options', () => {
  it('reads the threshold flags: --threshold alone means fixed, a value for another mode is refused', () => {
    expect(thresholdRule(undefined)).toEqual({ kind: 'percentile', percentile: 99 });
    expect(thresholdRule(undefined, 95)).toEqual({ kind: 'percentile', percentile: 95 });
    expect(thresholdRule(undefined, undefined, 0.5)).toEqual({ kind: 'fixed', value: 0.5 });
    expect(thresholdRule('fixed', undefined, 0.5)).toEqual({ kind: 'fixed', value: 0.5 });
    expect(thresholdRule('best-f1')).toEqual({ kind: 'best-f1' });
    expect(() => thresholdRule('fixed')).toThrow(UsageError);
    expect(() => thresholdRule('best-f1', 90)).toThrow('--percentile goes with --threshold-mode percentile, not best-f1');
    expect(() => thresholdRule('best-f1', undefined, 2)).toThrow('--threshold goes with --threshold-mode fixed, not best-f1');
  });

  it('checks --layers before the data is read', () => {
    expect(layers('deep')).toBe('deep');
    expect(layers('auto-64-32-64-auto')).toBe('auto-64-32-64-auto');
    expect(() => layers('66-100000000-66')).toThrow(/netae builds at most 268,435,456/);
  });
});
