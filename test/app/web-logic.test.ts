import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatScore, scoresCsv } from '../../src/app/scores-csv';
import { inspectFile } from '../../src/app/web/inspect';
import { guessLabel } from '../../src/pipeline/guess-label';
import { LogScale, ThresholdIndex } from '../../src/app/web/threshold';
import { scoreBins } from '../../src/app/web/charts';
import { FlaggedIndex, NEAR_ROWS, pageOf } from '../../src/app/web/flagged';
import { modelWithThreshold } from '../../src/app/web/downloads';
import { timeLeft } from '../../src/app/web/training-view';
import { driversAt } from '../../src/app/web/drivers';
import type { Result } from '../../src/app/web/protocol';
import { decodeModel, encodeModel } from '../../src/model/model';
import { defaultSpec, parameterCount } from '../../src/model/spec';
import { ROOT } from './run';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('the page’s threshold math', () => {
  const random = seeded(7);
  const n = 3_000;
  const isAnomaly = Uint8Array.from({ length: n }, () => (random() < 0.2 ? 1 : 0));
  const category = Array.from(isAnomaly, (a) => (a ? ['scan', 'flood', 'tunnel'][Math.floor(random() * 3)] : 'normal'));
  const scores = Float32Array.from(isAnomaly, (a) => Math.exp((a ? 1 : -1) + random() * 4 - 2));
  scores[10] = scores[11];
  const index = new ThresholdIndex(scores, { isAnomaly, category, unlabelled: null });

  it('counts the confusion matrix, rates and per-category rates row by row at any threshold', () => {
    const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
    for (const threshold of [0, scores[11], scores[5], 0.5, 1, 2.5, Math.max(...scores), Infinity]) {
      const at = index.at(threshold);
      const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
      const perCategory = new Map<string, { rows: number; flagged: number }>();
      scores.forEach((s, i) => {
        const flagged = s >= threshold;
        if (isAnomaly[i]) flagged ? c.tp++ : c.fn++;
        else flagged ? c.fp++ : c.tn++;
        const k = perCategory.get(category[i]) ?? { rows: 0, flagged: 0 };
        perCategory.set(category[i], { rows: k.rows + 1, flagged: k.flagged + (flagged ? 1 : 0) });
      });
      expect(at.confusion).toEqual(c);
      expect(at.flagged).toBe(c.tp + c.fp);
      expect(at.precision).toBe(ratio(c.tp, c.tp + c.fp));
      expect(at.recall).toBe(ratio(c.tp, c.tp + c.fn));
      expect(at.f1).toBeCloseTo(ratio(2 * at.precision * at.recall, at.precision + at.recall), 12);
      expect(at.accuracy).toBe((c.tp + c.tn) / n);
      expect(at.fpr).toBe(ratio(c.fp, c.fp + c.tn));
      const categories = [...perCategory].sort(([a], [b]) => a.localeCompare(b))
        .map(([name, k]) => ({ category: name, rows: k.rows, flagged: k.flagged, rate: k.flagged / k.rows }));
      expect(at.categories).toEqual(categories);
    }
  });

  it('leaves rows without a label out of every measure, as netae eval does, while counting them as flagged', () => {
    const unlabelled = Uint8Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 1 : 0));
    const kept = Int32Array.from({ length: n }, (_, i) => i).filter((i) => unlabelled[i] === 0);
    const labelledIndex = new ThresholdIndex(Float32Array.from(kept, (i) => scores[i]), { isAnomaly: Uint8Array.from(kept, (i) => isAnomaly[i]), category: Array.from(kept, (i) => category[i]), unlabelled: null });
    const withUnlabelled = new ThresholdIndex(scores, { isAnomaly: Uint8Array.from(isAnomaly, (a, i) => a | unlabelled[i]), category: category.map((c, i) => (unlabelled[i] ? 'flow=Background' : c)), unlabelled });
    for (const threshold of [0, 0.5, 1, 2.5]) {
      const [full, part] = [withUnlabelled.at(threshold), labelledIndex.at(threshold)];
      expect({ ...full, flagged: 0 }).toEqual({ ...part, flagged: 0 });
      expect(full.flagged).toBe(scores.filter((s) => s >= threshold).length);
    }
    const bins = scoreBins(scores, { isAnomaly, category, unlabelled }, [0.01, 100]);
    const anomalous = bins.filter((b) => b.group === 'anomalous');
    expect(anomalous.reduce((sum, b) => sum + b.share, 0)).toBeCloseTo(1, 12);
    expect(scoreBins(scores, { isAnomaly, category, unlabelled }, [0.01, 100])).not.toEqual(scoreBins(scores, { isAnomaly, category, unlabelled: null }, [0.01, 100]));
  });

  it('counts flagged rows of unlabelled scores', () => {
    const at = new ThresholdIndex(scores, null).at(1);
    expect(at.confusion).toBeNull();
    expect(at.flagged).toBe(scores.filter((s) => s >= 1).length);
  });

  it('maps the slider onto the scores on a log scale', () => {
    const scale = new LogScale(scores);
    const [lo, hi] = scale.domain;
    expect(lo).toBe(Math.min(...scores));
    expect(hi).toBe(Math.max(...scores));
    expect(scale.fromStep(0)).toBeCloseTo(lo, 12);
    expect(scale.fromStep(scale.steps) / hi).toBeCloseTo(1, 12);
    // Equal steps are equal ratios: the midpoint is the geometric mean, a quarter of the way is lo^¾·hi^¼.
    expect(scale.fromStep(scale.steps / 2) / Math.sqrt(lo * hi)).toBeCloseTo(1, 12);
    expect(scale.fromStep(scale.steps / 4) / (lo ** 0.75 * hi ** 0.25)).toBeCloseTo(1, 12);
    expect(scale.toStep(Math.sqrt(lo * hi))).toBe(scale.steps / 2);
    expect(scale.toStep(lo ** 0.563 * hi ** 0.437)).toBe(437);
    expect(scale.toStep(0)).toBe(0);
    expect(scale.toStep(hi * 2)).toBe(scale.steps);
  });
});

