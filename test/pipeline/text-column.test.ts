import { describe, expect, it } from 'vitest';
import { encodeText, pickTexts, rowTexts, textBuffers, textValue, textValues, TextValues } from '../../src/pipeline/text-column';

const utf8 = new TextEncoder();

describe('text columns as UTF-8', () => {
  it('keep bytes as they are and give their text as the input reads (invalid UTF-8 as U+FFFD)', () => {
    const values = new TextValues();
    const raw = Uint8Array.of(0x61, 0xff, 0x62, 0x2c, 0x22);
    const long = utf8.encode('é☕'.repeat(400));
    const codes = Int32Array.of(values.addBytes(raw, 0, 3), values.addBytes(raw, 3, 5), values.addBytes(long, 0, long.length), values.addBytes(raw, 0, 0));
    const column = values.take(codes);
    expect(Array.from(codes)).toEqual([0, 1, 2, 3]);
    expect(rowTexts(column)).toEqual([new TextDecoder().decode(raw.subarray(0, 3)), ',"', 'é☕'.repeat(400), '']);
    expect(textValue(column, 0)).toBe('a\uFFFDb');
    expect(Array.from(column.bytes.subarray(0, 3))).toEqual([0x61, 0xff, 0x62]);
  });

  it('list a text once while few are known, then each as it comes; take hands them over and starts afresh', () => {
    const values = new TextValues(3);
    const texts = ['a', 'b', 'a', 'ü', 'c', 'd', 'a', 'd'];
    const first = values.take(Int32Array.from(texts, (t) => values.addText(t)));
    expect(Array.from(first.codes)).toEqual([0, 1, 0, 2, 3, 4, 5, 6]);
    expect(textValues(first)).toEqual(['a', 'b', 'ü', 'c', 'd', 'a', 'd']);
    const second = values.take(Int32Array.of(values.addText('d'), values.addText('a')));
    expect(textValues(second)).toEqual(['d', 'a']);
    expect(rowTexts(first)).toEqual(texts);
    expect(new Set([...textBuffers(first), ...textBuffers(second)]).size).toBe(8);
  });

  it('grow past their first room: many values, long texts', () => {
    const texts = Array.from({ length: 5000 }, (_, i) => `host-${i}-${'ß'.repeat(i % 7)}`);
    const column = encodeText([...texts, ...texts]);
    expect(column.starts.length).toBe(5000);
    expect(Array.from(column.starts.subarray(1))).toEqual(Array.from(column.ends.subarray(0, 4999)));
    expect(rowTexts(column)).toEqual([...texts, ...texts]);
  });

  it('encodeText: missing values as the empty string, others as String gives them', () => {
    expect(rowTexts(encodeText(['x', null, undefined, 7, 'x']))).toEqual(['x', '', '', '7', 'x']);
  });

  it('pickTexts: the rows asked for, holding only the values they take', () => {
    const column = encodeText(['a', 'b', 'c', 'b', 'a', 'd']);
    const picked = pickTexts(column, 3, (n) => [3, 1, 5][n]);
    expect(rowTexts(picked)).toEqual(['b', 'b', 'd']);
    expect(textValues(picked)).toEqual(['b', 'd']);
    expect(rowTexts(pickTexts(column, 0, () => 0))).toEqual([]);
  });
});
