/**
 * k-fold cross-validation of feature and threshold choices, on data no default was tuned to:
 * NSL-KDD's KDDTrain+ (when present) and the synthetic traffic. Normal rows are split into k
 * folds; for each fold the features are fitted and a model trained on the other folds' normal
 * rows, then the held-out normal fold and every attack row are scored. Thresholds are set on the
 * trainer's own validation rows, as `netae train` sets them, so the fold's rates are out of sample.
 *
 * Run: npm run bench:detection -- [--folds 3] [--epochs 20] [--only kdd|synthetic] [--candidates 0,6]
 * Writes bench/results/detection-cv-<adapter>-<date>.json and prints Markdown tables.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ColumnTable } from 'arquero';
import { acquireGpu, type Gpu } from '../src/gpu/device';
import { Scorer } from '../src/model/scorer';
import { defaultSpec } from '../src/model/spec';
import { train } from '../src/model/trainer';
import { permutation, seededRandom } from '../src/model/random';
import { tableDataset, type Dataset } from '../src/pipeline/dataset';
import type { FitOptions } from '../src/pipeline/features';
import { readDatasetFile } from '../src/pipeline/io-node';
import { rocAuc } from '../src/pipeline/metrics';
import { fitPipeline } from '../src/pipeline/pipeline';
import type { Schema } from '../src/pipeline/schema';
import { generateTraffic } from '../src/pipeline/synthetic';
import { fprThreshold, madThreshold } from '../src/pipeline/thresholds';
import { formatTable } from '../src/app/cli/table';
import { RESULTS_DIR, saveResults } from './report';

interface Candidate {
  name: string;
  fit: FitOptions;
  /** Keep the preset's hand-made log1p list (else only automatic detection, or none). */
  presetLog1p: boolean;
}

const CANDIDATES: Candidate[] = [
  { name: 'standard, preset log1p, clip 1e6', fit: { scaling: 'standard', log1p: 'listed', clip: 1e6 }, presetLog1p: true },
  { name: 'minmax, preset log1p', fit: { scaling: 'minmax', log1p: 'listed', clip: 1e6 }, presetLog1p: true },
  { name: 'standard, auto log1p, bound 5', fit: { scaling: 'standard', log1p: 'auto', clip: 5 }, presetLog1p: false },
  { name: 'robust, preset log1p, bound 5', fit: { scaling: 'robust', log1p: 'listed', clip: 5 }, presetLog1p: true },
  { name: 'robust, auto log1p, no bound', fit: { scaling: 'robust', log1p: 'auto', clip: 1e6 }, presetLog1p: false },
  { name: 'robust, auto log1p, bound 3', fit: { scaling: 'robust', log1p: 'auto', clip: 3 }, presetLog1p: false },
  { name: 'robust, auto log1p, bound 5', fit: { scaling: 'robust', log1p: 'auto', clip: 5 }, presetLog1p: false },
  { name: 'robust, auto log1p, bound 10', fit: { scaling: 'robust', log1p: 'auto', clip: 10 }, presetLog1p: false },
  { name: 'minmax, auto log1p, no bound', fit: { scaling: 'minmax', log1p: 'auto', clip: 1e6 }, presetLog1p: false },
  { name: 'minmax, auto log1p, bound 5', fit: { scaling: 'minmax', log1p: 'auto', clip: 5 }, presetLog1p: false },
];

/** Threshold rules measured on each fold, all set on the trainer's held-out normal rows. */
const RULES = {
  'fpr 0.01': (s: Float32Array) => fprThreshold(s, 0.01).value,
  'fpr 0.02': (s: Float32Array) => fprThreshold(s, 0.02).value,
  'median+3·MAD': (s: Float32Array) => madThreshold(s, 3).value,
  'median+3·MAD of log': (s: Float32Array) => Math.exp(madThreshold(s.map(Math.log), 3).value),
} as const;
type RuleName = keyof typeof RULES;

