import { describe, expect, it } from 'vitest';
import {
  bestF1Threshold,
  confusionMatrix,
  detectionByCategory,
  evaluate,
  evaluateAtBoth,
  evaluateGroups,
  MetricError,
  percentileThreshold,
  prAuc,
  prCurve,
  rates,
  rocAuc,
  rocCurve,
} from '../../src/pipeline/metrics';

// Four rows: normal 0.1, normal 0.4, anomaly 0.35, anomaly 0.8.
const scores = [0.1, 0.4, 0.35, 0.8];
const labels = [0, 0, 1, 1];

describe('confusion matrix and rates', () => {
  it('flags scores at or above the threshold', () => {
    expect(confusionMatrix(scores, labels, 0.35)).toEqual({ tp: 2, fp: 1, tn: 1, fn: 0 });
    expect(confusionMatrix(scores, labels, 0.5)).toEqual({ tp: 1, fp: 0, tn: 2, fn: 1 });
  });

  it('computes precision, recall, F1, accuracy and FPR', () => {
    expect(rates({ tp: 2, fp: 1, tn: 1, fn: 0 })).toEqual({ precision: 2 / 3, recall: 1, f1: 0.8, accuracy: 0.75, fpr: 0.5 });
  });

  it('gives 0 where a denominator is 0', () => {
    expect(rates({ tp: 0, fp: 0, tn: 5, fn: 0 })).toEqual({ precision: 0, recall: 0, f1: 0, accuracy: 1, fpr: 0 });
    expect(rates({ tp: 3, fp: 0, tn: 0, fn: 1 })).toMatchObject({ fpr: 0, precision: 1, recall: 0.75 });
  });
});

