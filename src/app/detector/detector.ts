import type { ColumnTable } from 'arquero';
import type { Gpu } from '../../gpu/device';
import { requireFeatures, rowScoreOf, type Model } from '../../model/model';
import { tailScale } from '../../model/row-score';
import { Scorer, type ScorerOptions } from '../../model/scorer';
import { Featurizer, mergeReports, type Labels, type RowOrigin, type TransformReport } from '../../pipeline';

/**
 * A trained model with its featurizer, ready to score raw records, and the score at or
 * above which a row is flagged: undefined for a model file that records none.
 */
export interface Detector {
  readonly model: Model;
  readonly featurizer: Featurizer;
  readonly threshold: number | undefined;
}

/** A detector that flags rows: one with a threshold. */
export type Flagging = Detector & { readonly threshold: number };

/**
 * The detector, known to have a threshold; otherwise an Error naming `source` and what to do
 * (`remedy`, by default training the model with netae).
 */
export function requireThreshold(detector: Detector, source: string, remedy = 'train it with netae train'): Flagging {
  if (detector.threshold === undefined) throw new Error(`${source} has no threshold; ${remedy}`);
  return detector as Flagging;
}

/** A model file's detector; the file must hold netae's feature pipeline. */
export function detectorOf(model: Model, source = 'model file'): Detector {
  requireFeatures(model, source);
  let featurizer: Featurizer;
  try {
    featurizer = Featurizer.fromJSON(model.meta.features);
  } catch (error) {
    throw new Error(`${source}: ${(error as Error).message}`);
  }
  if (featurizer.width !== model.spec.widths[0]) {
    throw new Error(`${source}: its feature pipeline gives ${featurizer.width} features but its model takes ${model.spec.widths[0]}`);
  }
  return { model, featurizer, threshold: model.meta.threshold?.value };
}

/** A scorer of the detector's model, scoring rows as its file says (src/model/row-score.ts). */
export function detectorScorer(gpu: Gpu, detector: Pick<Detector, 'model'>, options: Omit<ScorerOptions, 'score'> = {}): Scorer {
  return Scorer.create(gpu, detector.model.spec, detector.model.params, { ...options, score: rowScoreOf(detector.model) });
}

/** τ of the detector's row score, for explaining its rows (Explainer's `tail`). */
export function detectorTail(detector: Pick<Detector, 'model'>): number {
  return tailScale(rowScoreOf(detector.model));
}

export interface Scored {
  /** The rows' features, row-major [rows × width]. */
  readonly matrix: Float32Array;
  readonly scores: Float32Array;
  readonly labels: Labels | null;
  readonly repairs: TransformReport;
}

/** Transforms rows with the detector's featurizer and scores them; labels when the rows have them. */
export async function scoreRows(scorer: Scorer, detector: Detector, table: ColumnTable, origin?: RowOrigin): Promise<Scored> {
  const features = detector.featurizer.transform(table, origin);
  const labels = detector.featurizer.hasLabel(table.columnNames()) ? detector.featurizer.labels(table) : null;
  return { matrix: features.matrix, scores: await scorer.score(features.matrix), labels, repairs: features.report };
}

export function addRepairs(total: TransformReport | null, more: TransformReport): TransformReport {
  return total === null ? more : mergeReports(total, more);
}