interface FoldResult {
  rocAuc: number;
  rules: Record<string, { recall: number; fpr: number; f1AtEven: number }>;
  seconds: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

const FOLDS = Number(arg('folds') ?? 3);
const EPOCHS = Number(arg('epochs') ?? 20);
const only = arg('only');
const chosen = arg('candidates')?.split(',').map(Number);
const candidates = chosen ? chosen.map((i) => CANDIDATES[i]) : CANDIDATES;

/** NSL-KDD beside the project (`../shared/data/nsl-kdd`, benchmarks run from the project root) or at $NSL_KDD. */
const kddTrain = join(process.env.NSL_KDD ?? resolve(process.cwd(), '..', 'shared', 'data', 'nsl-kdd'), 'KDDTrain+.txt');

async function datasets(): Promise<{ name: string; data: Dataset }[]> {
  const out: { name: string; data: Dataset }[] = [];
  if (only !== 'synthetic') {
    if (existsSync(kddTrain)) out.push({ name: 'NSL-KDD KDDTrain+', data: await readDatasetFile(kddTrain, { preset: 'nsl-kdd' }) });
    else console.warn(`${kddTrain} not found: NSL-KDD left out`);
  }
  if (only !== 'kdd') {
    const traffic = generateTraffic({ rows: 40_000, seed: 7, attackFraction: 0.1 });
    out.push({ name: 'synthetic conn.log (40,000 rows, seed 7)', data: tableDataset(traffic, { preset: 'zeek-conn' }, 'synthetic', 'zeek') });
  }
  return out;
}

function rowsWhere(table: ColumnTable, flags: Uint8Array, value: number): ColumnTable {
  const keep: number[] = [];
  flags.forEach((f, i) => f === value && keep.push(i));
  return table.reify(keep);
}

async function runFold(gpu: Gpu, schema: Schema, normal: ColumnTable, attacks: ColumnTable, order: Uint32Array, fold: number, c: Candidate): Promise<FoldResult> {
  const started = performance.now();
  const n = order.length;
  const [a, b] = [Math.floor((fold * n) / FOLDS), Math.floor(((fold + 1) * n) / FOLDS)];
  const testIdx = Array.from(order.subarray(a, b));
  const fitIdx = [...order.subarray(0, a), ...order.subarray(b)];
  const features = { ...schema.features, log1p: c.presetLog1p ? schema.features.log1p : [] };
  const pipeline = fitPipeline({ ...schema, features }, normal.reify(fitIdx), c.fit);
  const x = pipeline.transform(normal.reify(fitIdx));
  const spec = defaultSpec(pipeline.width);
  const trained = await train(gpu, { values: x.matrix, rows: x.rows, cols: x.width }, { spec, epochs: EPOCHS, seed: fold + 1 });
  const scorer = Scorer.create(gpu, spec, trained.params);
  try {
    const held = new Float32Array(trained.heldOut.length * x.width);
    trained.heldOut.forEach((r, i) => held.set(x.matrix.subarray(r * x.width, (r + 1) * x.width), i * x.width));
    const heldScores = await scorer.score(held);
    const normalScores = await scorer.score(pipeline.transform(normal.reify(testIdx)).matrix);
    const attackScores = await scorer.score(pipeline.transform(attacks).matrix);
    const scores = new Float32Array([...normalScores, ...attackScores]);
    const labels = new Uint8Array(scores.length).fill(1, normalScores.length);
    const rules: FoldResult['rules'] = {};
    for (const [name, rule] of Object.entries(RULES)) {
      const t = rule(heldScores);
      const recall = attackScores.reduce((s, v) => s + (v >= t ? 1 : 0), 0) / attackScores.length;
      const fpr = normalScores.reduce((s, v) => s + (v >= t ? 1 : 0), 0) / normalScores.length;
      const precision = recall + fpr > 0 ? recall / (recall + fpr) : 0;
      rules[name] = { recall, fpr, f1AtEven: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0 };
    }
    return { rocAuc: rocAuc(scores, labels), rules, seconds: (performance.now() - started) / 1000 };
  } finally {
    scorer.release();
  }
}

function meanSd(values: number[]): string {
  const m = values.reduce((s, v) => s + v, 0) / values.length;
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / Math.max(1, values.length - 1));
  return `${m.toFixed(4)} ± ${sd.toFixed(4)}`;
}

const gpu = await acquireGpu();
const results: { data: string; candidate: string; folds: FoldResult[] }[] = [];
try {
  for (const { name, data } of await datasets()) {
    const labels = data.labels!;
    const normal = rowsWhere(data.table, labels.isAnomaly, 0);
    const attacks = rowsWhere(data.table, labels.isAnomaly, 1);
    const order = permutation(normal.numRows(), seededRandom(2024));
    console.log(`\n${name}: ${normal.numRows().toLocaleString('en-US')} normal rows in ${FOLDS} folds, ${attacks.numRows().toLocaleString('en-US')} attack rows, ${EPOCHS} epochs`);
    for (const c of candidates) {
      const folds: FoldResult[] = [];
      for (let f = 0; f < FOLDS; f++) {
        folds.push(await runFold(gpu, data.schema, normal, attacks, order, f, c));
        const r = folds.at(-1)!;
        console.log(`  ${c.name}, fold ${f + 1}: ROC-AUC ${r.rocAuc.toFixed(4)}, ${Object.entries(r.rules).map(([k, v]) => `${k} recall ${v.recall.toFixed(3)} FPR ${v.fpr.toFixed(4)}`).join('; ')} (${r.seconds.toFixed(0)} s)`);
      }
      results.push({ data: name, candidate: c.name, folds });
    }
  }
  for (const data of new Set(results.map((r) => r.data))) {
    const rows = results.filter((r) => r.data === data).map((r) => ({
      candidate: r.candidate,
      'ROC-AUC': meanSd(r.folds.map((f) => f.rocAuc)),
      ...Object.fromEntries((Object.keys(RULES) as RuleName[]).flatMap((rule) => [
        [`${rule}: recall`, meanSd(r.folds.map((f) => f.rules[rule].recall))],
        [`FPR`, meanSd(r.folds.map((f) => f.rules[rule].fpr))],
      ]).map(([k, v], i) => [i % 2 ? `${k} (${Object.keys(RULES)[(i - 1) / 2]})` : k, v])),
    }));
    console.log(`\n${data}\n${formatTable(rows)}`);
  }
  console.log(`\nwrote ${saveResults(RESULTS_DIR, 'detection-cv', gpu, { folds: FOLDS, epochs: EPOCHS, results })}`);
} finally {
  gpu.release();
}
