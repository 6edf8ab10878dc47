import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/app/cli/errors';
import { layers, realNumber, schemaSpec, wholeNumber } from '../../src/app/cli/options';
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

  it('reads whole numbers as decimal digits within their bounds: no hex, no spaces, no precision lost', () => {
    const seed = wholeNumber(0, 2 ** 32 - 1);
    expect(seed('0')).toBe(0);
    expect(seed('4294967295')).toBe(4294967295);
    for (const text of ['4294967296', '9007199254740993', '0x10', ' 2', '2 ', '1e3', '-1', '1.5', '']) {
      expect(() => seed(text), text).toThrow(/expected a whole number from 0 to 4,294,967,295/);
    }
    expect(() => wholeNumber()('0')).toThrow('expected a whole number ≥ 1, got "0"');
    expect(() => wholeNumber()('9007199254740992')).toThrow(/expected a whole number/);
  });

  it('reads real numbers as decimals within their bounds, a bound refused where a rate of 0 would mean nothing', () => {
    const lr = realNumber(0, 10, true);
    expect(lr('1e-3')).toBe(0.001);
    expect(lr('.5')).toBe(0.5);
    expect(lr('10')).toBe(10);
    expect(() => lr('0')).toThrow('expected a number above 0 and at most 10, got "0"');
    for (const text of ['0x10', 'Infinity', 'NaN', ' 1', '1,5', '10.0001', '']) expect(() => lr(text), text).toThrow(/expected a number above 0/);
    expect(realNumber(0)('0')).toBe(0);
    expect(() => realNumber(0)('-1')).toThrow('expected a number from 0, got "-1"');
  });

  it('refuses --log1p on a column that the other flags make the label, dropped or categorical', async () => {
    const base = { label: 'verdict', normal: ['ok'] };
    expect((await schemaSpec({ ...base, log1p: ['bytes'] }) as { log1p?: string[] }).log1p).toEqual(['bytes']);
    await expect(schemaSpec({ ...base, log1p: ['verdict'] })).rejects.toThrow('--log1p "verdict": that column is the label (--label); log1p applies to numeric features');
    await expect(schemaSpec({ ...base, drop: ['id'], log1p: ['id'] })).rejects.toThrow('that column is dropped (--drop)');
    await expect(schemaSpec({ ...base, category: ['port'], log1p: ['port'] })).rejects.toThrow('that column is one-hot encoded (--category)');
  });

  it('refuses --drop or --category on the label column, and a column both dropped and one-hot encoded', async () => {
    const base = { label: 'verdict', normal: ['ok'] };
    await expect(schemaSpec({ ...base, drop: ['id', 'verdict'] })).rejects.toThrow(
      new UsageError('--drop "verdict": that column is the label (--label), which is never a feature; leave it out of --drop'),
    );
    await expect(schemaSpec({ ...base, category: ['verdict'] })).rejects.toThrow(
      new UsageError('--category "verdict": that column is the label (--label), which is never a feature; leave it out of --category'),
    );
    await expect(schemaSpec({ ...base, drop: ['port'], category: ['proto', 'port'] })).rejects.toThrow(
      new UsageError('--category "port": that column is dropped (--drop); give it to one of the two'),
    );
    expect(await schemaSpec({ ...base, drop: ['id'], category: ['port'] })).toMatchObject({ drop: ['id'], categorical: ['port'] });
    expect(await schemaSpec({ drop: ['verdict'], category: ['port'] })).toMatchObject({ drop: ['verdict'], categorical: ['port'] });
  });
});
