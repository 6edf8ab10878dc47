import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Papa from 'papaparse';
import type { ColumnTable } from 'arquero';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectorOf, type Detector } from '../../src/app/detector';
import { Explainer } from '../../src/app/explain';
import { decodeModel } from '../../src/model/model';
import * as ref from '../../src/model/reference';
import { layersOf } from '../../src/model/spec';
import { parseText } from '../../src/pipeline';
import { TEXT_COLUMNS } from '../../src/app/stream/wire';
import { ROOT, ourErrors, run, trainedOnSample } from './run';

const TRAIN = `${ROOT}data/sample/train.conn.log`;
const TEST = `${ROOT}data/sample/test.conn.log`;
const IDS = ['uid', 'ts', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p'];
let dir: string;
let model: string;
let detector: Detector;
/** The test log's fields as text, by column. */
let fields: Record<string, string[]>;
/** `netae score` with no new flags: the reference every other output is checked against. */
let plain: Record<string, string>[];
/** The test log as the model reads it. */
let records: ColumnTable;

function csv(text: string): Record<string, string>[] {
  const parsed = Papa.parse<Record<string, string>>(text.trimEnd(), { header: true });
  expect(parsed.errors).toEqual([]);
  return parsed.data;
}

function jsonl(text: string): Record<string, unknown>[] {
  return text.trimEnd().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeAll(async () => {
  ({ dir, model } = await trainedOnSample('netae-analyst-', 8, ['--row-score', 'student-t']));
  detector = detectorOf(decodeModel(readFileSync(model)));
  const text = parseText(readFileSync(TEST, 'utf8'), { fileName: 'test.conn.log', types: TEXT_COLUMNS }).table;
  fields = Object.fromEntries(text.columnNames().map((name) => [name, text.array(name) as string[]]));
  records = parseText(readFileSync(TEST, 'utf8'), { ...detector.featurizer.readOptions('test.conn.log') }).table;
  const scored = await run(['score', '--model', model, '--data', TEST, '--quiet']);
  expect(scored.code, scored.stderr).toBe(0);
  plain = csv(scored.stdout);
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The `k` columns of largest error of one row, computed on the CPU: the float64 reference
 * forward pass of the model on the row's features, then the Explainer with the τ = ν·u of the
 * model's Student-t row score.
 */
function reference(row: number, k: number) {
  const score = detector.model.meta.score;
  if (score?.kind !== 'student-t') throw new Error(`the model scores by ${score?.kind}, not the default Student's t`);
  const text = records.slice(row, row + 1);
  const { matrix, width } = detector.featurizer.transform(text);
  const outputs = ref.autoencoderForward(layersOf(detector.model.spec), detector.model.params, ref.matrix(1, width, matrix));
  const recon = outputs[outputs.length - 1].data;
  return new Explainer(detector.featurizer.features.toJSON(), score.nu * score.unit).explain(matrix, recon, (c) => text.get(c, 0), k);
}

describe('netae score: output an analyst can join back', () => {
  it("keeps a Zeek log's uid, ts and endpoints by default; --keep none writes the scores alone, the same", async () => {
    expect(Object.keys(plain[0])).toEqual(['row', 'score', 'flag', 'label', ...IDS]);
    expect(plain).toHaveLength(6000);
    plain.forEach((r, i) => {
      expect(r.row).toBe(String(i + 1));
      for (const name of IDS) expect(r[name]).toBe(fields[name][i]);
    });
    const none = await run(['score', '--model', model, '--data', TEST, '--keep', 'none', '--quiet']);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toBe(`row,score,flag,label\n${plain.map((r) => `${r.row},${r.score},${r.flag},${r.label}\n`).join('')}`);
    const some = await run(['score', '--model', model, '--data', TEST, '--keep', 'service,id.resp_p', '--quiet']);
    expect(csv(some.stdout).map((r) => [r.service, r['id.resp_p']])).toEqual(plain.map((_, i) => [fields.service[i], fields['id.resp_p'][i]]));
  });

  it('--only-flagged writes the flagged rows alone, numbered as in the input; --format jsonl the same values', async () => {
    const flagged = await run(['score', '--model', model, '--data', TEST, '--only-flagged', '--quiet']);
    expect(flagged.code, flagged.stderr).toBe(0);
    const expected = plain.filter((r) => r.flag === '1');
    expect(expected.length).toBeGreaterThan(0);
    expect(csv(flagged.stdout)).toEqual(expected);
    const lines = await run(['score', '--model', model, '--data', TEST, '--only-flagged', '--format', 'jsonl', '--quiet']);
    expect(lines.code, lines.stderr).toBe(0);
    const objects = jsonl(lines.stdout);
    expect(objects.map((o) => Object.keys(o))).toEqual(expected.map(() => ['row', 'score', 'flag', 'label', ...IDS]));
    expect(objects.map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)])))).toEqual(expected);
  });

  it('--explain K: the K columns of largest error, as the float64 reference computes them; CSV and JSON lines agree', async () => {
    const k = 3;
    // chunks of 1,000 rows: each chunk's reconstruction is read back while the next one is scored
    const explained = await run(['score', '--model', model, '--data', TEST, '--explain', String(k), '--keep', 'uid', '--chunk', '1000', '--quiet']);
    expect(explained.code, explained.stderr).toBe(0);
    const rows = csv(explained.stdout);
    expect(Object.keys(rows[0])).toEqual(['row', 'score', 'flag', 'label', 'uid', ...[1, 2, 3].flatMap((j) => [`feature${j}`, `share${j}`, `value${j}`, `expected${j}`])]);
    expect(rows.map((r) => [r.row, r.score, r.flag])).toEqual(plain.map((r) => [r.row, r.score, r.flag]));
    const flaggedRows = plain.filter((r) => r.flag === '1').map((r) => Number(r.row) - 1);
    const checked = [...new Set([0, 1, 2, 999, 1000, 2500, 5999, ...flaggedRows.filter((_, n) => n % 10 === 0)])];
    for (const i of checked) {
      const want = reference(i, k + 1);
      const got = rows[i];
      for (let j = 0; j < k; j++) {
        const at = `row ${i + 1}, feature ${j + 1}`;
        expect(Number(got[`share${j + 1}`]), at).toBeCloseTo(want[j].share, 3);
        // the order is the reference's wherever the shares are not within float32's reach of a tie
        if (Math.abs(want[j].share - want[j + 1].share) > 1e-4 && (j === 0 || Math.abs(want[j - 1].share - want[j].share) > 1e-4)) {
          expect(got[`feature${j + 1}`], at).toBe(want[j].feature);
          const value = want[j].value;
          expect(got[`value${j + 1}`], at).toBe(typeof value === 'number' ? (Number.isNaN(value) ? '' : String(value)) : value);
          const expectedValue = want[j].expected;
          if (typeof expectedValue === 'number') expect(Math.abs(Number(got[`expected${j + 1}`]) - expectedValue), at).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(expectedValue)));
          else expect(got[`expected${j + 1}`], at).toBe(expectedValue);
        }
      }
      expect(Number(got.share1)).toBeGreaterThanOrEqual(Number(got.share2));
      expect(Number(got.share2)).toBeGreaterThanOrEqual(Number(got.share3));
    }
    // --threads 8 writes with two threads, each explaining the chunks it writes: the same bytes
    const threaded = await run(['score', '--model', model, '--data', TEST, '--explain', String(k), '--keep', 'uid', '--chunk', '500', '--threads', '8', '--quiet']);
    expect(threaded.code, threaded.stderr).toBe(0);
    expect(threaded.stdout).toBe(explained.stdout);
    const categorical = rows.flatMap((r) => [r.feature1, r.feature2, r.feature3]).filter((f) => f.includes('='));
    expect(categorical.length).toBeGreaterThan(0);
    for (const f of categorical) expect(f).toMatch(/^(proto|service|conn_state|history|id\.resp_p)=/);

    const lines = await run(['score', '--model', model, '--data', TEST, '--explain', String(k), '--keep', 'uid', '--only-flagged', '--format', 'jsonl', '--chunk', '700', '--quiet']);
    expect(lines.code, lines.stderr).toBe(0);
    const objects = jsonl(lines.stdout) as { row: number; uid: string; explanation: { feature: string; share: number; value: unknown; expected: unknown }[] }[];
    expect(objects.map((o) => o.row)).toEqual(flaggedRows.map((i) => i + 1));
    for (const o of objects) {
      const r = rows[o.row - 1];
      expect(o.uid).toBe(r.uid);
      expect(o.explanation.map((e) => [e.feature, String(e.share), e.value === null ? '' : String(e.value), String(e.expected)]))
        .toEqual([1, 2, 3].map((j) => [r[`feature${j}`], r[`share${j}`], r[`value${j}`], r[`expected${j}`]]));
    }
  });

  it('kept text with quotes and commas is quoted in CSV and escaped in JSON, read back as it was', async () => {
    const lines = readFileSync(TEST, 'utf8').split('\n');
    const uid = lines.find((l) => l.startsWith('#fields'))!.split('\t').indexOf('uid') - 1;
    const odd = ['C"quoted"', 'C,comma', 'C "both", and \\ more', 'Cé☕'];
    let n = 0;
    const edited = lines.map((l) => {
      if (l.startsWith('#') || l === '' || n >= 200) return l;
      const f = l.split('\t');
      f[uid] = odd[n++ % odd.length];
      return f.join('\t');
    });
    const path = join(dir, 'odd.conn.log');
    writeFileSync(path, edited.join('\n'));
    const scored = await run(['score', '--model', model, '--data', path, '--keep', 'uid', '--quiet']);
    expect(scored.code, scored.stderr).toBe(0);
    const rows = csv(scored.stdout);
    expect(rows.slice(0, 8).map((r) => r.uid)).toEqual([...odd, ...odd]);
    expect(rows.map((r) => r.score)).toEqual(plain.map((r) => r.score));
    const objects = jsonl((await run(['score', '--model', model, '--data', path, '--keep', 'uid', '--format', 'jsonl', '--quiet'])).stdout);
    expect(objects.map((o) => o.uid)).toEqual(rows.map((r) => r.uid));
  });

  it('bad --keep and --format: exit 2 before any work, or 1 naming the missing column', async () => {
    for (const args of [['--keep', 'score'], ['--keep', 'none,uid'], ['--format', 'xml'], ['--explain', '0'], ['--keep', 'row', '--format', 'jsonl']]) {
      const r = await run(['score', '--model', model, '--data', TEST, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
    }
    const missing = await run(['score', '--model', model, '--data', TEST, '--keep', 'uid,src_ip']);
    expect(missing.code).toBe(1);
    expect(ourErrors(missing.stderr)).toEqual([expect.stringMatching(/^netae: .*test\.conn\.log: no column\(s\) "src_ip" to keep \(--keep\); its columns are "ts", "uid"/)]);
    expect(missing.stdout).toBe('');
  });
});