describe('ROC-AUC', () => {
  it('is the share of (anomaly, normal) pairs ranked right, ties counting half', () => {
    expect(rocAuc(scores, labels)).toBe(0.75);
    expect(rocAuc([1, 2, 3, 4], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([4, 3, 2, 1], [0, 0, 1, 1])).toBe(0);
    expect(rocAuc([5, 5, 5, 5], [0, 1, 0, 1])).toBe(0.5);
    // pairs: (2 vs 1) win, (2 vs 2) tie, (3 vs 1) win, (3 vs 2) win → 3.5 / 4
    expect(rocAuc([1, 2, 2, 3], [0, 0, 1, 1])).toBe(0.875);
  });

  it('matches a brute-force pair count on a larger ranking with many ties', () => {
    const s = Array.from({ length: 300 }, (_, i) => Math.floor(((i * 37) % 101) / 10));
    const y = Array.from({ length: 300 }, (_, i) => ((i * 13) % 7 < 3 ? 1 : 0));
    let wins = 0;
    let pairs = 0;
    for (let i = 0; i < s.length; i++) {
      for (let j = 0; j < s.length; j++) {
        if (y[i] === 1 && y[j] === 0) {
          pairs++;
          wins += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
        }
      }
    }
    expect(rocAuc(Float32Array.from(s), Uint8Array.from(y))).toBeCloseTo(wins / pairs, 12);
  });

  it('throws for one class only', () => {
    expect(() => rocAuc([1, 2], [0, 0])).toThrow(MetricError);
    expect(() => rocAuc([1, 2], [0, 0])).toThrow('no anomaly');
    expect(() => rocAuc([1, 2], [1, 1])).toThrow('no normal row');
  });
});

describe('PR-AUC (average precision)', () => {
  it('sums recall gained times precision over distinct thresholds', () => {
    // thresholds 0.8 (P 1, R .5), 0.4 (P .5, R .5), 0.35 (P 2/3, R 1), 0.1 → .5·1 + .5·2/3
    expect(prAuc(scores, labels)).toBeCloseTo(5 / 6, 12);
    // tied pair at 0.5: P .5, R .5; then 0.2: P 2/3, R 1 → .25 + 1/3
    expect(prAuc([0.5, 0.5, 0.2], [1, 0, 1])).toBeCloseTo(7 / 12, 12);
  });

  it('is 1 when every row is an anomaly, and throws with none', () => {
    expect(prAuc([0.3, 0.2], [1, 1])).toBe(1);
    expect(() => prAuc([0.3, 0.2], [0, 0])).toThrow('no anomaly');
  });
});

describe('curves', () => {
  it('gives the ROC curve as a table from (0, 0) to (1, 1)', () => {
    expect(rocCurve(scores, labels).objects()).toEqual([
      { threshold: Infinity, fpr: 0, tpr: 0 },
      { threshold: 0.8, fpr: 0, tpr: 0.5 },
      { threshold: 0.4, fpr: 0.5, tpr: 0.5 },
      { threshold: 0.35, fpr: 0.5, tpr: 1 },
      { threshold: 0.1, fpr: 1, tpr: 1 },
    ]);
  });

  it('gives the PR curve as a table, one row per distinct score', () => {
    expect(prCurve([0.5, 0.5, 0.2], [1, 0, 1]).objects()).toEqual([
      { threshold: 0.5, recall: 0.5, precision: 0.5 },
      { threshold: 0.2, recall: 1, precision: 2 / 3 },
    ]);
  });
});

describe('thresholds', () => {
  it('takes a percentile of normal scores with linear interpolation', () => {
    expect(percentileThreshold([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentileThreshold([0, 10], 90)).toBe(9);
    expect(percentileThreshold([3, 7, 5], 0)).toBe(3);
    expect(percentileThreshold([3, 7, 5], 100)).toBe(7);
    expect(() => percentileThreshold([], 99)).toThrow(MetricError);
    expect(() => percentileThreshold([1], 101)).toThrow('0–100');
  });

  it('finds the threshold that maximises F1', () => {
    expect(bestF1Threshold(scores, labels)).toEqual({ threshold: 0.35, precision: 2 / 3, recall: 1, f1: 0.8, accuracy: 0.75, fpr: 0.5 });
    expect(bestF1Threshold([0.9, 0.8, 0.1], [1, 1, 0]).threshold).toBe(0.8);
    expect(() => bestF1Threshold([1, 2], [0, 0])).toThrow('no anomaly');
  });
});

describe('evaluate', () => {
  it('reports confusion, rates, AUCs and detection per category', () => {
    const report = evaluate(scores, Uint8Array.from(labels), {
      threshold: 0.35,
      categories: ['normal', 'normal', 'dos', 'probe'],
    });
    expect(report).toMatchObject({
      threshold: 0.35,
      rows: 4,
      anomalies: 2,
      normals: 2,
      confusion: { tp: 2, fp: 1, tn: 1, fn: 0 },
      f1: 0.8,
      accuracy: 0.75,
      fpr: 0.5,
      rocAuc: 0.75,
      notes: [],
    });
    expect(report.prAuc).toBeCloseTo(5 / 6, 12);
    expect(report.byCategory).toEqual([
      { category: 'dos', rows: 1, flagged: 1, rate: 1 },
      { category: 'normal', rows: 2, flagged: 1, rate: 0.5 },
      { category: 'probe', rows: 1, flagged: 1, rate: 1 },
    ]);
  });

  it('gives the AUCs counted pair by pair and threshold by threshold, ties included', () => {
    const many = Array.from({ length: 300 }, (_, i) => ((i * 37) % 23) / 4);
    const classes = many.map((_, i) => ((i * 11) % 7 < 2 ? 1 : 0));
    const report = evaluate(many, classes, { threshold: 3 });
    // ROC-AUC: the share of (anomaly, normal) pairs the anomaly wins, a tie counting half.
    let wins = 0;
    let pairs = 0;
    many.forEach((a, i) => {
      if (!classes[i]) return;
      many.forEach((b, j) => {
        if (classes[j]) return;
        pairs++;
        wins += a > b ? 1 : a === b ? 0.5 : 0;
      });
    });
    // PR-AUC (average precision): at each distinct score, the anomalies scored there over all
    // anomalies, times the precision of flagging every row scored at least that.
    const positives = classes.filter(Boolean).length;
    let ap = 0;
    for (const t of new Set(many)) {
      const gained = many.filter((s, i) => s === t && classes[i]).length;
      const flagged = many.filter((s) => s >= t).length;
      const hits = many.filter((s, i) => s >= t && classes[i]).length;
      ap += (gained / positives) * (hits / flagged);
    }
    expect(report.rocAuc).toBeCloseTo(wins / pairs, 12);
    expect(report.prAuc).toBeCloseTo(ap, 12);
    expect(rocAuc(many, classes)).toBeCloseTo(wins / pairs, 12);
    expect(prAuc(many, classes)).toBeCloseTo(ap, 12);
  });

  it('reports AUCs as null with a note when the labels hold one class', () => {
    const normalOnly = evaluate([0.1, 0.9], [0, 0], { threshold: 0.5 });
    expect(normalOnly).toMatchObject({ rocAuc: null, prAuc: null, recall: 0, f1: 0, fpr: 0.5, accuracy: 0.5 });
    expect(normalOnly.notes[0]).toContain('no anomalies');
    const attacksOnly = evaluate([0.1, 0.9], [1, 1], { threshold: 0.5 });
    expect(attacksOnly).toMatchObject({ rocAuc: null, prAuc: 1, recall: 0.5, fpr: 0 });
    expect(attacksOnly.notes[0]).toContain('no normal rows');
  });

  it('rejects NaN scores, labels other than 0/1, mismatched lengths and empty input', () => {
    expect(() => evaluate([0.1, NaN], [0, 1], { threshold: 0 })).toThrow('score 1 is NaN');
    expect(() => evaluate([0.1, 0.2], [0, 2], { threshold: 0 })).toThrow('label 1 is 2');
    expect(() => evaluate([0.1], [0, 1], { threshold: 0 })).toThrow('1 scores but 2 labels');
    expect(() => evaluate([], [], { threshold: 0 })).toThrow('no scores');
  });
});

describe('evaluateAtBoth', () => {
  it('equals evaluate at the threshold and at the best F1, whose F1 and ROC-AUC a count over every pair and threshold confirms', () => {
    let s = 3;
    const random = () => {
      s = (s * 1664525 + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
    for (const n of [2, 50, 2000]) {
      const labels = Array.from({ length: n }, (_, i) => (i < 1 ? 0 : i < 2 ? 1 : random() < 0.3 ? 1 : 0));
      const scores = Float32Array.from(labels, (l) => Math.round((random() + 0.4 * l) * 200) / 200);
      const categories = labels.map((l, i) => (l === 0 ? 'normal' : ['dos', 'probe', 'r2l'][i % 3]));
      const both = evaluateAtBoth(scores, labels, { threshold: 0.5, categories });
      expect(both.atThreshold).toEqual(evaluate(scores, labels, { threshold: 0.5, categories }));
      expect(both.atBestF1).toEqual(evaluate(scores, labels, { threshold: both.atBestF1!.threshold, categories }));
      let [wins, pairs] = [0, 0];
      for (let a = 0; a < n; a++) {
        if (labels[a] !== 1) continue;
        for (let b = 0; b < n; b++) {
          if (labels[b] !== 0) continue;
          pairs++;
          wins += scores[a] > scores[b] ? 1 : scores[a] === scores[b] ? 0.5 : 0;
        }
      }
      expect(both.atThreshold.rocAuc).toBeCloseTo(wins / pairs, 12);
      const f1At = (t: number) => evaluate(scores, labels, { threshold: t }).f1;
      const bestF1 = Math.max(...[...new Set(scores)].map(f1At));
      expect(both.atBestF1!.f1).toBe(bestF1);
      expect(Math.max(...[...new Set(scores)].filter((t) => f1At(t) === bestF1))).toBe(both.atBestF1!.threshold);
      expect(bestF1Threshold(scores, labels).threshold).toBe(both.atBestF1!.threshold);
    }
    expect(evaluateAtBoth([0.1, 0.9], [0, 0], { threshold: 0.5 }).atBestF1).toBeNull();
  });
});

describe('evaluateGroups', () => {
  it('equals evaluateAtBoth on the same rows, whatever the groups are cut into and in whatever order', () => {
    let s = 11;
    const random = () => {
      s = (s * 1664525 + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
    const n = 3000;
    const labels = Array.from({ length: n }, () => (random() < 0.4 ? 1 : 0));
    const scores = Float32Array.from(labels, (l) => Math.round((random() + 0.5 * l) * 300) / 300);
    const categories = labels.map((l) => (l === 0 ? (random() < 0.9 ? 'normal' : 'odd') : ['dos', 'probe', 'odd'][Math.floor(random() * 3)]));
    const groups = new Map<string, { category: string; anomaly: boolean; rows: number[] }>();
    for (let i = 0; i < n; i++) {
      const key = `${labels[i]}${categories[i]}`;
      const group = groups.get(key) ?? { category: categories[i], anomaly: labels[i] === 1, rows: [] };
      group.rows.push(i);
      groups.set(key, group);
    }
    const cut = [...groups.values()].reverse().map(({ category, anomaly, rows }) => {
      const parts: Float32Array[] = [];
      for (let at = 0; at < rows.length; ) {
        const end = Math.min(rows.length, at + 1 + Math.floor(random() * 400));
        parts.push(Float32Array.from(rows.slice(at, end), (i) => scores[i]));
        at = end;
      }
      return { category, anomaly, parts };
    });
    const expected = evaluateAtBoth(scores, labels, { threshold: 0.6, categories });
    expect(expected.atThreshold.byCategory.find((c) => c.category === 'odd')!.rows).toBeGreaterThan(0);
    expect(evaluateGroups(cut, 0.6)).toEqual(expected);
    const plain = evaluateAtBoth(scores, labels, { threshold: 0.6 });
    expect(evaluateGroups(cut, 0.6, false)).toEqual(plain);
    expect(() => evaluateGroups([], 0.6)).toThrow('no scores');
    expect(() => evaluateGroups([{ category: 'x', anomaly: true, parts: [Float32Array.of(0.1, NaN)] }], 0.6)).toThrow('NaN');
  });
});

describe('detectionByCategory', () => {
  it('counts flagged rows per category as a table', () => {
    const t = detectionByCategory([0.9, 0.2, 0.7, 0.6], ['scan', 'scan', 'flood', 'scan'], 0.5);
    expect(t.objects()).toEqual([
      { category: 'flood', rows: 1, flagged: 1, rate: 1 },
      { category: 'scan', rows: 3, flagged: 2, rate: 2 / 3 },
    ]);
  });

  it('counts the same from codes into a list of names as from the names', () => {
    const names = ['scan', 'flood', 'normal'];
    const codes = [0, 0, 1, 0, 2, 2, 1];
    const scores = [0.9, 0.2, 0.7, 0.6, 0.1, 0.8, 0.3];
    const expected = detectionByCategory(scores, codes.map((c) => names[c]), 0.5).objects();
    expect(detectionByCategory(scores, { codes, names }, 0.5).objects()).toEqual(expected);
    expect(detectionByCategory(scores, { codes, names: [...names, 'unused'] }, 0.5).objects()).toEqual(expected);
    expect(() => detectionByCategory(scores, { codes: codes.slice(1), names }, 0.5)).toThrow('6 categories for 7 scores');
  });

  it('orders categories by their code units, as a sort of strings does', () => {
    const names = ['b', 'B', 'a', 'é', 'Z', 'aa', ''];
    const t = detectionByCategory(names.map(() => 1), names, 0.5);
    expect(t.array('category')).toEqual([...names].sort());
  });
});
