import { describe, expect, it } from 'vitest';
import { fitNormal, putNormalRows, rowsTheDeviceHolds } from '../../src/app/detector/fit';
import { pickRows } from '../../src/model/matrix';
import { readDataset } from '../../src/pipeline/dataset';

describe('rowsTheDeviceHolds', () => {
  it('keeps every row, and says nothing, when they fit in one buffer', () => {
    expect(rowsTheDeviceHolds(100 * 3 * 4, 100, 3, 1)).toEqual({ kept: null, notes: [] });
  });

  it('keeps as many rows as fit, in their order, and says how many of how many', () => {
    const held = rowsTheDeviceHolds(40 * 3 * 4 + 11, 1000, 3, 7);
    const kept = Array.from(held.kept!);
    expect(kept.length).toBe(40);
    expect(kept).toEqual([...kept].sort((x, y) => x - y));
    expect(new Set(kept).size).toBe(40);
    expect(kept.every((r) => Number.isInteger(r) && r >= 0 && r < 1000)).toBe(true);
    expect(held.notes).toEqual([expect.stringMatching(/uniform sample of 40 of the 1,000 normal rows: this device holds at most 491 bytes in one buffer, 40 rows of 3 features/)]);
  });

  it('draws each row about equally often over seeds, and the same rows for the same seed', () => {
    const rows = 50;
    const times = new Array(rows).fill(0);
    const seeds = 4000;
    for (let seed = 0; seed < seeds; seed++) {
      for (const r of rowsTheDeviceHolds(10 * 3 * 4, rows, 3, seed).kept!) times[r]++;
    }
    // Each row is kept with probability 1/5: 800 of 4,000 times, standard deviation √(4000 · 0.2 · 0.8) ≈ 25.
    for (const t of times) expect(Math.abs(t - 800)).toBeLessThan(125);
    expect(rowsTheDeviceHolds(120, rows, 3, 3).kept).toEqual(rowsTheDeviceHolds(120, rows, 3, 3).kept);
  });
});

describe('putNormalRows', () => {
  /** 1,500 flows, every fifth an attack, some with a missing or an unseen value. */
  function flows(): Uint8Array {
    const lines = ['bytes,proto,verdict'];
    for (let i = 0; i < 1500; i++) {
      lines.push(`${i % 211 === 3 ? '' : (i * 7919) % 5000},${['tcp', 'udp', 'icmp'][i % 3]},${i % 5 === 0 ? 'attack' : 'ok'}`);
    }
    return new TextEncoder().encode(`${lines.join('\n')}\n`);
  }

  it.each([['every normal row', null], ['the rows the device holds', Uint32Array.from([0, 5, 6, 300, 301, 777, 1199])]])(
    'puts %s in slots 0, 1, … as transform encodes them, and reports the repairs in every row',
    async (_, kept) => {
      const dataset = await readDataset(flows(), { label: 'verdict', normal: ['ok'] }, 'flows.csv');
      const { featurizer, normal } = fitNormal(dataset, {});
      const whole = featurizer.transform(normal.table, normal.origin);
      const width = featurizer.width;
      const slots: number[] = [];
      const put = new Float32Array(whole.matrix.length);
      const report = putNormalRows(featurizer, normal, kept, {
        put(slot, source, offset) {
          slots.push(slot);
          put.set(source.subarray(offset, offset + width), slot * width);
        },
      });
      const picked = kept ?? Uint32Array.from({ length: whole.rows }, (_, i) => i);
      expect(slots).toEqual(Array.from(picked, (_, k) => k));
      expect(put.subarray(0, picked.length * width)).toEqual(pickRows(whole.matrix, width, picked));
      expect(report).toEqual(whole.report);
      expect(report.repaired).toBeGreaterThan(0);
    },
  );
});
