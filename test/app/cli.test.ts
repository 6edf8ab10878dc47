import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { toArrowIPC } from 'arquero';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTable } from '../../src/pipeline/io';
import { decodeModel } from '../../src/model/model';
import { sampleKey } from '../../src/pipeline/row-sample';
import { readDataset } from '../../src/pipeline/dataset';
import { fitFeaturizer } from '../../src/pipeline/featurizer';
import { normalRows } from '../../src/pipeline/schema';
import { getPreset } from '../../src/pipeline/presets';
import { expectWithin } from '../gpu/helpers';
import { parseScores, referenceScores } from './reference-scores';
import { BIN, ROOT, ourErrors, ourNotices, run, trainedOnSample } from './run';
import { NSL_KDD_DIR, nslKddMissing, nslKddPresent } from '../nsl-kdd-dir';

const TRAIN = `${ROOT}data/sample/train.conn.log`;
const TEST = `${ROOT}data/sample/test.conn.log`;
let dir: string;
let model: string;
if (!nslKddPresent) console.warn(`netae train on KDDTrain+ on threads skipped: ${nslKddMissing}`);

beforeAll(async () => {
  ({ dir, model } = await trainedOnSample('netae-cli-', 8));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The sample's records repeated to `copies` times its size, with `edit` applied to the lines. */
function bigLog(copies: number, edit?: (lines: string[]) => void): string {
  const lines = readFileSync(TEST, 'utf8').trimEnd().split('\n');
  const head = lines.filter((l) => l.startsWith('#') && !l.startsWith('#close'));
  const body = lines.filter((l) => !l.startsWith('#'));
  const all = [...head];
  for (let i = 0; i < copies; i++) all.push(...body);
  edit?.(all);
  const path = join(dir, `big-${copies}-${edit ? 'edited' : 'clean'}.conn.log`);
  writeFileSync(path, `${all.join('\n')}\n`);
  return path;
}

describe('netae through the real binary', () => {
  it('train → score → eval on the synthetic sample', async () => {
    const out = join(dir, 'scores.csv');
    const scored = await run(['score', '--model', model, '--data', TEST, '--out', out]);
    expect(scored.code, scored.stderr).toBe(0);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('row,score,flag,label,uid,ts,id.orig_h,id.orig_p,id.resp_h,id.resp_p');
    expect(lines.length).toBe(6001);
    const written = parseScores(readFileSync(out, 'utf8'));
    const want = await referenceScores(model, TEST);
    expect(written.rows).toEqual(Array.from({ length: 6000 }, (_, i) => i + 1));
    expectWithin(written.scores, want.values, want.bound);
    written.flags.forEach((f, i) => expect(f).toBe(written.scores[i] >= want.threshold ? 1 : 0));
    const sourceLabels = readFileSync(TEST, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t').at(-1));
    expect(written.labels).toEqual(sourceLabels);

    const metrics = join(dir, 'metrics.json');
    const evaluated = await run(['eval', '--model', model, '--data', TEST, '--json', metrics]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toMatch(/ROC-AUC 0\.\d{4}/);
    expect(evaluated.stdout).toMatch(/port_scan/);
    const report = JSON.parse(readFileSync(metrics, 'utf8'));
    expect(report.atThreshold.rocAuc).toBeGreaterThan(0.85);
    expect(report.atThreshold.rows).toBe(6000);
    expect(report.atBestF1.f1).toBeGreaterThanOrEqual(report.atThreshold.f1);
    const flagged = lines.slice(1).filter((l) => l.split(',')[2] === '1').length;
    expect(flagged).toBe(report.atThreshold.confusion.tp + report.atThreshold.confusion.fp);
  });

  it('eval leaves rows without a label out of its measures, and says how many', async () => {
    const lines = readFileSync(TEST, 'utf8').split('\n');
    let row = 0;
    const dashed = lines.map((l) => (l && !l.startsWith('#') && ++row % 10 === 0 ? l.replace(/\t[^\t]*$/, '\t-') : l));
    row = 0;
    const without = lines.filter((l) => !l || l.startsWith('#') || ++row % 10 !== 0);
    writeFileSync(join(dir, 'dashed.conn.log'), dashed.join('\n'));
    writeFileSync(join(dir, 'without.conn.log'), without.join('\n'));
    const report = async (name: string) => {
      const json = join(dir, `${name}.json`);
      const r = await run(['eval', '--model', model, '--data', join(dir, `${name}.conn.log`), '--json', json]);
      expect(r.code, r.stderr).toBe(0);
      return { stdout: r.stdout, report: JSON.parse(readFileSync(json, 'utf8')) };
    };
    const [partly, labelled] = await Promise.all([report('dashed'), report('without')]);
    expect(partly.report.atThreshold.rows).toBe(5400);
    expect(partly.report.atThreshold.notes).toEqual(['600 rows without a label (-, empty or NA) left out: they are neither normal nor attacks']);
    const measures = ({ notes: _, ...rest }: { notes: string[] }) => rest;
    expect(measures(partly.report.atThreshold)).toEqual(measures(labelled.report.atThreshold));
    expect(partly.stdout).toContain('note: 600 rows without a label');
  });

  it('scores a pipe: cat f | netae score --model m - > out', async () => {
    const out = join(dir, 'piped.csv');
    const piped = await run(`cat ${TEST} | node ${BIN} score --model ${model} - > ${out}`);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).toMatch(/^6,000 rows scored; [\d,]+ values repaired/m);
    const fromFile = await run(['score', '--model', model, '--data', TEST]);
    expect(readFileSync(out, 'utf8')).toBe(fromFile.stdout);
  });

  it('sums up on standard error what it scored and at which threshold, wherever the scores go, unless --quiet, nothing repaired included', async () => {
    const loud = await run(['score', '--model', model, TEST, '--fpr', '0.05']);
    expect(loud.code, loud.stderr).toBe(0);
    expect(loud.stderr).toMatch(/^threshold [\d.]+ \(set to flag 5\.00% of held-out normal rows/m);
    expect(loud.stderr).toMatch(/^6,000 rows scored; /m);
    const quiet = await run(['score', '--model', model, TEST, '--fpr', '0.05', '--quiet']);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toBe(loud.stdout);
    expect(quiet.stderr).not.toMatch(/threshold|rows scored/);
    const even = join(dir, 'even.csv');
    writeFileSync(even, `a,b,label\n${Array.from({ length: 2000 }, (_, i) => `${i % 10},${(i * 7) % 10},n`).join('\n')}\n`);
    const evenModel = join(dir, 'even.safetensors');
    expect((await run(['train', '--data', even, '--label', 'label', '--normal', 'n', '--epochs', '1', '--out', evenModel])).code).toBe(0);
    const clean = await run(['score', '--model', evenModel, even]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stderr).toMatch(/^2,000 rows scored; 0 values repaired, 0 clipped, 0 outside the categories$/m);
  });

  it('counts the rows it skips as holding no record, blank or the header again, in train, score and eval alike', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => `${i % 10},${(i * 7) % 10},${i % 50 ? 'n' : 'x'}`);
    const gappy = join(dir, 'gappy.csv');
    writeFileSync(gappy, `\na,b,label\n${rows.slice(0, 1000).join('\n')}\n\n,,\na,b,label\n${rows.slice(1000).join('\n')}\n`);
    const skipped = '4 rows holding no record skipped (all fields empty, or the header row again)';
    const gappyModel = join(dir, 'gappy.safetensors');
    const trained = await run(['train', '--data', gappy, '--label', 'label', '--normal', 'n', '--epochs', '1', '--out', gappyModel]);
    expect(trained.code, trained.stderr).toBe(0);
    expect(ourNotices(trained.stderr)).toContain(`netae: note: ${gappy}: ${skipped}`);
    for (const threads of ['1', '2']) {
      const scored = await run(['score', '--model', gappyModel, gappy, '--threads', threads]);
      expect(scored.code, scored.stderr).toBe(0);
      expect(scored.stderr).toMatch(new RegExp(`^2,000 rows scored; .*; ${skipped.replace(/[()]/g, '\\$&')}`, 'm'));
    }
    const evaluated = await run(['eval', '--model', gappyModel, '--data', gappy]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toContain(`note: ${skipped}`);
    const gapless = join(dir, 'gapless.csv');
    writeFileSync(gapless, `a,b,label\n${rows.join('\n')}\n`);
    const clean = await run(['eval', '--model', gappyModel, '--data', gapless]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout.replace(/^note: .*\n?/gm, '')).toBe(evaluated.stdout.replace(/^note: .*\n?/gm, ''));
    expect(clean.stdout).not.toContain('holding no record');
  });

  it('scores the same, byte for byte, on 1 or 3 decoding threads, in chunks smaller than a block, from a file or gzip on standard input', async () => {
    const path = bigLog(6);
    const one = await run(['score', '--model', model, '--data', path, '--threads', '1', '--quiet']);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout.split('\n').length).toBe(6 * 6000 + 2);
    const three = await run(['score', '--model', model, '--data', path, '--threads', '3', '--quiet']);
    expect(three.stdout).toBe(one.stdout);
    const explained = await run(['score', '--model', model, '--data', path, '--threads', '1', '--explain', '2', '--quiet']);
    expect(explained.code, explained.stderr).toBe(0);
    const scored = (csv: string) => csv.trimEnd().split('\n').map((line) => line.split(',').slice(0, 3).join(','));
    expect(scored(explained.stdout), 'rows sent to the GPU packed (no --explain) or dense (--explain) score alike').toEqual(scored(one.stdout));
    const chunked = await run(['score', '--model', model, '--data', path, '--threads', '2', '--chunk', '700', '--explain', '2', '--quiet']);
    expect(chunked.stdout, 'a block explained in several chunks, its matrix decoded into again only after the last').toBe(explained.stdout);
    const gzipped = await run(`gzip -c ${path} | node ${BIN} score --model ${model} --threads 2 -`);
    expect(gzipped.code, gzipped.stderr).toBe(0);
    expect(gzipped.stdout).toBe(one.stdout);
  });

  it('scores Arrow input, whose rows reach the GPU dense, as it scores the same records as text, whose rows reach it packed', async () => {
    const { table } = await readTable(readFileSync(TEST), { fileName: TEST });
    const arrow = join(dir, 'test.arrow');
    writeFileSync(arrow, toArrowIPC(table));
    const fromArrow = await run(['score', '--model', model, '--data', arrow, '--keep', 'none', '--quiet']);
    expect(fromArrow.code, fromArrow.stderr).toBe(0);
    const fromText = await run(['score', '--model', model, '--data', TEST, '--keep', 'none', '--quiet']);
    expect(fromText.stdout.split('\n').length).toBe(6002);
    expect(fromArrow.stdout).toBe(fromText.stdout);
  });

  it.runIf(nslKddPresent)('trains the same on KDDTrain+ read on one thread from a file and on two from gzip on standard input', async () => {
    const data = join(NSL_KDD_DIR, 'KDDTrain+.txt');
    const train = ['train', '--preset', 'nsl-kdd', '--epochs', '1', '--json'];
    const one = await run([...train, '--data', data, '--out', join(dir, 'kdd-1.safetensors'), '--threads', '1']);
    expect(one.code, one.stderr).toBe(0);
    const two = await run(`gzip -c ${data} | node ${BIN} ${train.join(' ')} --data - --out ${join(dir, 'kdd-2.safetensors')} --threads 2`);
    expect(two.code, two.stderr).toBe(0);
    const summary = (stdout: string) => {
      const { seconds, samplesPerSecond, model: path, ...rest } = JSON.parse(stdout);
      return rest;
    };
    expect(summary(two.stdout)).toEqual(summary(one.stdout));
    expect(summary(one.stdout).trainRows + summary(one.stdout).validationRows).toBe(67_343);
  });

  it('info reports the adapter and versions', async () => {
    const info = await run(['info', '--json']);
    expect(info.code).toBe(0);
    const parsed = JSON.parse(info.stdout);
    expect(parsed.adapter.backend).toBeTruthy();
    expect(parsed.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(parsed.versions.netae).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('quickstart trains and evaluates on the bundled traffic', async () => {
    const quick = await run(['quickstart', '--epochs', '3', '--json']);
    expect(quick.code, quick.stderr).toBe(0);
    const result = JSON.parse(quick.stdout);
    expect(result.training.epochs).toBe(3);
    expect(result.evaluation.atThreshold.rows).toBe(6000);
  });
});

describe('set-ups netae works out, or warns about', () => {
  const NSL = [
    '0,tcp,http,SF,181,5450,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,8,8,0.00,0.00,0.00,0.00,1.00,0.00,0.00,9,9,1.00,0.00,0.11,0.00,0.00,0.00,0.00,0.00,normal,21',
    '0,tcp,private,S0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,123,6,1.00,1.00,0.00,0.00,0.05,0.07,0.00,255,26,0.10,0.05,0.00,0.00,1.00,1.00,0.00,0.00,neptune,19',
    '0,udp,domain_u,SF,45,44,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,1,0.00,0.00,0.00,0.00,1.00,0.00,0.00,3,3,1.00,0.00,0.33,0.00,0.00,0.00,0.00,0.00,normal,15',
  ];

  it('recognises a headerless NSL-KDD file without --preset: its first record stays a record, attacks stay out of training', async () => {
    const data = join(dir, 'KDDTrain+_tiny.txt');
    const lines = Array.from({ length: 60 }, (_, i) => NSL[i % 3].replace(/^0,/, `${i},`));
    writeFileSync(data, `${lines.join('\n')}\n`);
    const out = join(dir, 'nsl.safetensors');
    const r = await run(['train', '--data', data, '--out', out, '--epochs', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const notices = ourNotices(r.stderr);
    expect(notices[0]).toBe(`netae: note: ${data} recognised as NSL-KDD; --preset nsl-kdd assumed`);
    expect(notices.filter((n) => n.includes('no label column'))).toEqual([]);
    const summary = JSON.parse(r.stdout);
    expect(summary.trainRows + summary.validationRows).toBe(40);
    const meta = decodeModel(new Uint8Array(readFileSync(out))).meta;
    expect(meta.training?.source).toBe('KDDTrain+_tiny.txt');
  });

  it('takes a plain label column of a generic file, with a note, and trains on its normal rows', async () => {
    const data = join(dir, 'labelled.csv');
    writeFileSync(data, `bytes,packets,label\n${Array.from({ length: 60 }, (_, i) => `${100 + ((i * 37) % 500)},${1 + (i % 5)},${i % 6 === 0 ? 1 : 0}`).join('\n')}\n`);
    const out = join(dir, 'labelled.safetensors');
    const r = await run(['train', '--data', data, '--out', out, '--epochs', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(ourNotices(r.stderr)[0]).toBe(`netae: note: ${data}: column "label" taken as the label, "0" as normal traffic (of "1", "0" in its first rows); --label COLUMN --normal VALUE to say otherwise`);
    const summary = JSON.parse(r.stdout);
    expect(summary.trainRows + summary.validationRows).toBe(50);
    const schema = (decodeModel(new Uint8Array(readFileSync(out))).meta.features as { schema: { label: string; normal: string[]; features: { numeric: string[] } } }).schema;
    expect([schema.label, schema.normal, schema.features.numeric]).toEqual(['label', ['0'], ['bytes', 'packets']]);
  });

  it('reads a copy of NSL-KDD with a header of its own (…,attack,level) with the data set\'s roles, its other columns left out', async () => {
    const names = getPreset('nsl-kdd').read.names!.map((n) => (n === 'label' ? 'attack' : n === 'difficulty' ? 'level' : n));
    const data = join(dir, 'KDDTrain.csv');
    writeFileSync(data, `${names.join(',')}\n${Array.from({ length: 60 }, (_, i) => NSL[i % 3].replace(/^0,/, `${i},`)).join('\n')}\n`);
    const out = join(dir, 'kaggle.safetensors');
    const r = await run(['train', '--data', data, '--out', out, '--epochs', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(ourNotices(r.stderr).slice(0, 2)).toEqual([
      `netae: note: ${data}: column "attack" taken as the label, "normal" as normal traffic (of "normal", "neptune" in its first rows); --label COLUMN --normal VALUE to say otherwise`,
      `netae: note: ${data} has the features of NSL-KDD under names of its own: they are read as --preset nsl-kdd reads them; "level" left out, as no feature of it`,
    ]);
    expect(JSON.parse(r.stdout).trainRows + JSON.parse(r.stdout).validationRows).toBe(40);
    const { schema } = decodeModel(new Uint8Array(readFileSync(out))).meta.features as { schema: { label: string; features: { numeric: string[]; categorical: string[] } } };
    expect(schema.label).toBe('attack');
    expect(schema.features.categorical).toEqual(['protocol_type', 'service', 'flag']);
    expect(schema.features.numeric).not.toContain('level');
    const evaluated = await run(['eval', '--model', out, '--data', data]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toMatch(/\ndos +20 /);
    expect(evaluated.stdout).not.toMatch(/\nneptune /);
  });

  it('reads a raw UNSW-NB15 layout: headerless, its names from the features table, Label the label and attack_cat the attack category', async () => {
    const features = join(dir, 'NUSW-NB15_features.csv');
    const columns = ['srcip', 'sbytes', 'dpkts', 'proto', 'attack_cat', 'Label'];
    writeFileSync(features, `No.,Name,Type ,Description\n${columns.map((c, i) => `${i + 1},${c},${c === 'proto' || c === 'attack_cat' ? 'nominal' : 'Integer'},"the ${c}, as recorded"`).join('\n')}\n`);
    const kinds = ['Exploits', 'Fuzzers'];
    const rows = Array.from({ length: 300 }, (_, i) => {
      const attack = i % 5 === 0;
      return `10.0.0.${i % 200},${attack ? 90_000 + i : 100 + (i % 40) * 3},${attack ? 1 : 4 + (i % 3)},${i % 2 ? 'tcp' : 'udp'},${attack ? kinds[(i / 5) % 2] : ''},${attack ? 1 : 0}`;
    });
    const data = join(dir, 'UNSW-NB15_1.csv');
    writeFileSync(data, `${rows.join('\n')}\n`);
    const out = join(dir, 'unsw-raw.safetensors');
    const r = await run(['train', '--data', data, '--names', features, '--out', out, '--epochs', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(ourNotices(r.stderr).slice(0, 2)).toEqual([
      `netae: note: ${data}: column "Label" taken as the label, "0" as normal traffic (of "1", "0" in its first rows); --label COLUMN --normal VALUE to say otherwise`,
      `netae: note: ${data}: column "attack_cat" taken as the attack category, which eval reports detections by and no feature uses; --attack-category COLUMN or none to say otherwise`,
    ]);
    expect(JSON.parse(r.stdout)).toMatchObject({ preset: null, label: 'Label', normal: ['0'], attackCategory: 'attack_cat' });
    expect(JSON.parse(r.stdout).trainRows + JSON.parse(r.stdout).validationRows).toBe(240);
    const { schema } = decodeModel(new Uint8Array(readFileSync(out))).meta.features as { schema: { label: string; categoryColumn: string; features: { numeric: string[]; categorical: string[] } } };
    expect([schema.label, schema.categoryColumn, schema.features.numeric, schema.features.categorical]).toEqual(['Label', 'attack_cat', ['sbytes', 'dpkts'], ['proto']]);
    const inspected = await run(['inspect', out]);
    expect(inspected.stdout).toContain('columns    generic; label Label (normal: 0); attack category attack_cat');
    const evaluated = await run(['eval', '--model', out, '--data', data]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toContain('rows 300 (60 anomalies, 240 normal)');
    const labelled = await run(['train', '--data', data, '--names', features, '--label', 'Label', '--normal', '0', '--out', join(dir, 'unsw-labelled.safetensors'), '--epochs', '1', '--json']);
    expect(ourNotices(labelled.stderr)[0], 'with --label too').toMatch(/column "attack_cat" taken as the attack category/);
    expect(JSON.parse(labelled.stdout).attackCategory).toBe('attack_cat');
    const headed = join(dir, 'UNSW-NB15_1-headed.csv');
    writeFileSync(headed, `SrcIP,SBytes,DPkts,Proto,Attack_cat,Label\n${rows.join('\n')}\n`);
    const renamed = await run(['train', '--data', headed, '--names', features, '--out', join(dir, 'unsw-headed.safetensors'), '--epochs', '1', '--json']);
    expect(ourNotices(renamed.stderr)[0]).toBe(`netae: note: ${headed}: line 1 read as a header (all text, no number; or the columns numbered 0, 1, 2, …), its names those of --names ${features}; --no-header to read it as a record`);
    expect(JSON.parse(renamed.stdout).trainRows + JSON.parse(renamed.stdout).validationRows).toBe(240);
    const none = await run(['train', '--data', data, '--names', features, '--attack-category', 'none', '--out', join(dir, 'unsw-none.safetensors'), '--epochs', '1', '--json']);
    expect(ourNotices(none.stderr).filter((n) => n.includes('attack category'))).toEqual([]);
    expect(JSON.parse(none.stdout).attackCategory).toBeNull();
    const json = join(dir, 'unsw-raw.json');
    expect((await run(['eval', '--model', out, '--data', data, '--json', json])).code).toBe(0);
    expect(JSON.parse(readFileSync(json, 'utf8'))).toMatchObject({ label: 'Label', attackCategory: 'attack_cat' });
    const table = evaluated.stdout.slice(evaluated.stdout.indexOf('\ncategory'));
    expect(table).toMatch(/\nExploits +30 /);
    expect(table).toMatch(/\nFuzzers +30 /);
    expect(table).not.toMatch(/\n1 +60 /);
  });

  it('takes the label a names file marks symbolic, and a data set\'s families from a copy with normal rows first and --drop', async () => {
    const names = join(dir, 'dns.names');
    writeFileSync(names, 'query,symbolic\nbytes,continuous\nlabel,symbolic\n');
    const data = join(dir, 'dns.csv');
    writeFileSync(data, `${Array.from({ length: 60 }, (_, i) => `${i % 2 ? 'a.com' : 'b.org'},${100 + ((i * 37) % 500)},${i % 6 === 0 ? 'tunnel' : 'normal'}`).join('\n')}\n`);
    const out = join(dir, 'dns.safetensors');
    const r = await run(['train', '--data', data, '--names', names, '--out', out, '--epochs', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).trainRows + JSON.parse(r.stdout).validationRows).toBe(50);
    const { schema } = decodeModel(new Uint8Array(readFileSync(out))).meta.features as { schema: { label: string; features: { categorical: string[] } } };
    expect([schema.label, schema.features.categorical]).toEqual(['label', ['query']]);

    const kaggle = getPreset('nsl-kdd').read.names!.map((n) => (n === 'label' ? 'attack' : n === 'difficulty' ? 'level' : n));
    const sorted = join(dir, 'KDDTrain_sorted.csv');
    const normal = Array.from({ length: 2100 }, (_, i) => NSL[i % 2 ? 0 : 2].replace(/^0,/, `${i % 50},`));
    const attacks = Array.from({ length: 30 }, (_, i) => NSL[1].replace(/^0,/, `${i},`));
    writeFileSync(sorted, `${kaggle.join(',')}\n${[...normal, ...attacks].join('\n')}\n`);
    const model = join(dir, 'sorted.safetensors');
    const trained = await run(['train', '--data', sorted, '--drop', 'level', '--out', model, '--epochs', '1']);
    expect(trained.code, trained.stderr).toBe(0);
    expect(ourNotices(trained.stderr).slice(0, 2)).toEqual([
      `netae: note: ${sorted}: column "attack" taken as the label, "normal" as normal traffic (of "normal" in its first rows); --label COLUMN --normal VALUE to say otherwise`,
      `netae: note: ${sorted} has the features of NSL-KDD under names of its own: they are read as --preset nsl-kdd reads them`,
    ]);
    const evaluated = await run(['eval', '--model', model, '--data', sorted]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toMatch(/\ndos +30 /);
    const logged = join(dir, 'logged.safetensors');
    const withLog1p = await run(['train', '--data', sorted, '--log1p', 'src_bytes', '--out', logged, '--epochs', '1', '--json']);
    expect(withLog1p.code, withLog1p.stderr).toBe(0);
    expect(ourNotices(withLog1p.stderr)[1]).toContain('"level" left out, as no feature of it');
    expect(JSON.parse(withLog1p.stdout).log1p).toContain('src_bytes');
    expect((await run(['eval', '--model', logged, '--data', sorted])).stdout).toMatch(/\ndos +30 /);
  });

  it('refuses --names for a file that names its own columns', async () => {
    const { table } = await readTable(readFileSync(TEST), { fileName: TEST });
    const arrow = join(dir, 'named.arrow');
    writeFileSync(arrow, toArrowIPC(table));
    const names = join(dir, 'three.names');
    writeFileSync(names, 'a\nb\nc\n');
    for (const [file, kind] of [[arrow, 'Arrow'], [TEST, 'a Zeek log']]) {
      const r = await run(['train', '--data', file, '--names', names, '--label', 'label', '--normal', 'normal', '--out', join(dir, 'named.safetensors')]);
      expect([r.code, ourErrors(r.stderr)]).toEqual([2, [`netae: --names ${names}: ${file} is ${kind}, which names its own columns; leave --names out`]]);
    }
  });

  it('--attack-category names the column of a generic file that eval reports by; it is never a feature', async () => {
    const data = join(dir, 'typed.csv');
    const rows = Array.from({ length: 120 }, (_, i) => `${100 + ((i * 37) % 500)},${1 + (i % 5)},${i % 4 === 0 ? `yes,kind${i % 3}` : 'no,none'}`);
    writeFileSync(data, `bytes,packets,bad,kind\n${rows.join('\n')}\n`);
    const out = join(dir, 'typed.safetensors');
    const r = await run(['train', '--data', data, '--label', 'bad', '--normal', 'no', '--attack-category', 'kind', '--out', out, '--epochs', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).features).toBe(2);
    const evaluated = await run(['eval', '--model', out, '--data', data]);
    expect(evaluated.stdout).toMatch(/\nkind0 +10 /);
    expect(evaluated.stdout).not.toMatch(/\nyes /);
    for (const [flags, message] of [
      [['--label', 'bad', '--normal', 'no', '--attack-category', 'bad'], '--attack-category "bad": that column is the label (--label)'],
      [['--label', 'bad', '--normal', 'no', '--drop', 'kind', '--attack-category', 'kind'], '--attack-category "kind": that column is dropped (--drop)'],
      [['--preset', 'nsl-kdd', '--attack-category', 'kind'], '--preset takes no --label, --normal, --attack, --drop, --category, --log1p, --names or --attack-category'],
    ] as const) {
      const refused = await run(['train', '--data', data, ...flags, '--out', join(dir, 'refused.safetensors')]);
      expect([refused.code, ourErrors(refused.stderr)]).toEqual([2, [`netae: ${message}${message.startsWith('--preset') ? '' : '; the attack category is a column of its own, never a feature'}`]]);
    }
    const [header, ...records] = readFileSync(`${ROOT}test/pipeline/fixtures/unsw-nb15.csv`, 'utf8').trimEnd().split('\n');
    const unsw = join(dir, 'UNSW_NB15_training-set.csv');
    writeFileSync(unsw, `${[header, ...Array.from({ length: 20 }, () => records).flat()].join('\n')}\n`);
    for (const flags of [[], ['--preset', 'unsw-nb15']]) {
      const out = join(dir, 'unsw-none.safetensors');
      const none = await run(['train', '--data', unsw, ...flags, '--attack-category', 'none', '--out', out, '--epochs', '1', '--json']);
      expect(none.code, none.stderr).toBe(0);
      expect(JSON.parse(none.stdout)).toMatchObject({ preset: 'unsw-nb15', attackCategory: null });
      const byLabel = await run(['eval', '--model', out, '--data', unsw]);
      expect(byLabel.stdout).toMatch(/\n1 +60 /);
      expect(byLabel.stdout).not.toMatch(/\nExploits /);
    }
    const unlabelled = join(dir, 'unlabelled-kinds.csv');
    writeFileSync(unlabelled, `bytes,packets,kind\n${rows.map((r) => r.split(',').filter((_, j) => j !== 2).join(',')).join('\n')}\n`);
    const noLabel = await run(['train', '--data', unlabelled, '--attack-category', 'kind', '--out', join(dir, 'refused.safetensors')]);
    expect([noLabel.code, ourErrors(noLabel.stderr)]).toEqual([2, [`netae: --attack-category "kind" needs --label COLUMN: no column of ${unlabelled} is plain enough to take as the label in its first rows`]]);
    const noSuchLabel = await run(['train', '--data', data, '--label', 'nosuch', '--normal', 'no', '--attack-category', 'kind', '--out', join(dir, 'refused.safetensors')]);
    expect([noSuchLabel.code, ourErrors(noSuchLabel.stderr)[0]]).toEqual([1, `netae: ${data}: label column "nosuch" not in the file (it has: "bytes", "packets", "bad", "kind")`]);
    const missing = await run(['train', '--data', data, '--label', 'bad', '--normal', 'no', '--attack-category', 'family', '--out', join(dir, 'refused.safetensors')]);
    expect(missing.code).toBe(1);
    expect(ourErrors(missing.stderr)[0]).toBe(`netae: ${data}: attack category column "family" not in the file (it has: "bytes", "packets", "bad", "kind")`);
  });

  it('takes a plain label even where the flags drop or one-hot other columns', async () => {
    const data = join(dir, 'dropped.csv');
    writeFileSync(data, `host,bytes,proto,label\n${Array.from({ length: 60 }, (_, i) => `h${i},${100 + ((i * 37) % 500)},${i % 2 ? 'tcp' : 'udp'},${i % 6 === 0 ? 'attack' : 'normal'}`).join('\n')}\n`);
    const r = await run(['train', '--data', data, '--drop', 'host', '--category', 'proto', '--out', join(dir, 'dropped.safetensors'), '--epochs', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(ourNotices(r.stderr)[0]).toMatch(/column "label" taken as the label, "normal" as normal traffic/);
    expect(JSON.parse(r.stdout).trainRows + JSON.parse(r.stdout).validationRows).toBe(50);
  });

  it("reads a CIDDS-001 layout: nfdump's scaled Bytes, class the label, attackType the category, attacks first", async () => {
    const header = 'Date first seen,Duration,Proto,Src IP Addr,Src Pt,Dst IP Addr,Dst Pt,Packets,Bytes,Flows,Flags,Tos,class,attackType,attackID,attackDescription';
    const types = ['portScan', 'dos'];
    const attack = (i: number) => `2017-03-15 00:${String(i % 60).padStart(2, '0')}:01.000,0.000,TCP  ,192.168.220.15,${40000 + i},192.168.100.${i % 20},${i % 1024}.0,1,40,1,....S.,0,attacker,${types[i % 2]},${1 + (i % 2)},---`;
    const normal = (i: number) => `2017-03-16 01:${String(i % 60).padStart(2, '0')}:02.000,${(i % 7) / 10},${i % 3 ? 'TCP  ' : 'UDP  '},192.168.100.${i % 20},${[80, 443, 53][i % 3]},192.168.220.${i % 9},${50000 + i}.0,${2 + (i % 9)},${i % 97 === 0 ? `${1 + (i % 5)}.${i % 10} M` : 120 * (2 + (i % 9))},1,.AP...,0,normal,---,---,---`;
    const data = join(dir, 'CIDDS-001-internal-week1.csv');
    writeFileSync(data, `${header}\n${[...Array.from({ length: 2100 }, (_, i) => attack(i)), ...Array.from({ length: 1500 }, (_, i) => normal(i))].join('\n')}\n`);
    const out = join(dir, 'cidds.safetensors');
    const r = await run(['train', '--data', data, '--out', out, '--epochs', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(ourNotices(r.stderr).slice(0, 2)).toEqual([
      `netae: note: ${data}: column "class" taken as the label, "normal" as normal traffic (of "attacker", "normal" in all its rows, none normal in its first rows); --label COLUMN --normal VALUE to say otherwise`,
      `netae: note: ${data}: column "attackType" taken as the attack category, which eval reports detections by and no feature uses; --attack-category COLUMN or none to say otherwise`,
    ]);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ label: 'class', normal: ['normal'], attackCategory: 'attackType' });
    expect(summary.trainRows + summary.validationRows).toBe(1500);
    expect(summary.log1p).toContain('Bytes');
    const evaluated = await run(['eval', '--model', out, '--data', data]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toContain('rows 3,600 (2,100 anomalies, 1,500 normal)');
    expect(evaluated.stdout).toMatch(/\nportScan +1,050 /);
    expect(evaluated.stdout).toMatch(/\ndos +1,050 /);
  });

  it('recognises CTU-13: Normal flows normal, Botnet flows attacks, Background neither, left out with a note; --attack says the same of any file', async () => {
    const header = 'StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label';
    const row = (i: number) => {
      const kind = i % 10 < 7 ? 'Background-UDP-Established' : i % 10 < 9 ? `From-Normal-V42-${['Stribrka', 'Jist'][i % 2]}` : 'From-Botnet-V42-TCP-CC6-Plain-HTTP-Encrypted-Data';
      const botnet = kind.includes('Botnet');
      return `2011/08/10 09:46:${String(i % 60).padStart(2, '0')}.000277,${botnet ? 3000 + i : (i % 13) / 10},${i % 3 ? 'tcp' : 'udp'},147.32.84.${i % 250},${1024 + i},   ->,147.32.80.9,${botnet ? 6667 : [80, 443, 53][i % 3]},${botnet ? 'S_RA' : 'CON'},0,0,${botnet ? 400 : 2 + (i % 7)},${botnet ? 900_000 : 120 * (2 + (i % 7))},${botnet ? 800_000 : 60 * (2 + (i % 7))},flow=${kind}`;
    };
    const rows = Array.from({ length: 3000 }, (_, i) => row(i));
    const data = join(dir, 'capture20110810.binetflow');
    writeFileSync(data, `${header}\n${rows.join('\n')}\n`);
    const out = join(dir, 'ctu13.safetensors');
    const trained = await run(['train', '--data', data, '--out', out, '--epochs', '2', '--json']);
    expect(trained.code, trained.stderr).toBe(0);
    expect(ourNotices(trained.stderr).filter((n) => n.startsWith('netae: note:'))).toEqual([
      `netae: note: ${data} recognised as CTU-13; --preset ctu-13 assumed`,
      `netae: note: ${data}: 2,100 of the 3,000 rows have no label (-, empty or NA) in column "Label", or one neither normal nor an attack's (*Botnet*): neither normal traffic nor attacks, they are left out`,
    ]);
    const summary = JSON.parse(trained.stdout);
    expect(summary).toMatchObject({ preset: 'ctu-13', label: 'Label', normal: ['*Normal*'], attack: ['*Botnet*'] });
    expect(summary.trainRows + summary.validationRows).toBe(600);
    const evaluated = await run(['eval', '--model', out, '--data', data]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toContain('rows 900 (300 anomalies, 600 normal)');
    expect(evaluated.stdout).toContain("note: 2,100 rows without a label (-, empty or NA) or with one neither normal nor an attack's (*Botnet*) left out: they are neither normal nor attacks");
    expect((await run(['inspect', out])).stdout).toContain('columns    preset ctu-13; label Label (normal: *Normal*; attacks: *Botnet*)');
    const flows = join(dir, 'flows.csv');
    writeFileSync(flows, `${header.replace('Label', 'verdict')}\n${rows.join('\n')}\n`);
    const generic = await run(['train', '--data', flows, '--label', 'verdict', '--normal', 'flow=*Normal*', '--attack', 'flow=*Botnet*', '--drop', 'StartTime,Sport', '--out', join(dir, 'flows.safetensors'), '--epochs', '2', '--json']);
    expect(generic.code, generic.stderr).toBe(0);
    expect(JSON.parse(generic.stdout)).toMatchObject({ preset: null, normal: ['flow=*Normal*'], attack: ['flow=*Botnet*'], trainRows: summary.trainRows });
    const flagged = await run(['eval', '--model', join(dir, 'flows.safetensors'), '--data', flows]);
    expect(flagged.stdout).toContain('rows 900 (300 anomalies, 600 normal)');
    const alone = await run(['train', '--data', flows, '--attack', 'x', '--out', join(dir, 'refused.safetensors')]);
    expect([alone.code, ourErrors(alone.stderr)]).toEqual([2, ['netae: --attack needs --label COLUMN']]);
    const binary = join(dir, 'ctu13-binary.csv');
    writeFileSync(binary, `${header.replace('Label', 'label')}\n${rows.map((r) => r.replace(/flow=\S+$/, (l) => (l.includes('Botnet') ? '1' : '0'))).join('\n')}\n`);
    const own = await run(['train', '--data', binary, '--out', join(dir, 'ctu13-binary.safetensors'), '--epochs', '1', '--json']);
    expect(own.code, own.stderr).toBe(0);
    expect(ourNotices(own.stderr)[0]).toBe(`netae: note: ${binary} recognised as CTU-13; --preset ctu-13 assumed, its rows labelled in column "label", "0" as normal traffic, as the preset's "Label" is not in the file`);
    expect(JSON.parse(own.stdout)).toMatchObject({ preset: 'ctu-13', label: 'label', normal: ['0'], attack: null });
    expect(JSON.parse(own.stdout).trainRows + JSON.parse(own.stdout).validationRows, 'Background and Normal rows both labelled 0').toBe(2700);
    const plain = join(dir, 'relabelled.csv');
    writeFileSync(plain, `bytes,Label\n${Array.from({ length: 400 }, (_, i) => `${100 + i},${['Background', 'Normal', 'Botnet', 'Background'][i % 4]}`).join('\n')}\n`);
    const guessed = await run(['train', '--data', plain, '--out', join(dir, 'relabelled.safetensors'), '--epochs', '1']);
    expect(ourNotices(guessed.stderr)[0]).toBe(`netae: note: ${plain}: column "Label" taken as the label, "Normal" as normal traffic (of "Background", "Normal", "Botnet" in its first rows); "Background" taken as an attack (--attack VALUE names the attacks, the rest left out); --label COLUMN --normal VALUE to say otherwise`);
    const empty = await run(['train', '--data', flows, '--label', 'verdict', '--normal', 'flow=*Normal*', '--attack', '', '--out', join(dir, 'refused.safetensors')]);
    expect([empty.code, ourErrors(empty.stderr)]).toEqual([2, ['netae: --attack needs a VALUE (the label of attack rows)']]);
    const none = await run(['train', '--data', flows, '--label', 'verdict', '--normal', 'flow=*Normal*', '--attack', '*botnet*', '--out', join(dir, 'no-attacks.safetensors'), '--epochs', '1']);
    expect(none.code, none.stderr).toBe(0);
    expect(ourNotices(none.stderr)).toContain(`netae: warning: ${flows}: no label of the rows read is an attack's (*botnet*): every row not normal is left out, and eval will have no attacks to measure`);
  });

  it('warns that every row is taken as normal when a file has no label', async () => {
    const data = join(dir, 'unlabelled.csv');
    writeFileSync(data, `bytes,packets\n${Array.from({ length: 50 }, (_, i) => `${100 + ((i * 37) % 500)},${1 + (i % 5)}`).join('\n')}\n`);
    const r = await run(['train', '--data', data, '--out', join(dir, 'u.safetensors'), '--epochs', '1']);
    expect(r.code, r.stderr).toBe(0);
    const [warning] = ourNotices(r.stderr);
    expect(warning).toMatch(/^netae: warning: .*unlabelled\.csv has no label column: all 50 rows are taken as normal traffic/);
  });

  it('leaves out identifier columns of a generic file and names them; --category keeps one', async () => {
    const r = await run(['train', '--data', TRAIN, '--label', 'label', '--normal', 'normal', '--out', join(dir, 'g.safetensors'), '--epochs', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(ourNotices(r.stderr).filter((n) => n.startsWith('netae: note:'))).toEqual([
      'netae: note: left out as identifiers: ts (a time, when a record was rather than what), uid (8,000 distinct values in 8,000 rows), id.orig_h (addresses), id.resp_h (addresses); --category COLUMN keeps one as categories, --log1p COLUMN as numbers',
    ]);
    const summary = JSON.parse(r.stdout);
    expect(summary.leftOut.map((l: { column: string }) => l.column)).toEqual(['ts', 'uid', 'id.orig_h', 'id.resp_h']);
    expect(summary.features).toBeLessThan(60);
    const kept = await run(['train', '--data', TRAIN, '--label', 'label', '--normal', 'normal', '--category', 'id.resp_h', '--out', join(dir, 'k.safetensors'), '--epochs', '1', '--json']);
    expect(JSON.parse(kept.stdout).leftOut.map((l: { column: string }) => l.column)).toEqual(['ts', 'uid', 'id.orig_h']);
  });

  it('a CSV field of millions of escaped quotes is read and written back whole, in the bounded memory of the threads', async () => {
    const lines = readFileSync(TEST, 'utf8').trimEnd().split('\n');
    const names = lines.find((l) => l.startsWith('#fields'))!.split('\t').slice(1);
    const rows = lines.filter((l) => !l.startsWith('#')).map((l) => l.split('\t'));
    const uid = names.indexOf('uid');
    rows[2][uid] = `"${'x""'.repeat(5_000_000)}"`;
    const csv = join(dir, 'quotes.csv');
    writeFileSync(csv, `${names.join(',')}\n${rows.map((r) => r.join(',')).join('\n')}\n`);
    const out = join(dir, 'quotes-scores.csv');
    const r = await run(['score', '--model', model, '--data', csv, '--out', out, '--threads', '2', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const written = readFileSync(out, 'utf8').split('\n');
    expect(written[3]).toMatch(/^3,/);
    expect(written[3]).toContain(`,"${'x""'.repeat(5_000_000)}",`);
    const plain = await run(['score', '--model', model, '--data', TEST, '--quiet']);
    const scored = (text: string[]) => text.filter((l) => l !== '').map((l) => l.split(',').slice(0, 3).join(','));
    expect(scored(written)).toEqual(scored(plain.stdout.split('\n')));
  });

  it("reads IoT-23's conn.log.labeled as Zeek conn.log: label Benign or Malicious, its detailed-label the attack category", async () => {
    const iot23 = (source: string) => readFileSync(source, 'utf8')
      .replace(/^(#fields.*)\tlabel$/m, '$1\ttunnel_parents   label   detailed-label')
      .replace(/^(#types.*)\tstring$/m, '$1\tset[string]   string   string')
      .replace(/^([^#].*)\t(\S+)$/gm, (_, fields: string, label: string) => `${fields}\t(empty)   ${label === 'normal' ? 'Benign   -' : `Malicious   ${label}`}`);
    const train = join(dir, 'iot23.conn.log.labeled');
    const test = join(dir, 'iot23-test.conn.log.labeled');
    writeFileSync(train, iot23(TRAIN));
    writeFileSync(test, iot23(TEST));
    expect(readFileSync(test, 'utf8')).toMatch(/\t\(empty\) {3}Malicious {3}\w+\n/);
    const out = join(dir, 'iot23.safetensors');
    const trained = await run(['train', '--data', train, '--out', out, '--epochs', '2', '--json']);
    expect(trained.code, trained.stderr).toBe(0);
    expect(ourNotices(trained.stderr)[0]).toBe(`netae: note: ${train} recognised as Zeek conn.log; --preset zeek-conn assumed`);
    const reference = await run(['train', '--data', TRAIN, '--out', join(dir, 'iot23-reference.safetensors'), '--epochs', '2', '--json']);
    expect(JSON.parse(trained.stdout)).toMatchObject({ preset: 'zeek-conn', label: 'label', attackCategory: 'detailed-label', trainRows: JSON.parse(reference.stdout).trainRows });
    const [labelled, plain] = await Promise.all([
      run(['eval', '--model', out, '--data', test]),
      run(['eval', '--model', model, '--data', TEST]),
    ]);
    expect(labelled.code, labelled.stderr).toBe(0);
    const counts = (stdout: string) => stdout.match(/^rows [\d,]+ \([^)]*\)/m)![0];
    expect(counts(labelled.stdout)).toBe(counts(plain.stdout));
    const categories = (stdout: string) => [...stdout.slice(stdout.indexOf('\ncategory')).matchAll(/^(\S+) +([\d,]+) /gm)].map((m) => `${m[1]} ${m[2]}`).sort();
    expect(categories(labelled.stdout)).toEqual(categories(plain.stdout));
    expect(categories(labelled.stdout).length).toBeGreaterThan(2);
  });

  it('recognises the preset of standard input and of a named pipe and reads each as a copy of it, removed after: the model is the one trained from the file', async () => {
    const tensors = (path: string) => {
      const bytes = readFileSync(path);
      return bytes.subarray(8 + Number(bytes.readBigUInt64LE(0)));
    };
    const train = `train --epochs 1 --data`;
    const file = await run(`node ${BIN} ${train} ${TRAIN} --out ${join(dir, 'in-file.safetensors')}`);
    expect(file.code, file.stderr).toBe(0);
    const redirected = await run(`node ${BIN} ${train} - --out ${join(dir, 'in-redirect.safetensors')} < ${TRAIN}`);
    expect(redirected.code, redirected.stderr).toBe(0);
    expect(ourNotices(redirected.stderr)).toContain('netae: note: stdin recognised as Zeek conn.log; --preset zeek-conn assumed');
    const spoolDir = join(dir, 'tmp-stdin');
    mkdirSync(spoolDir);
    const piped = await run(`gzip -c ${TRAIN} | TMPDIR=${spoolDir} node ${BIN} ${train} - --out ${join(dir, 'in-pipe.safetensors')}`);
    expect(piped.code, piped.stderr).toBe(0);
    const expected = tensors(join(dir, 'in-file.safetensors'));
    expect(tensors(join(dir, 'in-redirect.safetensors')).equals(expected)).toBe(true);
    expect(tensors(join(dir, 'in-pipe.safetensors')).equals(expected)).toBe(true);
    const fifo = join(dir, 'train.fifo');
    const named = await run(`mkfifo ${fifo} && (cat ${TRAIN} > ${fifo} &) && TMPDIR=${spoolDir} node ${BIN} ${train} ${fifo} --out ${join(dir, 'in-fifo.safetensors')}`);
    expect(named.code, named.stderr).toBe(0);
    expect(tensors(join(dir, 'in-fifo.safetensors')).equals(expected)).toBe(true);
    const substituted = await run(`node ${BIN} ${train} <(cat ${TRAIN}) --out ${join(dir, 'in-substitution.safetensors')}`);
    expect(substituted.code, substituted.stderr).toBe(0);
    expect(decodeModel(readFileSync(join(dir, 'in-substitution.safetensors'))).meta.training?.source, 'a descriptor path names no file').toBe('pipe');
    expect(readdirSync(spoolDir)).toEqual([]);
    const scored = await run(['score', '--model', join(dir, 'in-file.safetensors'), '--data', TEST, '--quiet']);
    const fromFifo = await run(`(cat ${TEST} > ${fifo} &) && node ${BIN} score --model ${join(dir, 'in-file.safetensors')} --data ${fifo} --quiet`);
    expect(fromFifo.code, fromFifo.stderr).toBe(0);
    expect(fromFifo.stdout).toBe(scored.stdout);
  });

  /** The normal rows of the sample of `rows` of TRAIN by its definition: the rows whose lines have the smallest keys. */
  const normalInSample = (rows: number, seed: number): number => {
    const data = readFileSync(TRAIN, 'utf8').split('\n').flatMap((l, i) => (l && !l.startsWith('#') ? [{ line: i + 1, label: l.split('\t').at(-1) }] : []));
    const sample = data.sort((a, b) => sampleKey(a.line, seed) - sampleKey(b.line, seed)).slice(0, rows);
    return sample.filter((row) => row.label === 'normal').length;
  };

  it('--max-rows trains on a uniform sample of a longer file, drawn by --seed, and says so', async () => {
    const r = await run(['train', '--data', TRAIN, '--max-rows', '3000', '--seed', '4', '--out', join(dir, 's.safetensors'), '--epochs', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(ourNotices(r.stderr)).toContain(`netae: note: ${TRAIN} holds 8,000 rows; training reads a uniform sample of 3,000 of them (--max-rows N sets how many)`);
    const summary = JSON.parse(r.stdout);
    expect(summary.trainRows + summary.validationRows).toBe(normalInSample(3000, 4));
  });

  it('--fit-rows below the sample fits the features on a smaller sample and reads the training rows again, as many, on any thread count, from a file or standard input', async () => {
    const args = ['train', '--data', TRAIN, '--fit-rows', '500', '--max-rows', '3000', '--seed', '4', '--epochs', '1', '--json'];
    const r = await run([...args, '--out', join(dir, 'f1.safetensors'), '--threads', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(ourNotices(r.stderr)).toContain(`netae: note: ${TRAIN} holds 8,000 rows; the features are fitted on a uniform sample of 500 of them `
      + '(--fit-rows N) and the model trained on the normal rows of a uniform sample of 3,000 of them (--max-rows N), read again');
    const summary = JSON.parse(r.stdout);
    expect(summary.trainRows + summary.validationRows).toBe(normalInSample(3000, 4));
    const fitting = await readDataset(readFileSync(TRAIN), { preset: 'zeek-conn' }, TRAIN, { sample: { rows: 500, seed: 4 } });
    const expected = fitFeaturizer(fitting.schema, normalRows(fitting.table, fitting.schema, fitting).table).toJSON();
    const model = decodeModel(new Uint8Array(readFileSync(join(dir, 'f1.safetensors'))));
    // The model's features carry the gains of its standardised errors besides what was fitted.
    const fitted = JSON.parse(JSON.stringify((model.meta.features as { features: unknown }).features, (key, value) => (key === 'gain' || key === 'gains' ? undefined : value)));
    expect(fitted).toEqual(expected.features);
    const threads = await run([...args, '--out', join(dir, 'f2.safetensors'), '--threads', '2']);
    expect(threads.code, threads.stderr).toBe(0);
    const tensors = (path: string) => decodeModel(new Uint8Array(readFileSync(path))).params;
    expect(tensors(join(dir, 'f2.safetensors'))).toEqual(tensors(join(dir, 'f1.safetensors')));
    // Standard input is read twice too, from its copy.
    const piped = await run(`cat ${TRAIN} | node ${BIN} ${args.map((a) => (a === TRAIN ? '-' : a)).join(' ')} --out ${join(dir, 'f3.safetensors')}`);
    expect(piped.code, piped.stderr).toBe(0);
    expect(ourNotices(piped.stderr)).toContain('netae: note: stdin holds 8,000 rows; the features are fitted on a uniform sample of 500 of them (--fit-rows N) and the model trained on the normal rows of a uniform sample of 3,000 of them (--max-rows N), read again');
    expect(tensors(join(dir, 'f3.safetensors'))).toEqual(tensors(join(dir, 'f1.safetensors')));
  });
});

describe('bad input: exit 1 with one clear line, no output left', () => {
  const expectOneLine = (stderr: string, pattern: RegExp) => {
    const lines = ourErrors(stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
  };

  it('a missing file', async () => {
    const r = await run(['train', '--data', join(dir, 'nope.csv'), '--preset', 'nsl-kdd', '--out', join(dir, 'm.safetensors')]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /cannot read .*nope\.csv: no such file/);
    expect(existsSync(join(dir, 'm.safetensors'))).toBe(false);
  });

  it('an unreadable model', async () => {
    const fake = join(dir, 'fake.safetensors');
    writeFileSync(fake, 'ts,uid\n1,2\n');
    const r = await run(['score', '--model', fake, '--data', TEST]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /fake\.safetensors: not a safetensors file/);
  });

  it('the wrong preset for the file', async () => {
    const r = await run(['train', '--data', TRAIN, '--preset', 'unsw-nb15', '--out', join(dir, 'w.safetensors')]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /unsw-nb15 preset needs \d+ column\(s\) the file lacks/);
    expect(existsSync(join(dir, 'w.safetensors'))).toBe(false);
  });

  it('empty input', async () => {
    const r = await run(['score', '--model', model, '-']);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /stdin.*empty/);
  });

  it('a row with too few fields in the middle of a large file names the line and leaves no output', async () => {
    const bad = 60_000;
    const path = bigLog(17, (lines) => {
      lines[bad - 1] = lines[bad - 1].split('\t').slice(0, 5).join('\t');
    });
    const out = join(dir, 'partial.csv');
    const r = await run(['score', '--model', model, '--data', path, '--out', out, '--chunk', '4096']);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, new RegExp(`big-17-edited\\.conn\\.log, line ${bad}\\b.*`));
    expect(readdirSync(dir).filter((f) => f.startsWith('partial.csv'))).toEqual([]);
  });

  it('a bad row deep in gzip on standard input, decoded on threads, names stdin and the line', async () => {
    const bad = 50_000;
    const path = bigLog(12, (lines) => {
      lines[bad - 1] = lines[bad - 1].replace(/\t/, '\tnot-a-number\t');
    });
    const r = await run(`gzip -c ${path} | node ${BIN} score --model ${model} --threads 2 - --out /dev/null`);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, new RegExp(`^netae: stdin, line ${bad}: expected \\d+ fields`));
  });

  it('train on two threads: a bad row late in a file of more than 16 MiB names its line, as on one thread; Ctrl-C while reading leaves no model', async () => {
    const bad = 130_000;
    const path = bigLog(23, (lines) => {
      const fields = lines[bad - 1].split('\t');
      fields[8] = 'not-a-number';
      lines[bad - 1] = fields.join('\t');
    });
    expect(readFileSync(path).length).toBeGreaterThan(16 << 20);
    const message = new RegExp(`^netae: ${path}, line ${bad}, column "duration": expected a number, found "not-a-number"`);
    for (const threads of ['1', '2']) {
      const r = await run(['train', '--data', path, '--preset', 'zeek-conn', '--out', join(dir, 'bad.safetensors'), '--threads', threads]);
      expect(r.code).toBe(1);
      expectOneLine(r.stderr, message);
    }
    const out = join(dir, 'interrupted.safetensors');
    const child = spawn(process.execPath, [BIN, 'train', '--data', bigLog(23), '--out', out, '--threads', '2']);
    let stderr = '';
    const code = await new Promise<number | null>((resolve) => {
      // The note that the file was recognised comes just before the whole file is read.
      child.stderr.on('data', (d: Buffer) => {
        if (!stderr.includes('recognised as')) {
          stderr += d;
          if (stderr.includes('recognised as')) child.kill('SIGINT');
        } else stderr += d;
      });
      child.on('close', resolve);
    });
    expect(code, stderr).toBe(130);
    expect(ourErrors(stderr)).toEqual(['netae: interrupted (SIGINT); nothing was written']);
    expect(readdirSync(dir).filter((f) => f.startsWith('interrupted.safetensors'))).toEqual([]);
  });

  it('usage errors exit 2 with a netae: line naming the flag or command', async () => {
    const usage = async (args: string[]) => {
      const r = await run(args);
      expect(r.code, r.stderr).toBe(2);
      return ourErrors(r.stderr);
    };
    expect(await usage(['train', '--data', TRAIN])).toEqual([expect.stringMatching(/^netae: .*'--out <model>'/)]);
    expect(await usage(['train', '--data', TRAIN, '--out', 'x', '--label', 'label'])).toHaveLength(1);
    expect(await usage(['train', '--data', TRAIN, '--out', 'x', '--preset', 'kdd98'])).toEqual([expect.stringMatching(/^netae: unknown preset "kdd98"/)]);
    expect(await usage(['train', '--data', TRAIN, '--out', 'x', '--epochs', 'abc'])).toEqual([expect.stringMatching(/^netae: .*'--epochs <n>'.*"abc"/)]);
    expect(await usage(['score', '--model', model])).toEqual([expect.stringMatching(/^netae: score needs the records/)]);
    expect(await usage(['score', '--model', model, '--frob', TRAIN])).toEqual([expect.stringMatching(/^netae: unknown option '--frob'/)]);
    expect(await usage(['frobnicate'])).toEqual([expect.stringMatching(/^netae: unknown command 'frobnicate'/)]);
    expect((await run(['--help'])).code).toBe(0);
  });

  it('no GPU adapter exits 3 with a hint', async () => {
    const r = await run(`VK_ICD_FILENAMES=${join(dir, 'none.json')} node ${BIN} info`);
    expect(r.code).toBe(3);
    expect(ourErrors(r.stderr)[0]).toMatch(/no WebGPU adapter.*Vulkan driver/);
  });

  it('Ctrl-C while scoring leaves no partial file', async () => {
    const path = bigLog(40);
    const out = join(dir, 'interrupted.csv');
    const child = spawn(process.execPath, [BIN, 'score', '--model', model, '--data', path, '--out', out, '--chunk', '1024']);
    const code = await new Promise<number | null>((resolve) => {
      const poll = setInterval(() => {
        if (readdirSync(dir).some((f) => f.startsWith('interrupted.csv.'))) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 20);
      child.on('close', (c) => {
        clearInterval(poll);
        resolve(c);
      });
    });
    expect(code).toBe(130);
    expect(readdirSync(dir).filter((f) => f.startsWith('interrupted.csv'))).toEqual([]);
  });
});
