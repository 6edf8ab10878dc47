/**
 * Writes the feature matrices netae's own pipeline makes, for screening models outside netae
 * (`bench/detection_screen.py`): the same folds as `bench/detection-cv.ts` (normal rows split by
 * a permutation seeded 2024; features fitted on the other folds' normal rows), or, with
 * `--data kdd-test`, features fitted on all of KDDTrain+'s normal rows and applied to KDDTrain+,
 * KDDTest+ and KDDTest-21.
 *
 * Run: npx tsx bench/export-features.ts --data kdd|synthetic|kdd-test --fit '{"scaling":"minmax"}'
 *        [--preset-log1p] [--folds 3] --out DIR
 * Writes DIR/meta.json (rows, width, feature names, per row: anomaly, family, difficulty, fold)
 * and DIR/<part>.f32 (row-major float32, little-endian), one per fold or per file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ColumnTable } from 'arquero';
import { permutation, seededRandom } from '../src/model/random';
import { tableDataset, type Dataset } from '../src/pipeline/dataset';
import type { FitOptions } from '../src/pipeline/features';
import { readDatasetFile } from '../src/pipeline/io-node';
import { fitFeaturizer } from '../src/pipeline/featurizer';
import { generateTraffic } from '../src/synthetic/traffic';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

const data = arg('data') ?? 'kdd';
const fit = JSON.parse(arg('fit') ?? '{}') as FitOptions;
const presetLog1p = process.argv.includes('--preset-log1p');
const folds = Number(arg('folds') ?? 3);
const out = arg('out');
if (!out) throw new Error('--out DIR is required');
const kddDir = process.env.NSL_KDD ?? resolve(process.cwd(), '..', 'shared', 'data', 'nsl-kdd');

async function load(which: string): Promise<Dataset> {
  if (which === 'synthetic') {
    return tableDataset(generateTraffic({ rows: 40_000, seed: 7, attackFraction: 0.1 }), { preset: 'zeek-conn' }, 'synthetic', 'zeek');
  }
  return readDatasetFile(join(kddDir, which), { preset: 'nsl-kdd' });
}

function rowsMeta(d: Dataset, fold?: Int32Array) {
  const labels = d.labels!;
  const names = d.table.columnNames();
  const difficulty = names.includes('difficulty') ? Array.from(d.table.array('difficulty') as ArrayLike<unknown>, Number) : null;
  return { rows: d.table.numRows(), anomaly: Array.from(labels.isAnomaly), family: labels.category, difficulty, fold: fold ? Array.from(fold) : null };
}

function write(path: string, matrix: Float32Array): void {
  writeFileSync(path, new Uint8Array(matrix.buffer, matrix.byteOffset, matrix.byteLength));
}

function withLog1p(d: Dataset) {
  return { ...d.schema, features: { ...d.schema.features, log1p: presetLog1p ? d.schema.features.log1p : [] } };
}

mkdirSync(out, { recursive: true });
if (data === 'kdd-test') {
  const train = await load('KDDTrain+.txt');
  const normalIdx: number[] = [];
  train.labels!.isAnomaly.forEach((a, i) => a === 0 && normalIdx.push(i));
  const pipeline = fitFeaturizer(withLog1p(train), train.table.reify(normalIdx), fit);
  const parts: Record<string, unknown> = {};
  for (const [part, file] of [['train', 'KDDTrain+.txt'], ['test', 'KDDTest+.txt'], ['test21', 'KDDTest-21.txt']] as const) {
    const d = part === 'train' ? train : await load(file);
    write(join(out, `${part}.f32`), pipeline.transform(d.table).matrix);
    parts[part] = rowsMeta(d);
  }
  writeFileSync(join(out, 'meta.json'), JSON.stringify({ data, fit, presetLog1p, width: pipeline.width, names: pipeline.featureNames, numeric: pipeline.features.toJSON().numeric.length, parts }));
} else {
  const d = await load(data === 'synthetic' ? 'synthetic' : 'KDDTrain+.txt');
  const isAnomaly = d.labels!.isAnomaly;
  const normalIdx: number[] = [];
  isAnomaly.forEach((a, i) => a === 0 && normalIdx.push(i));
  const order = permutation(normalIdx.length, seededRandom(2024));
  const fold = new Int32Array(d.table.numRows()).fill(-1);
  for (let f = 0; f < folds; f++) {
    const [a, b] = [Math.floor((f * order.length) / folds), Math.floor(((f + 1) * order.length) / folds)];
    for (let k = a; k < b; k++) fold[normalIdx[order[k]]] = f;
  }
  const widths: number[] = [];
  const names: string[][] = [];
  let numeric = 0;
  for (let f = 0; f < folds; f++) {
    const fitRows: number[] = [];
    fold.forEach((g, i) => g >= 0 && g !== f && fitRows.push(i));
    const pipeline = fitFeaturizer(withLog1p(d), d.table.reify(fitRows) as ColumnTable, fit);
    write(join(out, `fold${f}.f32`), pipeline.transform(d.table).matrix);
    widths.push(pipeline.width);
    names.push(pipeline.featureNames);
    numeric = pipeline.features.toJSON().numeric.length;
  }
  writeFileSync(join(out, 'meta.json'), JSON.stringify({ data, fit, presetLog1p, folds, widths, names, numeric, parts: { all: rowsMeta(d, fold) } }));
}
console.log(`wrote ${out}`);