describe('the page’s scores CSV', () => {
  it('is the format `netae score` writes', () => {
    const csv = scoresCsv(Float32Array.of(0.5, 0.125, 1 / 3), 0.3, { name: 'verdict', values: ['normal', 'a,b', 'x"y'] });
    expect(csv).toBe(`row,score,flag,verdict\n1,0.5,1,normal\n2,0.125,0,"a,b"\n3,${formatScore(Math.fround(1 / 3))},1,"x""y"\n`);
    expect(Math.fround(Number(formatScore(Math.fround(1 / 3))))).toBe(Math.fround(1 / 3));
    expect(scoresCsv(Float32Array.of(2), 1, null)).toBe('row,score,flag\n1,2,1\n');
  });
});

describe('reading a dropped file', () => {
  const file = (path: string, name: string) => new File([readFileSync(path)], name);

  it('recognises each preset from its header or its shape', async () => {
    expect((await inspectFile(file(`${ROOT}data/sample/test.conn.log`, 'test.conn.log'))).preset).toBe('zeek-conn');
    expect((await inspectFile(file(`${ROOT}test/pipeline/fixtures/unsw-nb15.csv`, 'u.csv'))).preset).toBe('unsw-nb15');
    expect((await inspectFile(file(`${ROOT}test/pipeline/fixtures/cic-ids2017.csv`, 'c.csv'))).preset).toBe('cic-ids2017');
    const nsl = '0,tcp,private,REJ,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,229,10,0.00,0.00,1.00,1.00,0.04,0.06,0.00,255,10,0.04,0.06,0.00,0.00,0.00,0.00,1.00,1.00,neptune,21\n';
    const info = await inspectFile(new File([nsl.repeat(3)], 'KDDTest+.txt'));
    expect(info.preset).toBe('nsl-kdd');
    expect(info.columns).toHaveLength(43);
    expect(info.columns[0]).toBe('duration');
  });

  it('guesses the label column and normal value of a generic CSV', async () => {
    const csv = 'bytes,proto,Verdict\n10,tcp,ok\n20,udp,BENIGN\n5,tcp,BENIGN\n900,tcp,DDoS\n';
    const info = await inspectFile(new File([csv], 'flows.csv'));
    expect(info.preset).toBeNull();
    expect(info.columns).toEqual(['bytes', 'proto', 'Verdict']);
    expect(info.label).toBe('Verdict');
    expect(info.normal).toBe('BENIGN');
    expect(info.category).toBeNull();
    const typed = await inspectFile(new File(['bytes,type,label\n10,normal,0\n900,scanning,1\n20,normal,0\n'], 'ton.csv'));
    expect([typed.label, typed.normal, typed.category]).toEqual(['label', '0', 'type']);
    expect(guessLabel(['x', 'class'], { x: ['1'], class: ['attack', 'normal'] })).toEqual({ label: 'class', normal: 'normal' });
    expect(guessLabel(['x'], { x: ['0', '1'] })).toEqual({ label: null, normal: null });
  });
});

