import { describe, expect, it } from 'vitest';
import { plainCategory, plainLabel, rowValues } from '../../src/pipeline/guess-label';
import { parseText } from '../../src/pipeline/io';

describe('plainLabel', () => {
  const of = (values: Record<string, string[]>) => (column: string) => values[column] ?? [];

  it('takes a column with a label\'s name and a value for normal traffic, whatever its case', () => {
    expect(plainLabel(['dur', 'Label'], of({ Label: ['DoS', 'Benign'] }))).toEqual({ label: 'Label', normal: 'Benign', others: [] });
    expect(plainLabel(['bytes', 'label', 'type'], of({ label: ['1', '0'], type: ['scanning', 'normal'] }))).toEqual({ label: 'label', normal: '0', others: [] });
    expect(plainLabel(['x', 'attack', 'level'], of({ attack: ['neptune', 'normal'], level: ['21', '15'] }))).toEqual({ label: 'attack', normal: 'normal', others: [] });
    expect(plainLabel(['x', 'class'], of({ class: ['smurf.', 'normal.'] }))).toEqual({ label: 'class', normal: 'normal.', others: [] });
  });

  it("knows other data sets' spellings: Edge-IIoTset's Attack_label, CIC-IoT2023's BenignTraffic", () => {
    expect(plainLabel(['tcp.len', 'Attack_label', 'Attack_type'], of({ Attack_label: ['1', '0'], Attack_type: ['Normal', 'DDoS_UDP'] }))).toEqual({ label: 'Attack_label', normal: '0', others: [] });
    expect(plainLabel(['Rate', 'label'], of({ label: ['DDoS-RSTFINFlood', 'BenignTraffic'] }))).toEqual({ label: 'label', normal: 'BenignTraffic', others: [] });
    expect(['Normal traffic', 'normal_flow', 'BENIGN-FLOWS', 'benignware', 'abnormal traffic'].map((v) => plainLabel(['label'], of({ label: [v] }))?.normal ?? null))
      .toEqual(['Normal traffic', 'normal_flow', 'BENIGN-FLOWS', null, null]);
  });

  it('takes the surest of several normal values: Normal before Background, as in a CTU-13 copy', () => {
    expect(plainLabel(['Label'], of({ Label: ['Background', 'Botnet', 'Normal'] })), 'Background then an attack').toEqual({ label: 'Label', normal: 'Normal', others: ['Background'] });
    expect(plainLabel(['label'], of({ label: ['background', 'blacklist', 'anomaly-spam'] })), "UGR'16, with no other").toEqual({ label: 'label', normal: 'background', others: [] });
  });

  it('prefers label to class to attack to category, as a label and an attack category come together', () => {
    expect(plainLabel(['category', 'attack'], of({ category: ['Normal', 'DoS'], attack: ['0', '1'] }))).toEqual({ label: 'attack', normal: '0', others: [] });
  });

  it('takes nothing without a known normal value, with too many values, or without a label\'s name', () => {
    expect(plainLabel(['bytes', 'label'], of({ label: ['good', 'bad'] }))).toBeNull();
    expect(plainLabel(['bytes', 'class'], of({ class: Array.from({ length: 65 }, (_, i) => String(i)) }))).toBeNull();
    expect(plainLabel(['bytes', 'verdict'], of({ verdict: ['normal', 'attack'] }))).toBeNull();
  });
});

describe('plainCategory', () => {
  /** The category guessed in a CSV whose label column is `label`, normal where it reads `normal`. */
  const guessed = (csv: string) => {
    const table = parseText(csv, {}).table;
    return plainCategory(table.columnNames(), 'label', rowValues(table, 'label', ['normal']));
  };

  it('takes the attack category beside a label, missing or saying normal in the normal rows: attack_cat, category, type, any case', () => {
    expect(guessed('sbytes,attack_cat,label\n1,,normal\n2,Exploits,dos\n')).toBe('attack_cat');
    expect(guessed('bytes,label,type\n1,normal,normal\n2,dos,scanning\n')).toBe('type');
    expect(guessed('subcategory,Category,label\nNormal,Normal,normal\nUDP,DoS,dos\n')).toBe('Category');
    expect(guessed('bytes,type,label\n1,-,normal\n2,-,normal\n'), 'no attack rows to look at: the normal rows decide').toBe('type');
  });

  it("knows the name in other spellings, and dashes in normal rows: CIDDS-001's attackType, IoT-23's detailed-label", () => {
    expect(guessed('Bytes,label,attackType,attackID\n108,normal,---,---\n40,victim,portScan,1\n')).toBe('attackType');
    expect(guessed('bytes,label,Attack Type\n1,normal,\n2,dos,flood\n')).toBe('Attack Type');
    expect(guessed('bytes,label,detailed-label\n1,normal,-\n2,Malicious,C&C\n')).toBe('detailed-label');
    expect(guessed('IN_BYTES,label,Attack\n1,normal,Benign\n2,dos,Exploits\n'), "the NetFlow releases' Attack beside their Label").toBe('Attack');
    expect(guessed('bytes,label,attackType\n1,normal,---\n2,normal,scan\n3,dos,scan\n'), 'an attack type in a normal row').toBeNull();
  });

  it('takes none that varies or names something else in normal rows, is numbers only, has too many values, or without normal rows', () => {
    expect(guessed('bytes,type,label\n1,A,normal\n2,AAAA,normal\n3,MX,dos\n'), 'a DNS query type is a feature').toBeNull();
    expect(guessed('bytes,type,label\n1,A,normal\n2,A,normal\n'), 'one query type in every normal row is still a feature').toBeNull();
    expect(guessed('bytes,type,label\n1,,normal\n2,8,dos\n3,3,dos\n'), 'an ICMP type is a feature').toBeNull();
    expect(guessed(`bytes,type,label\n1,,normal\n${Array.from({ length: 65 }, (_, i) => `2,t${i},dos`).join('\n')}\n`)).toBeNull();
    expect(guessed('bytes,type,label\n1,scan,dos\n2,flood,dos\n'), 'without normal rows').toBeNull();
    expect(guessed('bytes,family,label\n1,,normal\n2,dos,dos\n')).toBeNull();
  });
});

describe('rowValues', () => {
  it('gives the distinct values of a column in the normal and the attack rows, trimmed, missing ones left out', () => {
    const table = parseText('kind,label\n-,0\n scan ,1\nok,0\n,0\nok ,0\n', {}).table;
    const rows = rowValues(table, 'label', ['0']);
    expect([rows.normal('kind'), rows.attack('kind'), rows.normalRows, rows.attackRows]).toEqual([['ok'], ['scan'], 4, 1]);
  });
});
