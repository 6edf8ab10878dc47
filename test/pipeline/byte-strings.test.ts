import { describe, expect, it } from 'vitest';
import { ByteStrings, decodeBytes } from '../../src/pipeline/byte-strings';

const utf8 = (text: string) => new TextEncoder().encode(text);

describe('byte strings', () => {
  it('gives the same string object for the same bytes, past many entries and rehashes', () => {
    const strings = new ByteStrings(5000);
    const texts = Array.from({ length: 3000 }, (_, i) => `value-${i}-é`);
    const first = texts.map((t) => strings.get(utf8(t), 0, utf8(t).length));
    expect(first).toEqual(texts);
    const bytes = utf8(`xx${texts[1234]}yy`);
    expect(strings.get(bytes, 2, bytes.length - 2)).toBe(first[1234]);
  });

  it('decodes what it cannot keep (too many, too long), and invalid UTF-8 as TextDecoder does', () => {
    const strings = new ByteStrings(2, 8);
    expect(strings.get(utf8('a'), 0, 1)).toBe('a');
    expect(strings.full).toBe(false);
    expect(['b', 'c', 'a', 'c'].map((t) => strings.get(utf8(t), 0, 1))).toEqual(['b', 'c', 'a', 'c']);
    expect(strings.full).toBe(true);
    expect(strings.entry(utf8('c'), 0, 1)).toBe(-1);
    const long = utf8('a much longer field');
    expect(strings.get(long, 0, long.length)).toBe('a much longer field');
    const bad = Uint8Array.from([0x61, 0xc3, 0x2c, 0xff, 0x62]);
    expect(decodeBytes(bad, 0, 2) + ',' + decodeBytes(bad, 3, 5)).toBe(new TextDecoder().decode(bad));
  });
});