describe('the flagged rows table', () => {
  const random = seeded(11);
  const n = 500;
  const scores = Float32Array.from({ length: n }, () => random() * 10);
  scores[7] = scores[8];
  const category = Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 'scan' : i % 4 === 1 ? 'flood' : 'normal'));
  const explained = Array.from({ length: n }, (_, index) => ({
    index, flow: [], errors: [{ column: index % 3 ? 'bytes' : 'service', feature: index % 3 ? 'bytes' : 'service=http', value: 1, expected: 2, share: 1 }],
  }));
  const index = new FlaggedIndex(scores, category, explained);
  const query = { threshold: 6, view: 'flagged' as const, category: null, column: null, sort: 'score' as const, descending: true };

  it('lists every row at or above the threshold, highest first, at any threshold', () => {
    for (const threshold of [0, 3.3, 6, scores[7], 9.99, 11]) {
      const rows = index.select({ ...query, threshold });
      const expected = Array.from(scores.keys()).filter((i) => scores[i] >= threshold);
      expect(rows.length).toBe(expected.length);
      expect(index.flaggedCount(threshold)).toBe(expected.length);
      expect(new Set(rows)).toEqual(new Set(expected));
      for (let k = 1; k < rows.length; k++) expect(scores[rows[k - 1]]).toBeGreaterThanOrEqual(scores[rows[k]]);
    }
  });

  it('filters by category and by explained column, and sorts by row, score or label either way', () => {
    const scans = index.select({ ...query, category: 'scan' });
    expect(scans.every((i) => category[i] === 'scan')).toBe(true);
    expect(scans.length).toBe(Array.from(scores.keys()).filter((i) => scores[i] >= 6 && category[i] === 'scan').length);
    const service = index.select({ ...query, column: 'service' });
    expect(service.every((i) => i % 3 === 0)).toBe(true);
    const byRow = index.select({ ...query, sort: 'row', descending: false });
    expect(byRow).toEqual([...byRow].sort((a, b) => a - b));
    const ascending = index.select({ ...query, descending: false });
    expect(scores[ascending[0]]).toBeLessThanOrEqual(scores[ascending[1]]);
    const byLabel = index.select({ ...query, sort: 'category', descending: false });
    expect(byLabel.map((i) => category[i])).toEqual([...byLabel.map((i) => category[i])].sort());
    expect(index.categoryNames()).toEqual(['flood', 'normal', 'scan']);
    expect(index.explainedColumns()).toEqual(['bytes', 'service']);
  });

  it('shows the rows nearest the threshold on either side, for review', () => {
    const near = index.select({ ...query, view: 'near' });
    expect(near).toHaveLength(2 * NEAR_ROWS);
    expect(near.filter((i) => scores[i] >= 6)).toHaveLength(NEAR_ROWS);
    const flagged = new Set(index.select(query));
    const lowestFlagged = Math.min(...near.filter((i) => flagged.has(i)).map((i) => scores[i]));
    expect(index.select(query).filter((i) => scores[i] < lowestFlagged)).toEqual([]);
  });

  it('pages', () => {
    const rows = Array.from({ length: 60 }, (_, i) => i);
    expect(pageOf(rows, 0, 25)).toMatchObject({ first: 1, last: 25, pages: 3 });
    expect(pageOf(rows, 2, 25)).toMatchObject({ rows: rows.slice(50), first: 51, last: 60 });
    expect(pageOf(rows, 9, 25).first).toBe(51);
    expect(pageOf([], 0, 25)).toMatchObject({ rows: [], first: 0, last: 0, pages: 1 });
  });
});

