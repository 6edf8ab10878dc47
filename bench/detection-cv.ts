/**
 * k-fold cross-validation of feature and threshold choices, on data no default was tuned to:
 * NSL-KDD's KDDTrain+ (when present) and the synthetic traffic. Normal rows are split into k
 * folds; for each fold the features are fitted and a model trained on the other folds' normal
 * rows, then the held-out normal fold and every attack row are scored. Thresholds are set on the
 * trainer's own validation rows, as `netae train` sets them, so the fold's rates are out of sample.
 *
 * Run: npm run bench:detection -- [--folds 3] [--epochs 20] [--only kdd|synthetic] [--candidates 0,3]
 *        [--layers auto-128-64-32-64-128-auto] [--seed-offset 100] [--row-scores]
 * Fold f trains with seed f + 1 + the offset. --row-scores also ranks each fold's rows by the
 * alternative row scores of ROW_SCORES, computed on the CPU from the same model's reconstructions.
 * Writes bench/results/detection-cv-<adapter>-<date>.json (detection-cv-layers-<spec>-… with
 * --layers, the model in place of the `deep` default) and prints Markdown tables.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ColumnTable } from 'arquero';
import { acquireGpu, type Gpu } from '../src/gpu/device';
import { SQUARED, STUDENT_NU, type RowScore } from '../src/model/row-score';
import { Scorer } from '../src/model/scorer';
import { defaultSpec, parseSpec } from '../src/model/spec';
import { train } from '../src/model/trainer';
import { permutation, seededRandom } from '../src/model/random';
import { tableDataset, type Dataset } from '../src/pipeline/dataset';
import type { FitOptions } from '../src/pipeline/features';
import { readDatasetFile } from '../src/pipeline/io-node';
import { rocAuc } from '../src/pipeline/metrics';
import { fitFeaturizer } from '../src/pipeline/featurizer';
import type { Schema } from '../src/pipeline/schema';
import { generateTraffic } from '../src/synthetic/traffic';
import { fprThreshold, madThreshold } from '../src/pipeline/thresholds';
import { formatTable } from '../src/app/format';
import { standardiseErrors } from '../src/app/detector';
import { RESULTS_DIR, saveResults } from './report';

interface Candidate {
  name: string;
  fit: FitOptions;
  /** Keep the preset's hand-made log1p list (else only automatic detection, or none). */
  presetLog1p: boolean;
  /** The row score: errors standardised per feature on held-out normal rows (`standardiseErrors`), or the plain mean. */
  errors: 'standardised' | 'plain';
  /** With standardised errors, how they make the row score (src/model/row-score.ts); plain errors are always `squared`. */
  score: RowScore['kind'];
}

