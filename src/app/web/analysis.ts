import type { ColumnTable } from 'arquero';
import type { Gpu } from '../../gpu/device';
import type { Threshold } from '../../model/model';
import type { Scorer } from '../../model/scorer';
import { bestF1Threshold, categoryKey, labelledScores, prAuc, prCurve, rocAuc, rocCurve, type ReadResult } from '../../pipeline';
import { detectorScorer, detectorTail, requireThreshold, scoreRows, summarize, type Detector, type Flagging } from '../detector';
import { Explainer } from '../explain';
import { flowColumns, flowHeadings, flowParts, type FlowColumns } from '../flow';
import type { Contributions, Curve, ExplainedRow, ModelSummary, Result } from './protocol';

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

/** Rows explained in full (flow fields and worst-reconstructed columns): the highest scores, the ones an analyst reviews. */
const EXPLAINED_ROWS = 20_000;
const COLUMNS_PER_ROW = 3;

/** Row indices by score, highest first, at most `k`. */
function highest(scores: Float32Array, k: number): Uint32Array {
  const order = Uint32Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  return order.subarray(0, Math.min(k, order.length));
}

/**
 * The highest-scoring rows with their flow fields and the columns the model reconstructs worst in
 * each, and every one of their columns' shares of error.
 */
async function explainHighest(
  scorer: Scorer, detector: Detector, table: ColumnTable, scores: Float32Array, flow: FlowColumns,
): Promise<{ explained: ExplainedRow[]; contributions: Contributions }> {
  const rows = highest(scores, EXPLAINED_ROWS);
  const explainer = new Explainer(detector.featurizer.features.toJSON(), detectorTail(detector));
  const explained: ExplainedRow[] = [];
  const columns = explainer.columns.length;
  const contributions = { columns, names: explainer.names, shares: new Float32Array(rows.length * columns), keys: new Int32Array(rows.length * columns) };
  for (let start = 0; start < rows.length; start += scorer.chunk) {
    const chunk = Array.from(rows.subarray(start, start + scorer.chunk));
    const picked = table.reify(chunk);
    const { matrix, width } = detector.featurizer.transform(picked);
    const reconstruction = await scorer.reconstruct(matrix);
    chunk.forEach((index, k) => {
      const get = (column: string) => picked.get(column, k) as unknown;
      const at = k * width;
      const x = matrix.subarray(at, at + width);
      explainer.contributions(x, reconstruction.subarray(at, at + width), contributions.shares, contributions.keys, (start + k) * columns);
      explained.push({
        index,
        flow: flowParts(flow, (column) => categoryKey(get(column))),
        errors: explainer.explain(matrix.subarray(at, at + width), reconstruction.subarray(at, at + width), get, COLUMNS_PER_ROW),
      });
    });
  }
  return { explained, contributions };
}

/** How a model's threshold was chosen, in words. */
function thresholdRuleText(threshold: Threshold, onTrainingRows: boolean): string {
  const rows = onTrainingRows ? 'training' : 'held-out normal';
  const none = onTrainingRows ? ', none held out' : '';
  switch (threshold.mode) {
    case 'fpr': return `flags ${100 * (threshold.rate?.target ?? 0)}% of ${rows} rows${none}`;
    case 'percentile': return `p${threshold.percentile} of ${rows} scores${none}`;
    case 'mad': return `median + ${threshold.k}·MAD of ${rows} scores${none}`;
    case 'best-f1': return 'best F1 on the training labels';
    case 'chosen': return 'chosen on the netae page';
    case 'fixed': return 'fixed';
  }
}

/** The Model section's facts: the detector's summary, its threshold's rule in words. */
function modelSummary(detector: Flagging): ModelSummary {
  const s = summarize(detector);
  return {
    layers: s.layers,
    parameters: s.parameters,
    features: s.features,
    threshold: detector.threshold,
    thresholdRule: s.threshold === undefined ? 'none' : thresholdRuleText(s.threshold, s.thresholdOnTrainingRows),
    trainedOn: s.trainedOn,
    trainRows: s.trainRows,
    validationRows: s.validationRows,
    leftOut: s.leftOut.map((l) => `${l.column} (${l.reason})`),
    epochs: s.epochs,
    bestEpoch: s.bestEpoch,
    stopped: s.stopped,
    seconds: s.seconds,
    samplesPerSecond: s.samplesPerSecond,
  };
}

interface ModelFile {
  readonly bytes: Uint8Array;
  readonly name: string;
}

/** Scores records with a detector and measures it against their labels: everything the page shows after training. */
export async function analyse(gpu: Gpu, loaded: Detector, records: ReadResult, file: ModelFile, scoredTrainingData: boolean): Promise<Result> {
  const detector = requireThreshold(loaded, file.name);
  const scorer = detectorScorer(gpu, detector);
  const flow = flowColumns(records.table.columnNames());
  try {
    const { scores, labels, repairs } = await scoreRows(scorer, detector, records.table, records);
    const label = detector.featurizer.schema.label;
    const labelText = labels && label !== null ? { name: label, values: Array.from(records.table.array(label) as ArrayLike<unknown>, categoryKey) } : null;
    const measured = labels === null ? null : labelledScores(scores, labels);
    const anomalous = measured !== null && measured.labels.normalCount < measured.scores.length;
    const both = anomalous && measured.labels.normalCount > 0;
    return {
      model: file.bytes,
      modelName: file.name,
      summary: modelSummary(detector),
      data: records.file,
      scoredTrainingData,
      scores,
      labels: labels && { isAnomaly: labels.isAnomaly, category: labels.category, unlabelled: labels.unlabelled },
      labelText,
      rocAuc: both ? rocAuc(measured.scores, measured.labels.isAnomaly) : null,
      prAuc: anomalous ? prAuc(measured.scores, measured.labels.isAnomaly) : null,
      bestF1Threshold: anomalous ? bestF1Threshold(measured.scores, measured.labels.isAnomaly).threshold : null,
      ...(both ? curves(measured.scores, measured.labels.isAnomaly) : { roc: null, pr: null }),
      flowHeadings: flowHeadings(flow),
      ...await explainHighest(scorer, detector, records.table, scores, flow),
      repaired: repairs.repaired,
      unseen: repairs.unseen,
    };
  } finally {
    scorer.release();
  }
}