describe('the page’s downloads and estimates', () => {
  it('gives the model the threshold on screen, recorded as chosen, and leaves its own alone', () => {
    const spec = defaultSpec(6);
    const bytes = encodeModel({ spec, params: new Float32Array(parameterCount(spec)).fill(0.5), meta: { threshold: { value: 0.4, mode: 'percentile', percentile: 99 }, training: { epochs: 3 } } });
    const result = { model: bytes, modelName: 'm.safetensors', summary: { threshold: 0.4 } } as unknown as Result;
    expect(modelWithThreshold(result, 0.4)).toBe(bytes);
    const chosen = decodeModel(modelWithThreshold(result, 0.125));
    expect(chosen.meta.threshold).toEqual({ value: 0.125, mode: 'chosen' });
    expect(chosen.meta.training).toEqual({ epochs: 3 });
    expect(chosen.params).toEqual(decodeModel(bytes).params);
  });

  it('estimates the time left from the pace so far', () => {
    expect(timeLeft(10, 0.25)).toBe('≈ 30 s');
    expect(timeLeft(60, 0.4)).toBe('≈ 1 min 30 s');
    expect(timeLeft(1, 0.01)).toBe('—');
    expect(timeLeft(5, 1)).toBe('—');
  });
});

describe('the drivers per category on the page', () => {
  // Three explained rows, highest score first; two columns; features: bytes, proto=tcp, proto=udp.
  const names = ['bytes', 'proto=tcp', 'proto=udp'];
  const result = {
    scores: Float32Array.of(0.1, 5, 3, 4),
    labels: { isAnomaly: Uint8Array.of(0, 1, 1, 0), category: ['normal', 'scan', 'scan', 'normal'], unlabelled: null },
    explained: [1, 3, 2].map((index) => ({ index, flow: [], errors: [] })),
    contributions: {
      columns: 2,
      names,
      shares: Float32Array.of(0.75, 0.25, /* row 3 */ 0.5, 0.5, /* row 2 */ 0.25, 0.75),
      keys: Int32Array.of(0, 2, 0, 1, 0, 2),
    },
  };

  it("adds up the explained rows flagged at the threshold, as netae eval adds a category's flagged rows", () => {
    const all = driversAt(result, 3, 3);
    expect(all.rows).toBe(3);
    expect(all.byCategory.get('scan')).toEqual({
      category: 'scan', flagged: 2, features: [{ feature: 'bytes', share: 0.5 }, { feature: 'proto=udp', share: 0.5 }],
    });
    expect(all.byCategory.get('normal')).toEqual({
      category: 'normal', flagged: 1, features: [{ feature: 'bytes', share: 0.5 }, { feature: 'proto=tcp', share: 0.5 }],
    });
    const high = driversAt(result, 4.5, 1);
    expect(high.rows).toBe(1);
    expect([...high.byCategory.keys()]).toEqual(['scan']);
    expect(high.byCategory.get('scan')!.features).toEqual([{ feature: 'bytes', share: 0.75 }]);
    expect(driversAt(result, 0, 3).rows).toBe(3);
    expect(driversAt({ ...result, labels: null }, 0, 3).byCategory.size).toBe(0);
  });
});
