import { describe, expect, it } from 'vitest';
import { plainLabel } from '../../src/pipeline/guess-label';

describe('plainLabel', () => {
  const of = (values: Record<string, string[]>) => (column: string) => values[column] ?? [];

  it('takes a column with a label\'s name and a value for normal traffic, whatever its case', () => {
    expect(plainLabel(['dur', 'Label'], of({ Label: ['DoS', 'Benign'] }))).toEqual({ label: 'Label', normal: 'Benign' });
    expect(plainLabel(['bytes', 'label', 'type'], of({ label: ['1', '0'], type: ['scanning', 'normal'] }))).toEqual({ label: 'label', normal: '0' });
    expect(plainLabel(['x', 'attack', 'level'], of({ attack: ['neptune', 'normal'], level: ['21', '15'] }))).toEqual({ label: 'attack', normal: 'normal' });
  });

  it('prefers label to class to attack to category, as a label and an attack category come together', () => {
    expect(plainLabel(['category', 'attack'], of({ category: ['Normal', 'DoS'], attack: ['0', '1'] }))).toEqual({ label: 'attack', normal: '0' });
  });

  it('takes nothing without a known normal value, with too many values, or without a label\'s name', () => {
    expect(plainLabel(['bytes', 'label'], of({ label: ['good', 'bad'] }))).toBeNull();
    expect(plainLabel(['bytes', 'class'], of({ class: Array.from({ length: 65 }, (_, i) => String(i)) }))).toBeNull();
    expect(plainLabel(['bytes', 'verdict'], of({ verdict: ['normal', 'attack'] }))).toBeNull();
  });
});
