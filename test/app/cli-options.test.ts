/**
 * The training options through the real binary, checked by what they do to the model and to
 * the scores, and `netae score`'s values against the float64 reference.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/model/model';
import { layersOf } from '../../src/model/spec';
import { expectTight, expectWithin } from '../gpu/helpers';
import { parseScores, referenceScores } from './reference-scores';
import { run } from './run';

let dir: string;
let data: string;
const normalRows = { count: 0 };

/** Flows with an id, three numbers, a port, a protocol and a verdict; one in eight is a large, quick transfer. */
function writeFlows(path: string): void {
  let s = 7;
  const random = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const lines = ['id,bytes,pkts,dur,port,proto,verdict'];
  for (let i = 0; i < 800; i++) {
    const bad = i % 8 === 0;
    const port = [22, 80, 443][Math.floor(random() * 3)];
    const pkts = 1 + Math.floor(random() * 20);
    const bytes = Math.round(bad ? 5000 + random() * 20_000 : pkts * (40 + random() * 60));
    const dur = (random() * (bad ? 0.1 : 3)).toFixed(3);
    lines.push([1000 + i, bytes, pkts, dur, port, random() < 0.7 ? 'tcp' : 'udp', bad ? 'bad' : 'ok'].join(','));
    if (!bad) normalRows.count++;
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

const COMMON = ['--label', 'verdict', '--normal', 'ok', '--drop', 'id', '--category', 'port', '--layers', '10-6-3-6-10', '--epochs', '4', '--batch', '32'];
const models = { decayed: '', plain: '' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netae-options-'));
  data = join(dir, 'flows.csv');
  writeFlows(data);
  models.decayed = join(dir, 'decayed.safetensors');
  models.plain = join(dir, 'plain.safetensors');
  const decayed = await run(['train', '--data', data, ...COMMON, '--weight-decay', '1', '--threshold-mode', 'best-f1', '--out', models.decayed, '--json']);
  expect(decayed.code, decayed.stderr).toBe(0);
  const plain = await run(['train', '--data', data, ...COMMON, '--weight-decay', '0', '--threshold-mode', 'fixed', '--threshold', '0.08', '--out', models.plain, '--json']);
  expect(plain.code, plain.stderr).toBe(0);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('train options through the binary', () => {
  it('--label/--normal train on the normal rows; --drop leaves a column out; --category one-hot encodes a numeric one; --layers sets the widths', async () => {
    const inspected = JSON.parse((await run(['inspect', models.decayed, '--json'])).stdout);
    expect(inspected.label).toBe('verdict');
    expect(inspected.normal).toEqual(['ok']);
    expect(inspected.training.rows).toBe(normalRows.count);
    expect(inspected.numeric).toEqual(['bytes', 'pkts', 'dur']);
    expect(inspected.categorical.map((c: { column: string; kept: number }) => [c.column, c.kept])).toEqual([['port', 3], ['proto', 2]]);
    expect(inspected.layers).toBe('10-6-3-6-10');
    expect(decodeModel(new Uint8Array(readFileSync(models.decayed))).spec.widths).toEqual([10, 6, 3, 6, 10]);
    const without = await run(['train', '--data', data, '--label', 'verdict', '--normal', 'ok', '--epochs', '1', '--out', join(dir, 'w.safetensors'), '--json']);
    expect(without.code, without.stderr).toBe(0);
    const all = JSON.parse((await run(['inspect', join(dir, 'w.safetensors'), '--json'])).stdout);
    expect(all.numeric).toEqual(['bytes', 'pkts', 'dur', 'port']);
    const trained = JSON.parse(without.stdout);
    expect(trained.leftOut).toEqual([{ column: 'id', reason: 'a record number' }]);
  });

  it('--weight-decay pulls the weights towards 0: the same run without it ends with larger weights', () => {
    const norm = (path: string) => {
      const model = decodeModel(new Uint8Array(readFileSync(path)));
      let sq = 0;
      for (const layer of layersOf(model.spec)) {
        for (let i = layer.weightOffset; i < layer.biasOffset; i++) sq += model.params[i] ** 2;
      }
      return { sq, decay: model.meta.training };
    };
    const [decayed, plain] = [norm(models.decayed), norm(models.plain)];
    expect(decayed.sq).toBeLessThan(0.9 * plain.sq);
    expect(JSON.stringify(decayed.decay)).toContain('"weightDecay":1');
    expect(JSON.stringify(plain.decay)).toContain('"weightDecay":0');
  });

  it('--threshold-mode best-f1 puts the threshold where F1 over the training file is highest', async () => {
    const scored = await run(['score', '--model', models.decayed, '--data', data]);
    expect(scored.code, scored.stderr).toBe(0);
    const { scores, flags, labels } = parseScores(scored.stdout);
    const isBad = labels.map((l) => l === 'bad');
    const f1 = (t: number) => {
      let [tp, fp, fn] = [0, 0, 0];
      scores.forEach((s, i) => {
        if (s >= t) isBad[i] ? tp++ : fp++;
        else if (isBad[i]) fn++;
      });
      return (2 * tp) / (2 * tp + fp + fn);
    };
    const best = Math.max(...[...new Set(scores)].map(f1));
    const { threshold } = await referenceScores(models.decayed, data);
    expect(f1(threshold)).toBeCloseTo(best, 12);
    expect(best).toBeGreaterThan(0.5);
    flags.forEach((f, i) => expect(f).toBe(scores[i] >= threshold ? 1 : 0));
  });

  it('--threshold-mode fixed --threshold 0.08 keeps 0.08, and score flags exactly the scores at or above it', async () => {
    const inspected = JSON.parse((await run(['inspect', models.plain, '--json'])).stdout);
    expect(inspected.threshold).toMatchObject({ value: 0.08, mode: 'fixed' });
    const { scores, flags } = parseScores((await run(['score', '--model', models.plain, '--data', data])).stdout);
    expect(scores).toHaveLength(800);
    flags.forEach((f, i) => expect(f).toBe(scores[i] >= 0.08 ? 1 : 0));
    expect(flags.filter(Boolean).length).toBeGreaterThan(50);
    expect(flags.filter(Boolean).length).toBeLessThan(750);
  });

  it('score writes the float64 reference\'s scores within their float32 bound, row by row', async () => {
    const want = await referenceScores(models.decayed, data);
    const { rows, scores } = parseScores((await run(['score', '--model', models.decayed, '--data', data])).stdout);
    expect(rows).toEqual(Array.from({ length: 800 }, (_, i) => i + 1));
    expectWithin(scores, want.values, want.bound);
    expectTight(want.values, want.bound);
  });
});
