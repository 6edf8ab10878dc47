import { describe, expect, it } from 'vitest';
import { ScoreWriter, type ScoreLayout } from '../../src/app/score-output';
import { formatScore, scoreLines } from '../../src/app/scores-csv';
import { encodeText, rowTexts, type TextColumn } from '../../src/pipeline/text-column';
import { seededRandom } from '../../src/model/random';

const CSV: ScoreLayout = { format: 'csv', texts: [], explain: 0 };

/** Scores written as `netae score` writes a chunk of them, with or without a label column. */
function written(scores: Float32Array, threshold: number, labels: TextColumn | null, firstRow: number): string {
  const layout = labels === null ? CSV : { ...CSV, texts: ['label'] };
  return new TextDecoder().decode(new ScoreWriter(layout, threshold).bytes({ scores, firstRow, texts: labels === null ? [] : [labels], rows: null, explained: null }));
}

describe('scores as CSV', () => {
  it('writes each score as String(Number(score.toPrecision(9))) does, across every float32 exponent', () => {
    const bits = new Uint32Array(1);
    const float = new Float32Array(bits.buffer);
    const random = seededRandom(7);
    const values = [0, -0, 1, 0.1, 1e-7, 1e-6, 9.99999975e-7, 123456789, 1e9, 1e21, 1e20, 3.4028234663852886e38, 1.401298464324817e-45, Infinity, NaN];
    for (let i = 0; i < 50_000; i++) {
      bits[0] = Math.floor(random() * 0x80000000);
      values.push(float[0]);
    }
    for (const v of values) expect(formatScore(v), String(v)).toBe(String(Number(v.toPrecision(9))));
  });

  it('writes the same text as bytes, computed without toPrecision, for every float32 it takes', () => {
    const bits = new Uint32Array(1);
    const float = new Float32Array(bits.buffer);
    const random = seededRandom(11);
    const scores = new Float32Array(200_000);
    for (let i = 0; i < scores.length; i++) {
      bits[0] = 0x28800000 + Math.floor(random() * (0x4e6e6b28 - 0x28800000));
      scores[i] = float[0];
    }
    scores.set([1e-14, 0.5, 1, 10, 99999.9922, 999999936, 1.00000012, 0.100000001, 123.456787], 0);
    const lines = written(scores, Infinity, null, 1).split('\n');
    scores.forEach((score, i) => expect(lines[i], String(score)).toBe(`${i + 1},${String(Number(score.toPrecision(9)))},0`));
  });

  it('writes the same lines as bytes, labels quoted where CSV needs it', () => {
    const scores = Float32Array.from([0.5, 1e-8, 12345.678, 2]);
    const labels = { ...encodeText(['normal', 'a, "b"', 'café']), codes: Int32Array.from([0, 1, 0, 2]) };
    const text = written(scores, 1, labels, 99_998);
    expect(text).toBe(scoreLines(scores, 1, rowTexts(labels), 99_998));
    expect(text.split('\n')[1]).toBe('99999,9.99999994e-9,0,"a, ""b"""');
    expect(written(scores, 1, null, 1)).toBe(scoreLines(scores, 1, null, 1));
  });
});
