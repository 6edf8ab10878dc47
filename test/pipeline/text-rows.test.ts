import { describe, expect, it } from 'vitest';
import { countLines, lastRowEnd, rowEnd, unquote } from '../../src/pipeline/text-rows';

const bytes = (text: string) => new TextEncoder().encode(text);
const COMMA = 44;

describe('rowEnd', () => {
  it('ends a row at its first line feed outside quotes, a quoted field running over lines', () => {
    const text = bytes('1,"a\nb, c",x\n2,plain,y\n3,"say ""hi""\n",z\n');
    const first = rowEnd(text, 0, text.length, COMMA, true);
    expect(first).toBe(text.indexOf(10, text.indexOf(10) + 1) + 1);
    const second = rowEnd(text, first, text.length, COMMA, true);
    expect(new TextDecoder().decode(text.subarray(first, second))).toBe('2,plain,y\n');
    expect(rowEnd(text, second, text.length, COMMA, true)).toBe(text.length);
  });

  it('takes a quote after a field\'s first byte as text, and ignores quotes in Zeek logs', () => {
    const text = bytes('1,a"b,c\n2,"x\n');
    expect(rowEnd(text, 0, text.length, COMMA, true)).toBe(8);
    expect(rowEnd(text, 8, text.length, 9, false)).toBe(text.length);
  });

  it('says -1 when a quoted field is not closed before the end', () => {
    const text = bytes('1,"open\nstill open\n');
    expect(rowEnd(text, 0, text.length, COMMA, true)).toBe(-1);
  });
});

describe('lastRowEnd', () => {
  it('finds the end of the last whole row, quoted line feeds not counted as ends', () => {
    const text = bytes('1,"a\nb"\n2,"c\nd');
    expect(lastRowEnd(text, 0, text.length, COMMA, true)).toBe(8);
    expect(lastRowEnd(text, 0, 5, COMMA, true)).toBe(-1);
    expect(lastRowEnd(bytes('x\ny\nz'), 0, 5, COMMA, false)).toBe(4);
  });
});

describe('countLines', () => {
  it('counts the line feeds of a block, quoted or not, through a view of a larger buffer', () => {
    const whole = bytes('head\n1,"a\nb"\n\n2,c\n');
    expect(countLines(whole.subarray(5))).toBe(4);
    expect(countLines(bytes('no line feed'))).toBe(0);
  });
});

describe('unquote', () => {
  it('reads each "" as ", pairs taken left to right, other text and multi-byte characters as they are', () => {
    const inside = (text: string) => unquote(bytes(text), 0, bytes(text).length);
    expect(inside('say ""hi""')).toBe('say "hi"');
    expect(inside('""""')).toBe('""');
    expect(inside('a"""b')).toBe('a""b');
    expect(inside('é""ß, x')).toBe('é"ß, x');
    expect(inside('plain')).toBe('plain');
  });

  it('reads a field of millions of "" pairs in one pass', () => {
    const field = 'x""'.repeat(3_000_000);
    expect(unquote(bytes(field), 0, field.length)).toBe('x"'.repeat(3_000_000));
  });
});