/** Robust and standard scaling map ±bound units to ±1 (see `fitFeatures`); the first candidate is netae's default. */
const CANDIDATES: Candidate[] = [
  { name: 'robust, auto log1p, bound 3 → ±1, standardised errors', fit: { scaling: 'robust', log1p: 'auto', clip: 3 }, presetLog1p: false, errors: 'standardised', score: 'squared' },
  { name: 'robust, auto log1p, bound 3 → ±1, plain errors', fit: { scaling: 'robust', log1p: 'auto', clip: 3 }, presetLog1p: false, errors: 'plain', score: 'squared' },
  { name: 'robust, auto log1p, bound 5 → ±1, standardised errors', fit: { scaling: 'robust', log1p: 'auto', clip: 5 }, presetLog1p: false, errors: 'standardised', score: 'squared' },
  { name: 'robust, auto log1p, bound 5 → ±1, plain errors', fit: { scaling: 'robust', log1p: 'auto', clip: 5 }, presetLog1p: false, errors: 'plain', score: 'squared' },
  { name: 'minmax, auto log1p, bound 5, standardised errors', fit: { scaling: 'minmax', log1p: 'auto', clip: 5 }, presetLog1p: false, errors: 'standardised', score: 'squared' },
  { name: 'minmax, auto log1p, bound 5, plain errors', fit: { scaling: 'minmax', log1p: 'auto', clip: 5 }, presetLog1p: false, errors: 'plain', score: 'squared' },
  { name: 'standard, listed log1p, no bound, plain errors', fit: { scaling: 'standard', log1p: 'listed', clip: 1e6 }, presetLog1p: true, errors: 'plain', score: 'squared' },
  { name: 'robust, auto log1p, bound 3 → ±1, standardised errors, Student t (--row-score student-t)', fit: { scaling: 'robust', log1p: 'auto', clip: 3 }, presetLog1p: false, errors: 'standardised', score: 'student-t' },
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
  /**
   * Per attack family: ROC-AUC against the held-out normal rows and recall at the default rule
   * (`fpr 0.01`). Their unweighted means over families (`macroAuc`, `macroRecall`) let a rare,
   * hard family (NSL-KDD's U2R: 52 rows) weigh as much as an abundant, easy one (DoS: 45,927).
   */
  families: Record<string, { rows: number; rocAuc: number; recall: number }>;
  macroAuc: number;
  macroRecall: number;
  /** ROC-AUC over the rows some of NSL-KDD's 21 reference learners misclassified (difficulty < 21), when the file says. */
  hardAuc?: number;
  /** With --row-scores: the same measures for each alternative row score (ROW_SCORES), on the same model. */
  rowScores?: Record<string, { macroAuc: number; macroRecall: number; hardAuc?: number; rocAuc: number }>;
  seconds: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

const FOLDS = Number(arg('folds') ?? 3);
const EPOCHS = Number(arg('epochs') ?? 20);
const only = arg('only');
const LAYERS = arg('layers');
const SEED_OFFSET = Number(arg('seed-offset') ?? 0);
const ROW_SCORE_SCREEN = process.argv.includes('--row-scores');
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

const DEFAULT_RULE: RuleName = 'fpr 0.01';

function recallAt(scores: Float32Array, t: number): number {
  return scores.reduce((s, v) => s + (v >= t ? 1 : 0), 0) / scores.length;
}

function aucOf(normal: Float32Array, attacks: Float32Array): number {
  const labels = new Uint8Array(normal.length + attacks.length).fill(1, normal.length);
  return rocAuc(new Float32Array([...normal, ...attacks]), labels);
}

function pick(scores: Float32Array, where: (i: number) => boolean): Float32Array {
  return scores.filter((_, i) => where(i));
}

function difficultyOf(table: ColumnTable): number[] | null {
  return table.columnNames().includes('difficulty') ? Array.from(table.array('difficulty') as ArrayLike<unknown>, Number) : null;
}

async function runFold(
  gpu: Gpu, schema: Schema, normal: ColumnTable, attacks: ColumnTable, families: string[], order: Uint32Array, fold: number, c: Candidate,
): Promise<FoldResult> {
  const started = performance.now();
  const n = order.length;
  const [a, b] = [Math.floor((fold * n) / FOLDS), Math.floor(((fold + 1) * n) / FOLDS)];
  const testIdx = Array.from(order.subarray(a, b));
  const fitIdx = [...order.subarray(0, a), ...order.subarray(b)];
  const features = { ...schema.features, log1p: c.presetLog1p ? schema.features.log1p : [] };
  const pipeline = fitFeaturizer({ ...schema, features }, normal.reify(fitIdx), c.fit);
  const x = pipeline.transform(normal.reify(fitIdx));
  const spec = LAYERS ? parseSpec(LAYERS, pipeline.width) : defaultSpec(pipeline.width);
  const trained = await train(gpu, { values: x.matrix, rows: x.rows, cols: x.width }, { spec, epochs: EPOCHS, seed: fold + 1 + SEED_OFFSET });
  const scored = c.errors === 'standardised'
    ? await standardiseErrors(gpu, spec, trained.params, pipeline, trained.heldOutRows)
    : { params: trained.params, featurizer: pipeline, heldOut: trained.heldOutRows, unit: 0 };
  const score: RowScore = c.errors === 'standardised' && c.score === 'student-t' ? { kind: 'student-t', nu: STUDENT_NU, unit: scored.unit } : SQUARED;
  const scorer = Scorer.create(gpu, spec, scored.params, { score });
  try {
    const heldScores = await scorer.scoreBlocks(scored.heldOut);
    const normalScores = await scorer.score(scored.featurizer.transform(normal.reify(testIdx)).matrix);
    const attackScores = await scorer.score(scored.featurizer.transform(attacks).matrix);
    const rules: FoldResult['rules'] = {};
    for (const [name, rule] of Object.entries(RULES)) {
      const t = rule(heldScores);
      const recall = recallAt(attackScores, t);
      const fpr = recallAt(normalScores, t);
      const precision = recall + fpr > 0 ? recall / (recall + fpr) : 0;
      rules[name] = { recall, fpr, f1AtEven: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0 };
    }
    const t = RULES[DEFAULT_RULE](heldScores);
    const byFamily: FoldResult['families'] = {};
    for (const family of [...new Set(families)].sort()) {
      const scores = pick(attackScores, (i) => families[i] === family);
      byFamily[family] = { rows: scores.length, rocAuc: aucOf(normalScores, scores), recall: recallAt(scores, t) };
    }
    const mean = (key: 'rocAuc' | 'recall') => Object.values(byFamily).reduce((s, f) => s + f[key], 0) / Object.keys(byFamily).length;
    const [normalDifficulty, attackDifficulty] = [difficultyOf(normal), difficultyOf(attacks)];
    const hardAuc = normalDifficulty && attackDifficulty
      ? aucOf(pick(normalScores, (i) => normalDifficulty[testIdx[i]] < 21), pick(attackScores, (i) => attackDifficulty[i] < 21))
      : undefined;
    let rowScores: FoldResult['rowScores'];
    if (ROW_SCORE_SCREEN) {
      const cols = scored.heldOut.cols;
      const [eh, en, ea] = [
        await featureErrors(scorer, await scored.heldOut.read(0, scored.heldOut.rows), cols),
        await featureErrors(scorer, scored.featurizer.transform(normal.reify(testIdx)).matrix, cols),
        await featureErrors(scorer, scored.featurizer.transform(attacks).matrix, cols),
      ];
      const unit = eh.reduce((s, v) => s + v, 0) / eh.length;
      const rowsOf = (e: Float64Array, score: (r: Float64Array) => number) => {
        const n = e.length / cols;
        const out = new Float32Array(n);
        const r = new Float64Array(cols);
        for (let i = 0; i < n; i++) {
          for (let f = 0; f < cols; f++) r[f] = e[i * cols + f] / unit;
          out[i] = score(r);
        }
        return out;
      };
      rowScores = {};
      for (const [name, score] of Object.entries(ROW_SCORES)) {
        const [h, nrm, att] = [rowsOf(eh, score), rowsOf(en, score), rowsOf(ea, score)];
        const th = RULES[DEFAULT_RULE](h);
        const fam = [...new Set(families)].sort().map((family) => {
          const s = pick(att, (i) => families[i] === family);
          return { auc: aucOf(nrm, s), recall: recallAt(s, th) };
        });
        const hard = normalDifficulty && attackDifficulty
          ? aucOf(pick(nrm, (i) => normalDifficulty[testIdx[i]] < 21), pick(att, (i) => attackDifficulty[i] < 21))
          : undefined;
        rowScores[name] = {
          rocAuc: aucOf(nrm, att), macroAuc: fam.reduce((s, f) => s + f.auc, 0) / fam.length, macroRecall: fam.reduce((s, f) => s + f.recall, 0) / fam.length,
          ...(hard === undefined ? {} : { hardAuc: hard }),
        };
        console.log(`    ${name}: macro ${rowScores[name].macroAuc.toFixed(4)} / recall ${rowScores[name].macroRecall.toFixed(3)}${hard === undefined ? '' : `, difficulty < 21 ${hard.toFixed(4)}`}`);
      }
    }
    return {
      rocAuc: aucOf(normalScores, attackScores), rules, families: byFamily, macroAuc: mean('rocAuc'), macroRecall: mean('recall'),
      ...(hardAuc === undefined ? {} : { hardAuc }), ...(rowScores === undefined ? {} : { rowScores }), seconds: (performance.now() - started) / 1000,
    };
  } finally {
    scorer.release();
  }
}

/**
 * Row scores from each feature's squared error r_f, in units of its mean over the held-out normal
 * rows (so that every feature's r_f averages 1 on normal traffic): the mean (the Gaussian
 * log-likelihood with a variance per feature, as netae scores), and heavier-tailed alternatives
 * that let one feature's large error count less against several features' moderate ones.
 */
const ROW_SCORES: Record<string, (r: Float64Array) => number> = {
  'squared: mean r': (r) => r.reduce((s, v) => s + v, 0),
  ...Object.fromEntries([2, 5, 10, 20, 50].map((nu) => [`Student t, nu ${nu}`, (r: Float64Array) => r.reduce((s, v) => s + Math.log1p(v / nu), 0)])),
}

/** Each row's squared error per feature (rows × cols), reconstructed by the scorer's model. */
async function featureErrors(scorer: Scorer, x: Float32Array, cols: number): Promise<Float64Array> {
  const out = new Float64Array(x.length);
  const step = scorer.chunk * cols;
  for (let at = 0; at < x.length; at += step) {
    const part = x.subarray(at, Math.min(x.length, at + step));
    const y = await scorer.reconstruct(part);
    for (let i = 0; i < part.length; i++) out[at + i] = (part[i] - y[i]) ** 2;
  }
  return out;
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
    const families = labels.category.filter((_, i) => labels.isAnomaly[i] === 1);
    const order = permutation(normal.numRows(), seededRandom(2024));
    console.log(`\n${name}: ${normal.numRows().toLocaleString('en-US')} normal rows in ${FOLDS} folds, ${attacks.numRows().toLocaleString('en-US')} attack rows, ${EPOCHS} epochs, layers ${LAYERS ?? 'deep'}`);
    for (const c of candidates) {
      const folds: FoldResult[] = [];
      for (let f = 0; f < FOLDS; f++) {
        folds.push(await runFold(gpu, data.schema, normal, attacks, families, order, f, c));
        const r = folds.at(-1)!;
        console.log(`  ${c.name}, fold ${f + 1}: ROC-AUC ${r.rocAuc.toFixed(4)}, macro over families ${r.macroAuc.toFixed(4)} / recall ${r.macroRecall.toFixed(3)}, ${Object.entries(r.families).map(([k, v]) => `${k} ${v.rocAuc.toFixed(4)} / ${v.recall.toFixed(3)}`).join(', ')}${r.hardAuc === undefined ? '' : `, difficulty < 21 ${r.hardAuc.toFixed(4)}`}; ${Object.entries(r.rules).map(([k, v]) => `${k} recall ${v.recall.toFixed(3)} FPR ${v.fpr.toFixed(4)}`).join('; ')} (${r.seconds.toFixed(0)} s)`);
      }
      results.push({ data: name, candidate: c.name, folds });
      if (ROW_SCORE_SCREEN) {
        for (const score of Object.keys(ROW_SCORES)) {
          const of = (key: 'macroAuc' | 'macroRecall' | 'hardAuc' | 'rocAuc') => meanSd(folds.map((f) => f.rowScores![score][key] ?? NaN));
          console.log(`  row score ${score}: ROC-AUC ${of('rocAuc')}, macro ${of('macroAuc')}, macro recall ${of('macroRecall')}, difficulty < 21 ${of('hardAuc')}`);
        }
      }
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
    const byFamily = results.filter((r) => r.data === data).map((r) => ({
      candidate: r.candidate,
      'macro ROC-AUC': meanSd(r.folds.map((f) => f.macroAuc)),
      'macro recall': meanSd(r.folds.map((f) => f.macroRecall)),
      ...Object.fromEntries(Object.keys(r.folds[0].families).map((k) => [
        `${k} (${r.folds[0].families[k].rows})`, `${meanSd(r.folds.map((f) => f.families[k].rocAuc))} / ${meanSd(r.folds.map((f) => f.families[k].recall))}`,
      ])),
      ...(r.folds[0].hardAuc === undefined ? {} : { 'difficulty < 21 ROC-AUC': meanSd(r.folds.map((f) => f.hardAuc!)) }),
    }));
    console.log(`\nper family: ROC-AUC / recall at ${DEFAULT_RULE}\n${formatTable(byFamily)}`);
  }
  console.log(`\nwrote ${await saveResults(RESULTS_DIR, LAYERS ? `detection-cv-layers-${LAYERS.replace(/[^a-z0-9]+/gi, '-')}` : 'detection-cv', gpu, { folds: FOLDS, epochs: EPOCHS, layers: LAYERS ?? 'deep', results })}`);
} finally {
  gpu.release();
}