describe('netae eval: the features that drive each category', () => {
  it('names, per attack family, the features its generator sets apart', async () => {
    const json = join(dir, 'metrics.json');
    // a threshold flagging 5 % of held-out normal rows, so that several families are flagged
    const evaluated = await run(['eval', '--model', model, '--data', TEST, '--fpr', '0.05', '--json', json]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      atThreshold: { byCategory: { category: string; flagged: number }[] };
      drivers: { category: string; flagged: number; features: { feature: string; share: number }[] }[];
    };
    const drivers = new Map(report.drivers.map((d) => [d.category, d]));
    for (const c of report.atThreshold.byCategory) expect(drivers.get(c.category)?.flagged ?? 0, c.category).toBe(c.flagged);
    for (const d of report.drivers) {
      expect(d.features.length).toBeGreaterThan(0);
      expect(d.features.map((f) => f.share)).toEqual([...d.features.map((f) => f.share)].sort((a, b) => b - a));
      expect(d.features.reduce((sum, f) => sum + f.share, 0)).toBeLessThanOrEqual(1 + 1e-9);
    }
    const top = (category: string, n: number) => drivers.get(category)!.features.slice(0, n).map((f) => f.feature);
    // scans of random ports that are refused or unanswered: the port and the connection's state stand out
    expect(top('port_scan', 3).some((f) => /^(id\.resp_p|conn_state|history)=/.test(f)), top('port_scan', 3).join(', ')).toBe(true);
    // unanswered SYNs
    expect(top('syn_flood', 3).some((f) => /^(conn_state=S0|history=S)$/.test(f)), top('syn_flood', 3).join(', ')).toBe(true);
    // tens of megabytes sent out
    expect(top('exfiltration', 1)[0]).toMatch(/^orig_/);
    const line = evaluated.stdout.split('\n').find((l) => l.startsWith('port_scan'))!;
    expect(line).toContain(`${top('port_scan', 1)[0]} ${(drivers.get('port_scan')!.features[0].share * 100).toFixed(0)}%`);
    expect(evaluated.stdout).toMatch(/drivers \(mean share of error\)/);
  });
});
