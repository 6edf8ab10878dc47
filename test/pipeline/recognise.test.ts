import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getPreset } from '../../src/pipeline/presets';
import { firstRows, presetFeaturesIn, presetTitle, recognisePreset } from '../../src/pipeline/recognise';

const ROOT = new URL('../../', import.meta.url);
const NSL_RECORD = '0,tcp,private,REJ,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,229,10,0.00,0.00,1.00,1.00,0.04,0.06,0.00,255,10,0.04,0.06,0.00,0.00,0.00,0.00,1.00,1.00,neptune,21';

async function columnsOf(text: string, name: string): Promise<string[]> {
  return (await firstRows(new Blob([text]), name, 16)).table.columnNames();
}

describe('recognising a data set from its columns', () => {
  it('knows each header preset by its feature columns', async () => {
    const file = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');
    expect(recognisePreset(await columnsOf(file('data/sample/test.conn.log'), 'test.conn.log'))).toBe('zeek-conn');
    expect(recognisePreset(await columnsOf(file('test/pipeline/fixtures/unsw-nb15.csv'), 'u.csv'))).toBe('unsw-nb15');
    expect(recognisePreset(await columnsOf(file('test/pipeline/fixtures/cic-ids2017.csv'), 'c.csv'))).toBe('cic-ids2017');
    const ctu13 = 'StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label'.split(',');
    expect(recognisePreset(ctu13)).toBe('ctu-13');
    expect(recognisePreset(ctu13.filter((c) => c !== 'sTos' && c !== 'dTos')), 'without the columns a preset holds optional').toBe('ctu-13');
    expect(recognisePreset(ctu13.filter((c) => c !== 'State'))).toBeNull();
  });

  it('knows headerless NSL-KDD by its first record, read as a header', async () => {
    const columns = await columnsOf(`${NSL_RECORD}\n${NSL_RECORD}\n`, 'KDDTest+.txt');
    expect(columns).toContain('0.00.1');
    expect(recognisePreset(columns)).toBe('nsl-kdd');
  });

  it('tells KDD Cup 99 (no difficulty field) from NSL-KDD and matches nothing else: other names, a wrong field count, numbers where NSL-KDD has text', () => {
    expect(recognisePreset(['bytes', 'proto', 'label'])).toBeNull();
    const fields = NSL_RECORD.split(',');
    expect(recognisePreset(fields.slice(0, 42))).toBe('kdd99');
    expect(recognisePreset(fields.slice(0, 41))).toBeNull();
    expect(recognisePreset(fields.map((f, j) => (j === 1 ? '6' : f)))).toBeNull();
  });

  it('knows a headerless data set by a header of exactly its column names, and not by a part of them', async () => {
    const names = getPreset('nsl-kdd').read.names!;
    expect(recognisePreset(await columnsOf(`${names.join(',')}\n${NSL_RECORD}\n`, 'kdd.csv'))).toBe('nsl-kdd');
    expect(recognisePreset(names.slice(0, 42))).toBe('kdd99');
    expect(recognisePreset(names.slice(0, 41))).toBeNull();
    expect(recognisePreset(names.map((name) => (name === 'label' ? 'attack' : name)))).toBeNull();
  });

  it('finds the headerless data set whose features a header of other label names holds', () => {
    const names = getPreset('nsl-kdd').read.names!;
    expect(presetFeaturesIn([...names.slice(0, 41), 'attack', 'level'])?.name).toBe('nsl-kdd');
    expect(presetFeaturesIn([...names.slice(1, 41), 'attack'])).toBeNull();
    expect(presetFeaturesIn(['dur', 'proto', 'label'])).toBeNull();
  });

  it('titles presets for messages', () => {
    expect(presetTitle('nsl-kdd')).toBe('NSL-KDD');
    expect(presetTitle('zeek-conn')).toBe('Zeek conn.log');
  });
});
