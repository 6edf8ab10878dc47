import type { ColumnTable } from 'arquero';
import type { Gpu } from '../../gpu/device';
import type { Model } from '../../model/model';
import { Scorer } from '../../model/scorer';
import { formatSpec, parameterCount } from '../../model/spec';
import { bestF1Threshold, categoryKey, prAuc, prCurve, rocAuc, rocCurve, type ReadResult } from '../../pipeline';
import { scoreRows, type Detector } from '../detector';
import type { Curve, FeatureError, ModelSummary, Result, TopRow } from './protocol';

const TOP_ROWS = 20;
const FEATURES_PER_ROW = 3;
const CURVE_POINTS = 600;

/** Every `step`-th point of a curve, always with its first and last. */
function thin(x: ArrayLike<number>, y: ArrayLike<number>): Curve {
  const step = Math.max(1, Math.ceil(x.length / CURVE_POINTS));
  const keep: number[] = [];
  for (let i = 0; i < x.length; i += step) keep.push(i);
  if (keep.at(-1) !== x.length - 1) keep.push(x.length - 1);
  return { x: Float64Array.from(keep, (i) => x[i]), y: Float64Array.from(keep, (i) => y[i]) };
}

function curves(scores: Float32Array, isAnomaly: Uint8Array): { roc: Curve; pr: Curve } {
  const roc = rocCurve(scores, isAnomaly);
  const pr = prCurve(scores, isAnomaly);
  const column = (t: ColumnTable, name: string) => t.array(name) as ArrayLike<number>;
  return {
    roc: thin(column(roc, 'fpr'), column(roc, 'tpr')),
    pr: thin(column(pr, 'recall'), column(pr, 'precision')),
  };
}

/** Indices of the `k` highest scores, highest first. */
function topIndices(scores: Float32Array, k: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (top.length === k && !(scores[i] > scores[top[k - 1]])) continue;
    if (top.length === k) top.pop();
    let at = top.length;
    while (at > 0 && scores[top[at - 1]] < scores[i]) at--;
    top.splice(at, 0, i);
  }
  return top;
}

/** The input column behind each feature: numeric columns, then one slot per category and one for unseen ones. */
function featureColumns(detector: Detector): string[] {
  const json = detector.pipeline.features.toJSON();
  return [
    ...json.numeric.map((e) => e.column),
    ...json.categorical.flatMap((e) => Array<string>(e.categories.length + 1).fill(e.column)),
  ];
}

/** The highest-scoring rows with the features the model reconstructs worst in each. */
async function explainTop(scorer: Scorer, detector: Detector, table: ColumnTable, scores: Float32Array, categories: readonly string[] | null): Promise<TopRow[]> {
  const rows = topIndices(scores, Math.min(TOP_ROWS, scorer.chunk));
  if (rows.length === 0) return [];
  const picked = table.reify(rows);
  const { matrix, width } = detector.pipeline.transform(picked);
  const reconstruction = await scorer.reconstruct(matrix);
  const names = detector.pipeline.featureNames;
  const columns = featureColumns(detector);
  return rows.map((row, k) => {
    const errors = Array.from({ length: width }, (_, j) => (matrix[k * width + j] - reconstruction[k * width + j]) ** 2);
    const total = errors.reduce((a, b) => a + b, 0) || 1;
    const worst = errors.map((e, j) => ({ e, j })).sort((a, b) => b.e - a.e).slice(0, FEATURES_PER_ROW);
    const features = worst.map(({ e, j }): FeatureError => ({
      feature: names[j],
      column: columns[j],
      value: categoryKey(picked.get(columns[j], k)),
      share: e / total,
    }));
    return { row: row + 1, score: scores[row], category: categories?.[row] ?? null, features };
  });
}

function numberOr(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function summarize(model: Model, features: number): ModelSummary {
  const t = model.meta.training ?? {};
  const threshold = model.meta.threshold;
  const rule = threshold === undefined ? 'none'
    : threshold.mode === 'fpr' ? `flags ${100 * (threshold.rate?.target ?? 0)}% of held-out normal rows`
      : threshold.mode === 'percentile' ? `p${threshold.percentile} of held-out normal scores`
        : threshold.mode === 'mad' ? `median + ${threshold.k}·MAD of held-out normal scores`
          : threshold.mode === 'best-f1' ? 'best F1 on the training labels' : 'fixed';
  return {
    layers: formatSpec(model.spec),
    parameters: parameterCount(model.spec),
    features,
    threshold: threshold?.value ?? Number.NaN,
    thresholdRule: rule,
    trainedOn: typeof t.source === 'string' ? t.source : null,
    trainRows: numberOr(t.trainRows),
    epochs: numberOr(t.epochs),
    bestEpoch: numberOr(t.bestEpoch),
    stopped: typeof t.stopped === 'string' ? t.stopped : null,
    seconds: numberOr(t.seconds),
    samplesPerSecond: numberOr(t.samplesPerSecond),
  };
}

interface ModelFile {
  readonly bytes: Uint8Array;
  readonly name: string;
}

/** Scores records with a detector and measures it against their labels: everything the page shows after training. */
export async function analyse(gpu: Gpu, detector: Detector, records: ReadResult, file: ModelFile, scoredTrainingData: boolean): Promise<Result> {
  if (!Number.isFinite(detector.threshold)) throw new Error(`${file.name} has no threshold; train it with netae train`);
  const scorer = Scorer.create(gpu, detector.model.spec, detector.model.params);
  try {
    const { scores, labels, repairs } = await scoreRows(scorer, detector, records.table, records);
    const label = detector.pipeline.schema.label;
    const labelText = labels && label !== null ? Array.from(records.table.array(label) as ArrayLike<unknown>, categoryKey) : null;
    const anomalous = labels !== null && labels.normalCount < scores.length;
    const both = anomalous && labels.normalCount > 0;
    return {
      model: file.bytes,
      modelName: file.name,
      summary: summarize(detector.model, detector.pipeline.width),
      data: records.file,
      scoredTrainingData,
      scores,
      labels: labels && { isAnomaly: labels.isAnomaly, category: labels.category },
      labelText,
      rocAuc: both ? rocAuc(scores, labels.isAnomaly) : null,
      prAuc: anomalous ? prAuc(scores, labels.isAnomaly) : null,
      bestF1Threshold: anomalous ? bestF1Threshold(scores, labels.isAnomaly).threshold : null,
      ...(both ? curves(scores, labels.isAnomaly) : { roc: null, pr: null }),
      top: await explainTop(scorer, detector, records.table, scores, labels?.category ?? null),
      repaired: repairs.repaired,
      unseen: repairs.unseen,
    };
  } finally {
    scorer.release();
  }
}
