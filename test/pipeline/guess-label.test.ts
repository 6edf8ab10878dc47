import { describe, expect, it } from 'vitest';
import { normalRowValues, plainCategory, plainLabel } from '../../src/pipeline/guess-label';
import { parseText } from '../../src/pipeline/io';

describe('plainLabel', () => {
  const of = (values: Record<string, string[]>) => (column: string) => values[column] ?? [];

  it('takes a column with a label\'s name and a value for normal traffic, whatever its case', () => {
    expect(plainLabel(['dur', 'Label'], of({ Label: ['DoS', 'Benign'] }))).toEqual({ label: 'Label', normal: 'Benign' });
    expect(plainLabel(['bytes', 'label', 'type'], of({ label: ['1', '0'], type: ['scanning', 'normal'] }))).toEqual({ label: 'label', normal: '0' });
    expect(plainLabel(['x', 'attack', 'level'], of({ attack: ['neptune', 'normal'], level: ['21', '15'] }))).toEqual({ label: 'attack', normal: 'normal' });
    expect(plainLabel(['x', 'class'], of({ class: ['smurf.', 'normal.'] }))).toEqual({ label: 'class', normal: 'normal.' });
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

describe('plainCategory', () => {
  const of = (values: Record<string, string[]>) => (column: string) => values[column] ?? [];
  const none = () => [];

  it('takes the attack category beside a label: attack_cat, category, type, whatever its case', () => {
    expect(plainCategory(['sbytes', 'attack_cat', 'Label'], 'Label', of({ attack_cat: ['', 'Exploits'] }), none)).toBe('attack_cat');
    expect(plainCategory(['bytes', 'label', 'type'], 'label', of({ type: ['normal', 'scanning'] }), of({ type: ['normal'] }))).toBe('type');
    expect(plainCategory(['subcategory', 'Category', 'attack'], 'attack', of({ Category: ['Normal', 'DoS'], subcategory: ['UDP'] }), none)).toBe('Category');
  });

  it('takes none that is the label, has too many values, is numbers only, varies in normal traffic or has no category\'s name', () => {
    expect(plainCategory(['bytes', 'category'], 'category', of({ category: ['normal', 'dos'] }), none)).toBeNull();
    expect(plainCategory(['bytes', 'label', 'type'], 'label', of({ type: Array.from({ length: 65 }, (_, i) => `t${i}`) }), none)).toBeNull();
    expect(plainCategory(['bytes', 'label', 'type'], 'label', of({ type: ['0', '8', '3'] }), none), 'an ICMP type is a feature').toBeNull();
    expect(plainCategory(['bytes', 'label', 'type'], 'label', of({ type: ['A', 'AAAA', 'MX'] }), of({ type: ['A', 'AAAA'] })), 'a DNS query type is a feature').toBeNull();
    expect(plainCategory(['bytes', 'label', 'family'], 'label', of({ family: ['dos'] }), none)).toBeNull();
  });
});

describe('normalRowValues', () => {
  it('gives the distinct values of a column among the normal rows, trimmed, missing ones left out', () => {
    const table = parseText('kind,label\n-,0\n scan ,1\nok,0\n,0\nok ,0\n', {}).table;
    expect(normalRowValues(table, 'label', ['0'])('kind')).toEqual(['ok']);
  });
});
