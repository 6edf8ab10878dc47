import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/model/model';
import { ROOT, ourErrors, ourNotices, run, trainedOnSample } from './run';

const TRAIN = `${ROOT}data/sample/train.conn.log`;
const TEST = `${ROOT}data/sample/test.conn.log`;
let dir: string;
let model: string;
let summary: {
  threshold: { value: number; mode: string; rate: { target: number; expected: number; low: number; high: number; rows: number } };
  validationRows: number;
  score: { kind: string; nu: number; unit: number };
  repairs: Record<string, unknown>;
  warnings: string[];
};

beforeAll(async () => {
  const trained = await trainedOnSample('netae-thresholds-', 6);
  ({ dir, model } = trained);
  summary = JSON.parse(trained.summary);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Flagged rows of a `netae score` CSV. */
function flagged(csv: string): number {
  return csv.trimEnd().split('\n').slice(1).filter((line) => line.split(',')[2] === '1').length;
}

describe('thresholds through the binary', () => {
  it('train sets the default threshold to flag 1 % of held-out normal rows, with the interval of that rate', () => {
    const t = summary.threshold;
    expect(t.mode).toBe('fpr');
    expect(t.rate.target).toBe(0.01);
    expect(t.rate.rows).toBe(summary.validationRows);
    expect(t.rate.low).toBeLessThan(t.rate.expected);
    expect(t.rate.high).toBeGreaterThan(t.rate.expected);
    expect(Math.abs(t.rate.expected - 0.01)).toBeLessThan(1 / t.rate.rows);
  });

  it('score and eval take --threshold and --fpr instead of the model threshold', async () => {
    const own = await run(['score', '--model', model, '--data', TEST]);
    const low = await run(['score', '--model', model, '--data', TEST, '--threshold', String(summary.threshold.value / 2)]);
    const wide = await run(['score', '--model', model, '--data', TEST, '--fpr', '0.1']);
    for (const r of [own, low, wide]) expect(r.code, r.stderr).toBe(0);
    expect(flagged(low.stdout)).toBeGreaterThan(flagged(own.stdout));
    expect(flagged(wide.stdout)).toBeGreaterThan(flagged(own.stdout));
    const column = (csv: string) => csv.trimEnd().split('\n').slice(1).map((line) => line.split(',')[1]);
    expect(column(low.stdout)).toEqual(column(own.stdout));

    const json = join(dir, 'at-fpr.json');
    const evaluated = await run(['eval', '--model', model, '--data', TEST, '--fpr', '0.1', '--json', json]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.threshold.mode).toBe('fpr');
    expect(report.atThreshold.confusion.tp + report.atThreshold.confusion.fp).toBe(flagged(wide.stdout));
    expect(evaluated.stdout).toContain('best F1 (oracle)');
    expect(evaluated.stdout).toContain('normal (false positives)');
    expect((await run(['score', '--model', model, '--data', TEST, '--fpr', '0.1', '--threshold', '1'])).code).toBe(2);
  });

  it('train --row-score student-t scores rows by Student\'s t: ν 20, its unit the held-out rows\' mean weighted error; inspect says so', async () => {
    const out = join(dir, 'student.safetensors');
    const trained = await run(['train', '--data', TRAIN, '--preset', 'zeek-conn', '--out', out, '--epochs', '6', '--json', '--row-score', 'student-t']);
    expect(trained.code, trained.stderr).toBe(0);
    const score = JSON.parse(trained.stdout).score;
    expect(score).toEqual({ kind: 'student-t', nu: 20, unit: expect.any(Number) });
    expect(score.unit).toBeGreaterThan(0);
    const r = await run(['inspect', out]);
    const tau = (score.nu * score.unit).toPrecision(3);
    expect(r.stdout).toContain(`score      the mean over features of log(1 + e / ${tau}), e a feature's squared error (Student's t, ν 20, unit ${score.unit.toPrecision(3)})`);
    expect((await run(['train', '--data', TRAIN, '--out', join(dir, 'x.safetensors'), '--row-score', 'cauchy'])).code).toBe(2);
    const sigmoid = await run(['train', '--data', TRAIN, '--out', join(dir, 'x.safetensors'), '--layers', 'auto-8-auto:sigmoid', '--row-score', 'student-t']);
    expect(sigmoid.code).toBe(1);
    expect(ourErrors(sigmoid.stderr)).toEqual(['netae: a Student-t row score needs errors standardised per feature, which a model whose output is sigmoid does not have: leave out --row-score or end the layers with the identity']);
    expect(existsSync(join(dir, 'x.safetensors'))).toBe(false);
  });

  it('with --validation 0 every normal training row sets the threshold, and score gives those rows the scores the model keeps, bit for bit', async () => {
    const path = join(dir, 'every-row.safetensors');
    const trained = await run(['train', '--data', TRAIN, '--preset', 'zeek-conn', '--epochs', '2', '--validation', '0', '--fpr', '0.008', '--out', path, '--json']);
    expect(trained.code, trained.stderr).toBe(0);
    const { rate } = JSON.parse(trained.stdout).threshold as { rate: { expected: number; rows: number } };
    const scored = await run(['score', '--model', path, '--data', TRAIN, '--keep', 'none']);
    expect(scored.code, scored.stderr).toBe(0);
    const rows = scored.stdout.trimEnd().split('\n').slice(1).map((line) => line.split(','));
    const normal = rows.filter((r) => r[3] === 'normal');
    expect(normal.length).toBe(rate.rows);
    const descending = normal.map((r) => Math.fround(Number(r[1]))).sort((a, b) => b - a);
    const kept = decodeModel(new Uint8Array(readFileSync(path))).meta.heldOut!;
    expect(kept.ranks.map((k) => descending[k - 1])).toEqual(kept.scores);
    expect(normal.filter((r) => r[2] === '1').length).toBe(Math.round(rate.expected * (rate.rows + 1)));
  });

  it('train refuses two threshold rules at once, and a mode that does not take the number given', async () => {
    const out = join(dir, 'never.safetensors');
    const both = await run(['train', '--data', TRAIN, '--preset', 'zeek-conn', '--out', out, '--fpr', '0.01', '--percentile', '99']);
    expect(both.code).toBe(2);
    expect(ourErrors(both.stderr)[0]).toContain('--fpr and --percentile');
    const mismatch = await run(['train', '--data', TRAIN, '--preset', 'zeek-conn', '--out', out, '--threshold-mode', 'percentile', '--threshold', '0.5']);
    expect(mismatch.code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it('best-f1 without anomalies in the training file fails before training', async () => {
    const normalOnly = join(dir, 'normal-only.conn.log');
    const lines = readFileSync(TRAIN, 'utf8').split('\n');
    writeFileSync(normalOnly, lines.filter((line) => line.startsWith('#') || line.endsWith('\tnormal')).join('\n'));
    const r = await run(['train', '--data', normalOnly, '--preset', 'zeek-conn', '--out', join(dir, 'f1.safetensors'), '--threshold-mode', 'best-f1']);
    expect(r.code).toBe(1);
    expect(ourErrors(r.stderr)).toEqual([expect.stringMatching(/normal-only\.conn\.log: the best-F1 threshold needs labelled anomalies/)]);
    expect(r.stderr).not.toMatch(/epoch 1/);
  });

  it('warns when too few normal rows train the model and set its threshold', async () => {
    const few = join(dir, 'few.conn.log');
    const lines = readFileSync(TRAIN, 'utf8').split('\n');
    const head = lines.filter((line) => line.startsWith('#') && !line.startsWith('#close'));
    writeFileSync(few, [...head, ...lines.filter((line) => line.endsWith('\tnormal')).slice(0, 120)].join('\n'));
    const r = await run(['train', '--data', few, '--preset', 'zeek-conn', '--out', join(dir, 'few.safetensors'), '--epochs', '4']);
    expect(r.code, r.stderr).toBe(0);
    const warnings = ourNotices(r.stderr);
    expect(warnings.some((w) => /warning: only 4 training steps \(84 normal rows in batches of 84, 4 epochs\)/.test(w))).toBe(true);
    expect(warnings.some((w) => /warning: the threshold comes from 36 held-out normal rows \(fewer than 1,000\)/.test(w))).toBe(true);
  });

  it('inspect shows the layers, features, row score, threshold and its rule, the training data and repairs per column', async () => {
    const r = await run(['inspect', model]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^model +.*model\.safetensors: \d+(-\d+)+, [\d,]+ parameters/m);
    expect(r.stdout).toMatch(/^features +\d+: 8 numeric \(robust scaling, bound ±3; signed log1p on .*orig_bytes/m);
    expect(r.stdout).toMatch(/id\.resp_p \d+ categories/);
    expect(summary.score).toEqual({ kind: 'squared' });
    expect(r.stdout).toMatch(/^score +the mean squared error of the features$/m);
    expect(r.stdout).toMatch(/^threshold +[\d.]+ \(set to flag 1\.00% of held-out normal rows; flags about [\d.]+% of normal traffic like the training data \(95% interval/m);
    expect(r.stdout).toMatch(/^training +train\.conn\.log: [\d,]+ normal rows/m);
    expect(r.stdout).toMatch(/^ +duration: [\d,]+ missing \(set to the median\)/m);
    const json = JSON.parse((await run(['inspect', model, '--json'])).stdout);
    expect(json.threshold).toEqual(summary.threshold);
    expect(json.score).toEqual(summary.score);
    expect(json.repairs).toEqual(summary.repairs);
    expect(json.thresholdOnTrainingRows).toBe(false);
  });

  it('a threshold set on the training rows, none held out, is said to be, without an interval, in train, inspect and eval', async () => {
    const few = join(dir, 'two.csv');
    writeFileSync(few, 'a,b,label\n1,2,normal\n3,5,normal\n');
    const fewModel = join(dir, 'two.safetensors');
    const trained = await run(['train', '--data', few, '--label', 'label', '--normal', 'normal', '--out', fewModel]);
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toMatch(/^loss +train [\d.e+-]+, validation — \(no rows held out\)$/m);
    expect(trained.stdout).toMatch(/^threshold +[\d.]+ \(set to flag 1\.00% of normal rows; flags 1 of the 2 training rows it was set on \(50\.0%\), none held out: the rate it flags on new normal traffic is likely higher\)$/m);
    for (const text of [trained.stdout, trained.stderr]) {
      expect(text).not.toMatch(/held-out rows\)|95% interval|held-out normal rows/);
    }
    expect(ourNotices(trained.stderr)).toContain(
      'netae: warning: the threshold is set on the 2 training rows, none held out (fewer than 10 normal rows): the rate it flags on new normal traffic is likely higher than on them; give more normal rows',
    );
    const inspected = await run(['inspect', fewModel]);
    expect(inspected.stdout).toMatch(/^training +two\.csv: 2 normal rows \(2 trained on, none held out\)/m);
    expect(inspected.stdout).toMatch(/^threshold .*flags 1 of the 2 training rows it was set on \(50\.0%\), none held out/m);
    expect(inspected.stdout).not.toContain('95% interval');
    expect(JSON.parse((await run(['inspect', fewModel, '--json'])).stdout).thresholdOnTrainingRows).toBe(true);

    const flows = join(dir, 'flows-v0.csv');
    const rows = ['bytes,pkts,label'];
    for (let i = 0; i < 60; i++) rows.push(`${(i * 37) % 1000},${(i % 7) + 1},${i % 10 === 0 ? 'attack' : 'normal'}`);
    writeFileSync(flows, `${rows.join('\n')}\n`);
    const v0 = join(dir, 'v0.safetensors');
    const none = await run(['train', '--data', flows, '--label', 'label', '--normal', 'normal', '--out', v0, '--validation', '0', '--epochs', '2', '--json']);
    expect(none.code, none.stderr).toBe(0);
    const json = JSON.parse(none.stdout);
    expect(json.validationRows).toBe(0);
    expect(json.thresholdOnTrainingRows).toBe(true);
    expect(json.warnings).toContain(
      'the threshold is set on the 54 training rows, none held out (--validation 0): the rate it flags on new normal traffic is likely higher than on them; give a --validation share to hold some out',
    );
    expect(json.warnings.some((w: string) => w.includes('held-out normal rows'))).toBe(false);
    const evaluated = await run(['eval', '--model', v0, '--data', flows, '--fpr', '0.1']);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toMatch(/^threshold [\d.]+ \(set to flag 10\.0% of normal rows; flags \d+ of the 54 training rows it was set on \([\d.]+%\), none held out: /m);
    const fixed = await run(['train', '--data', flows, '--label', 'label', '--normal', 'normal', '--out', join(dir, 'v0-fixed.safetensors'), '--validation', '0', '--epochs', '2', '--threshold', '0.01']);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toMatch(/^threshold +0\.0100000 \(fixed; flags \d+ of the 54 training rows \([\d.]+%\), none held out: /m);
  });
});

describe('names files and presets through the binary', () => {
  it('reads a headerless file with a UCI .names file: the class line is not a name, symbolic columns are categories', async () => {
    const names = join(dir, 'flows.names');
    writeFileSync(names, '| flows\nattack,normal.\nbytes: continuous.\nproto: symbolic.\npkts: continuous.\n');
    const data = join(dir, 'flows.csv');
    const rows: string[] = [];
    for (let i = 0; i < 400; i++) rows.push(`${(i * 37) % 1000},${i % 3 ? 'tcp' : 'udp'},${(i % 7) + 1},${i % 10 === 0 ? 'attack' : 'normal'}`);
    writeFileSync(data, `${rows.join('\n')}\n`);
    const out = join(dir, 'flows.safetensors');
    const r = await run(['train', '--data', data, '--names', names, '--no-header', '--label', 'class', '--normal', 'normal', '--out', out, '--epochs', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const inspected = JSON.parse((await run(['inspect', out, '--json'])).stdout);
    expect(inspected.numeric).toEqual(['bytes', 'pkts']);
    expect(inspected.categorical.map((c: { column: string }) => c.column)).toEqual(['proto']);
    expect(inspected.label).toBe('class');
  });
});
