import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDataset } from '../../src/pipeline/dataset';
import { InputError } from '../../src/pipeline/errors';
import { fitFeatures } from '../../src/pipeline/features';
import { getPreset, presetNames } from '../../src/pipeline/presets';
import { parseText } from '../../src/pipeline/io';
import { labelledScores, labelMatcher, labelsOf, labelsOfValues, normalRows, presetColumns, readOptionsFor, resolveSchema } from '../../src/pipeline/schema';

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('presets', () => {
  it('lists the data sets and rejects an unknown name, listing the known ones', () => {
    expect(presetNames).toEqual(['nsl-kdd', 'kdd99', 'unsw-nb15', 'cic-ids2017', 'ctu-13', 'zeek-conn']);
    const error = errorOf(() => getPreset('kdd98'));
    expect(error.message).toContain('unknown preset "kdd98"');
    expect(error.message).toContain('nsl-kdd, kdd99, unsw-nb15, cic-ids2017, ctu-13, zeek-conn');
    expect(errorOf(() => parseDataset('a\n1\n', { preset: 'nope' })).message).toContain('unknown preset "nope"');
  });

  it('nsl-kdd: 41 features, of which protocol_type, service and flag are categorical', () => {
    const preset = getPreset('nsl-kdd');
    expect(preset.numeric.length + preset.categorical.length).toBe(41);
    expect(preset.read.names).toHaveLength(43);
    expect(preset.categorical).toEqual(['protocol_type', 'service', 'flag']);
  });

  it('reading for training takes only the columns a preset uses, or every column when a feature is missing', () => {
    const text = fixture('unsw-nb15.csv');
    const select = presetColumns({ preset: 'unsw-nb15' })!;
    const read = parseText(text, { ...readOptionsFor({ preset: 'unsw-nb15' }, 'unsw.csv'), select });
    expect(read.table.columnNames()).not.toContain('id');
    expect(read.table.columnNames()).toContain('attack_cat');
    expect(read.table.columnNames()).toHaveLength(39 + 3 + 2);
    expect(select(['id', 'dur', 'label'])).toEqual(['id', 'dur', 'label']);
    expect(presetColumns({ label: 'label', normal: '0' })).toBeUndefined();
  });

  it('unsw-nb15 reads its training-set layout: label 0 is normal, attack_cat is the category', () => {
    const data = parseDataset(fixture('unsw-nb15.csv'), { preset: 'unsw-nb15' }, 'unsw.csv');
    expect(data.table.numRows()).toBe(6);
    expect(data.schema.features.categorical).toEqual(['proto', 'service', 'state']);
    expect(data.schema.features.numeric).toHaveLength(39);
    expect(data.schema.features.numeric).not.toContain('id');
    expect(Array.from(data.labels!.isAnomaly)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(data.labels!.category).toEqual(['normal', 'normal', 'normal', 'Generic', 'Exploits', 'Reconnaissance']);
  });

  it('cic-ids2017 trims header names, sets the repeated Fwd Header Length aside, and repairs Infinity/NaN', () => {
    const data = parseDataset(fixture('cic-ids2017.csv'), { preset: 'cic-ids2017' }, 'cic.csv');
    const names = data.table.columnNames();
    expect(names[0]).toBe('Destination Port');
    expect(names).toContain('Fwd Header Length.1');
    expect(names.at(-1)).toBe('Label');
    expect(data.schema.features.numeric).not.toContain('Fwd Header Length.1');
    expect(data.schema.features.numeric).toHaveLength(76);
    expect(Array.from(data.labels!.isAnomaly)).toEqual([0, 0, 0, 0, 1, 1]);
    expect(data.labels!.category.slice(4)).toEqual(['DDoS', 'PortScan']);
    const normal = normalRows(data.table, data.schema, data);
    const fitted = fitFeatures(normal.table, data.schema.features);
    const out = fitted.transform(data.table, data);
    expect(out.report.columns['Flow Bytes/s']).toMatchObject({ missing: 1, infinite: 1 });
    expect(out.report.columns['Flow Packets/s']).toMatchObject({ infinite: 2 });
    expect(out.matrix.every(Number.isFinite)).toBe(true);
  });

  it('cic-ids2017 reads a release without Destination Port, leaving that feature out', () => {
    const lines = fixture('cic-ids2017.csv').split('\n');
    const withoutPort = lines.map((line) => line.split(',').slice(1).join(',')).join('\n');
    const data = parseDataset(withoutPort, { preset: 'cic-ids2017' }, 'cic.csv');
    expect(data.schema.features.categorical).toEqual([]);
    expect(data.schema.features.numeric).toHaveLength(76);
    expect(Array.from(data.labels!.isAnomaly)).toEqual([0, 0, 0, 0, 1, 1]);
  });

  it('kdd99 reads KDD Cup 99 records: 42 fields, labels ending in a full stop or not, attack families', () => {
    const fields = '0,tcp,http,SF,181,5450,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,8,8,0.00,0.00,0.00,0.00,1.00,0.00,0.00,9,9,1.00,0.00,0.11,0.00,0.00,0.00,0.00,0.00';
    const data = parseDataset(`${fields},normal.\n${fields},smurf.\n${fields},teardrop.\n`, { preset: 'kdd99' }, 'kddcup.data');
    expect(data.table.numRows()).toBe(3);
    expect(Array.from(data.labels!.isAnomaly)).toEqual([0, 1, 1]);
    expect(data.labels!.category).toEqual(['normal', 'dos', 'dos']);
    const undotted = parseDataset(`${fields},normal\n${fields},smurf\n${fields},ipsweep.\n`, { preset: 'kdd99' }, 'kddcup.csv');
    expect(Array.from(undotted.labels!.isAnomaly)).toEqual([0, 1, 1]);
    expect(undotted.labels!.category).toEqual(['normal', 'dos', 'probe']);
    const asNsl = errorOf(() => parseDataset(`${fields},normal.\n`, { preset: 'nsl-kdd' }, 'kddcup.data'));
    expect(asNsl.message).toContain('found 42');
    expect(asNsl.message).toContain('--preset kdd99');
  });

  it('zeek-conn reads ports as categories and works without a label column', () => {
    const log = ['#separator \\x09', '#fields\tid.resp_p\tproto\tservice\tconn_state\thistory\tduration\torig_bytes\tresp_bytes\tmissed_bytes\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes',
      '#types\tport\tenum\tstring\tstring\tstring\tinterval\tcount\tcount\tcount\tcount\tcount\tcount\tcount',
      '443\ttcp\tssl\tSF\tShADadFf\t0.2\t500\t9000\t0\t8\t916\t9\t9468'].join('\n');
    const data = parseDataset(log, { preset: 'zeek-conn' }, 'conn.log');
    expect(data.schema.label).toBeNull();
    expect(data.labels).toBeNull();
    expect(data.table.get('id.resp_p', 0)).toBe('443');
  });

  it('names the problem when a preset does not fit the file', () => {
    const wrongCount = errorOf(() => parseDataset(fixture('unsw-nb15.csv'), { preset: 'nsl-kdd' }, 'unsw.csv'));
    expect(wrongCount).toBeInstanceOf(InputError);
    expect(wrongCount.message).toMatch(/unsw\.csv, line 1: expected 43 fields \(as in the nsl-kdd preset; KDD Cup 99 files, without the difficulty column, read with --preset kdd99\), found 45/);
    const missing = errorOf(() => parseDataset(fixture('cic-ids2017.csv'), { preset: 'unsw-nb15' }, 'cic.csv'));
    expect(missing).toBeInstanceOf(InputError);
    expect(missing.message).toContain('cic.csv');
    expect(missing.message).toContain('the unsw-nb15 preset needs');
    expect(missing.message).toContain('"dur"');
  });
});

describe('generic schema', () => {
  const csv = 'ts,host,proto,bytes,pkts,verdict\n1,a,tcp,100,3,ok\n2,b,udp,50,1,ok\n3,c,tcp,9000,20,bad\n4,d,icmp,64,1,ok\n';

  it('takes the label, drops columns, and detects categorical columns from text', () => {
    const data = parseDataset(csv, { label: 'verdict', normal: 'ok', drop: ['ts', 'host'] }, 'flows.csv');
    expect(data.schema.features).toMatchObject({ numeric: ['bytes', 'pkts'], categorical: ['proto'] });
    expect(Array.from(data.labels!.isAnomaly)).toEqual([0, 0, 1, 0]);
    expect(data.labels!.category).toEqual(['normal', 'normal', 'bad', 'normal']);
  });

  it('treats a number column named as categorical as categories', () => {
    const data = parseDataset(csv, { label: 'verdict', normal: 'ok', drop: ['ts', 'host'], categorical: ['pkts'] });
    expect(data.schema.features).toMatchObject({ numeric: ['bytes'], categorical: ['proto', 'pkts'] });
    expect(data.table.get('pkts', 0)).toBe('3');
  });

  it('names columns that are not in the file, and asks for the normal value', () => {
    expect(errorOf(() => parseDataset(csv, { label: 'class', normal: 'ok' }, 'flows.csv')).message).toContain('label column "class" not in the file');
    expect(errorOf(() => parseDataset(csv, { label: 'verdict', normal: 'ok', drop: ['tss'] })).message).toContain('"tss"');
    expect(errorOf(() => parseDataset(csv, { label: 'verdict' }, 'flows.csv')).message).toContain('needs the label value that means normal');
  });

  it('rejects a label value that is never normal, listing the labels found', () => {
    const data = parseDataset(csv, { label: 'verdict', normal: 'benign', drop: ['ts', 'host'] }, 'flows.csv');
    const error = errorOf(() => normalRows(data.table, data.schema, data));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain('flows.csv');
    expect(error.message).toContain('column "verdict"');
    expect(error.message).toContain('no row has a normal label ("benign")');
    expect(error.message).toContain('"ok" (3), "bad" (1)');
  });

  it('keeps the source lines of the normal rows', () => {
    const data = parseDataset(csv, { label: 'verdict', normal: 'ok', drop: ['ts', 'host'] }, 'flows.csv');
    const normal = normalRows(data.table, data.schema, data);
    expect(normal.table.numRows()).toBe(3);
    expect(Array.from(normal.origin.lines)).toEqual([2, 3, 5]);
  });

  it('gives the normal rows whole, from a table as read and from one Arquero has filtered alike; dropped columns are read as their text', () => {
    const data = parseDataset(csv, { label: 'verdict', normal: 'ok', drop: ['ts', 'host'] }, 'flows.csv');
    const expected = [
      { ts: '1', host: 'a', proto: 'tcp', bytes: 100, pkts: 3, verdict: 'ok' },
      { ts: '2', host: 'b', proto: 'udp', bytes: 50, pkts: 1, verdict: 'ok' },
      { ts: '4', host: 'd', proto: 'icmp', bytes: 64, pkts: 1, verdict: 'ok' },
    ];
    expect(normalRows(data.table, data.schema, data).table.objects()).toEqual(expected);
    const filtered = data.table.filter((d: { ts: string }) => d.ts !== '2');
    expect(normalRows(filtered, data.schema, { file: 'flows.csv', lines: Int32Array.from([2, 4, 5]) }).table.objects()).toEqual([expected[0], expected[2]]);
  });
});

describe('labels', () => {
  it('an attack category column of a generic file is no feature, and names each attack\'s category where a table has it', () => {
    const csv = 'bytes,kind,label\n10,,0\n900,scan,1\n11,,0\n950,dos,1\n';
    const data = parseDataset(csv, { label: 'label', normal: '0', categoryColumn: 'kind' }, 'flows.csv');
    expect([data.schema.categoryColumn, data.schema.features.numeric, data.schema.features.categorical]).toEqual(['kind', ['bytes'], []]);
    expect(data.labels!.category).toEqual(['normal', 'scan', 'normal', 'dos']);
    const without = parseText('bytes,label\n10,0\n900,1\n', {}).table;
    expect(labelsOf(without, data.schema)!.category).toEqual(['normal', '1']);
    expect(() => parseDataset(csv, { categoryColumn: 'kind' }, 'flows.csv')).toThrow('an attack category column needs a label column');
  });

  it('maps labels to families by the map\'s own entries only: a label such as "constructor" is its own category', () => {
    const schema = resolveSchema(parseText('x,label\n1,ok\n', {}).table, { label: 'label', normal: ['ok'], families: { neptune: 'dos' } });
    expect(labelsOfValues(['ok', 'neptune', 'constructor', 'toString'], null, schema).category).toEqual(['normal', 'dos', 'constructor', 'toString']);
  });

  it('an attack\'s category is never the normal rows\' group, and a missing one is the label\'s', () => {
    const schema = resolveSchema(parseText('x,label,kind\n1,0,\n', {}).table, { label: 'label', normal: ['0'], categoryColumn: 'kind' });
    const labels = labelsOfValues(['0', '1', '1', '1', '1', '0', '1'], ['', 'normal', '-', ' NA ', 'dos', 'normal', 'Normal'], schema);
    expect(labels.category).toEqual(['normal', 'normal (label 1)', '1', '1', 'dos', 'normal', 'Normal (label 1)']);
  });

  it('a missing label (-, empty, NA) is neither normal nor an attack: left out of training with the attacks, and of the measures', () => {
    const schema = resolveSchema(parseText('x,label\n1,ok\n', {}).table, { label: 'label', normal: ['ok'] });
    const labels = labelsOfValues(['ok', 'dos', '-', '', ' NA ', 'ok', null], null, schema);
    expect(Array.from(labels.isAnomaly)).toEqual([0, 1, 1, 1, 1, 0, 1]);
    expect(Array.from(labels.unlabelled!)).toEqual([0, 0, 1, 1, 1, 0, 1]);
    const measured = labelledScores(Float32Array.from([1, 2, 3, 4, 5, 6, 7]), labels);
    expect(Array.from(measured.scores)).toEqual([1, 2, 6]);
    expect(measured.labels).toEqual({ isAnomaly: Uint8Array.from([0, 1, 0]), category: ['normal', 'dos', 'normal'], normalCount: 2, unlabelled: null });
    expect(labelsOfValues(['ok', 'dos'], null, schema).unlabelled).toBeNull();
    const dashNormal = resolveSchema(parseText('x,label\n1,-\n', {}).table, { label: 'label', normal: ['-'] });
    expect(labelsOfValues(['-', 'dos'], null, dashNormal)).toMatchObject({ normalCount: 1, unlabelled: null });
  });

  it('takes a * in a normal or attack value for any text, and the rest of the value as it is', () => {
    expect(['x', 'flow=From-Normal-V42-Jist', 'Normal', 'flow=Background', 'a.b', 'axb'].map(labelMatcher(['*Normal*', 'a.b']))).toEqual([false, true, true, false, true, false]);
    expect(['flow=x', 'flow=', 'xflow=', 'a(1)b', 'a(1b'].map(labelMatcher(['flow=*', 'a(*)b']))).toEqual([true, true, false, true, false]);
    expect(['0', '0.0', '0.00', '-0', '0e0', '00', 'O', '1.0', '', '0.5'].map(labelMatcher(['0'])), 'a whole number with a point and zeros, as pandas writes floats').toEqual([true, true, true, false, false, false, false, false, false, false]);
    expect(['1', '1.0', '01', '100000000000000001'].map(labelMatcher(['1.0', '100000000000000000']))).toEqual([true, true, false, false]);
  });

  it('with attacks named, a label neither normal nor an attack\'s is neither: left out with the missing ones; normal comes first', () => {
    const schema = resolveSchema(parseText('x,Label\n1,ok\n', {}).table, { label: 'Label', normal: ['*Normal*'], attack: ['*Botnet*'] });
    expect(schema.attack).toEqual(['*Botnet*']);
    const labels = labelsOfValues(['flow=From-Normal-V42', 'flow=From-Botnet-V42-UDP', 'flow=Background-UDP', '-', 'Normal-Botnet'], null, schema);
    expect(Array.from(labels.isAnomaly)).toEqual([0, 1, 1, 1, 0]);
    expect(Array.from(labels.unlabelled!)).toEqual([0, 0, 1, 1, 0]);
    expect(labels.category).toEqual(['normal', 'flow=From-Botnet-V42-UDP', 'flow=Background-UDP', '-', 'normal']);
    const everyOther = resolveSchema(parseText('x,Label\n1,ok\n', {}).table, { label: 'Label', normal: ['*Normal*'] });
    expect(everyOther.attack).toBeUndefined();
    expect(labelsOfValues(['flow=Background-UDP'], null, everyOther).unlabelled).toBeNull();
  });
});
