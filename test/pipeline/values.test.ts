import { describe, expect, it } from 'vitest';
import { parseNames } from '../../src/pipeline/dataset';
import { parseText } from '../../src/pipeline/io';
import { parseNumber } from '../../src/pipeline/values';

describe('parseNumber', () => {
  it.each<[string, number | undefined]>([
    ['', NaN],
    [' ', NaN],
    ['-', NaN],
    ['---', NaN],
    [' -- ', NaN],
    ['?', NaN],
    ['NA', NaN],
    ['NaN', NaN],
    ['null', NaN],
    ['None', NaN],
    ['inf', Infinity],
    ['+Infinity', Infinity],
    ['-inf', -Infinity],
    [' 12 ', 12],
    ['1e3', 1000],
    ['0', 0],
    ['0.05', 0.05],
    ['-7.5', -7.5],
    ['.5', 0.5],
    ['0x1F', undefined],
    [' 0x1F', undefined],
    ['0X1f', undefined],
    ['0b1', undefined],
    ['0o7', undefined],
    ['abc', undefined],
    ['1.2 M', 1_200_000],
    ['  3.6 M', 3_600_000],
    ['1.0 G', 1e9],
    ['2.5 T', 2.5e12],
    ['1.2 m', undefined],
    ['1.2 MB', undefined],
    ['-1.2 M', undefined],
    ['1.2  M', undefined],
    ['12K', undefined],
    ['4G', undefined],
    ['3.6M', undefined],
    ['M', undefined],
  ])('reads %j as %s', (text, expected) => {
    expect(parseNumber(text)).toBe(expected);
  });

  it("reads a column of counts with nfdump's scaled large ones as numbers (CIDDS-001's Bytes)", () => {
    const read = parseText('Packets,Bytes,net\n1,108,4G\n3000,3.6 M,5G\n2,"1.1 M",4G\n');
    expect(Array.from(read.table.column('Bytes') as Float64Array)).toEqual([108, 3_600_000, 1_100_000]);
    expect(read.table.column('net'), 'a unit without the space and decimal nfdump prints is text').toEqual(['4G', '5G', '4G']);
  });

  it('reads a column of infinities and missing values as numbers, and one of missing values alone as text', () => {
    const read = parseText('rate,gap,n\ninf,-,1\n-,,2\n-Infinity,-,3\n');
    expect(Array.from(read.table.column('rate') as Float64Array)).toEqual([Infinity, NaN, -Infinity]);
    expect(read.table.column('gap')).toEqual(['-', '', '-']);
  });

  it('leaves a column of hexadecimal literals as text', () => {
    const read = parseText('id,n\n0x1F,1\n0x20,2\n');
    expect(read.table.column('id')).toEqual(['0x1F', '0x20']);
    expect(read.table.column('n')).toBeInstanceOf(Float64Array);
  });
});

describe('parseNames', () => {
  it('takes the first field of every non-empty line, trimmed, after a byte-order mark', () => {
    const text = '\uFEFFduration: continuous.\r\nprotocol_type,symbolic\n\n  service\tsymbolic\n   \nflag\n';
    expect(parseNames(text)).toEqual({ names: ['duration', 'protocol_type', 'service', 'flag'], categorical: ['protocol_type', 'service'] });
  });

  it('reads the UCI .names form: the class list first, then name: type. lines, the class column last', () => {
    const text = '| KDD Cup 99 attributes\nback,buffer_overflow,normal,smurf.\nduration: continuous.\nprotocol_type: symbolic.\nsrc_bytes: continuous.\n';
    expect(parseNames(text)).toEqual({ names: ['duration', 'protocol_type', 'src_bytes', 'class'], categorical: ['protocol_type'] });
  });

  it('reads a CSV table of the columns by its Name column (NUSW-NB15_features.csv), quoted fields and all', () => {
    const text = 'No.,Name,Type ,Description\r\n1,srcip,nominal,Source IP address\r\n2,sport,integer,"Source port, the ""from"" end"\r\n\r\n3, proto ,nominal,x\r\n';
    expect(parseNames(text)).toEqual({ names: ['srcip', 'sport', 'proto'], categorical: [] });
    expect(parseNames('name\nbytes\n')).toEqual({ names: ['name', 'bytes'], categorical: [] });
    expect(parseNames('No.,Name,Type,Description\n1,proto,nominal,"the protocol\nfor example, tcp"\n2,bytes,integer,b\n')).toEqual({ names: ['proto', 'bytes'], categorical: [] });
    expect(parseNames('No.\tName\tType\n1\tproto\tnominal\n2\tbytes\tinteger\n')).toEqual({ names: ['proto', 'bytes'], categorical: [] });
  });

  it('reads a column called name in a one-per-line file as a name, and all the names on one line (a header saved alone)', () => {
    expect(parseNames('name,symbolic\nbytes,continuous\nlabel\n')).toEqual({ names: ['name', 'bytes', 'label'], categorical: ['name'] });
    expect(parseNames('"pkSeqID","stime","proto",attack\r\n')).toEqual({ names: ['pkSeqID', 'stime', 'proto', 'attack'], categorical: [] });
    expect(parseNames('dur\tproto\tlabel\n')).toEqual({ names: ['dur', 'proto', 'label'], categorical: [] });
    expect(parseNames('protocol_type,symbolic\n')).toEqual({ names: ['protocol_type'], categorical: ['protocol_type'] });
    expect(parseNames('Flow ID,Src IP,Timestamp,Flow Duration,Label\n').names, 'a name that is also a kind word').toEqual(['Flow ID', 'Src IP', 'Timestamp', 'Flow Duration', 'Label']);
  });

  it('gives no names for an empty file', () => {
    expect(parseNames('')).toEqual({ names: [], categorical: [] });
  });
});
