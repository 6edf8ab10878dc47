import type { Gpu } from '../../gpu/device';
import { Scorer } from '../../model/scorer';
import { evaluateAtBoth, type Categories, type Evaluation, type Labels, type ReadResult, type TransformReport } from '../../pipeline';
import { concatArrays } from '../../pipeline/bytes';
import { quote } from '../../pipeline/errors';
import { tallyFlagged } from '../drivers';
import { DriverTally, Explainer, type CategoryDrivers } from '../explain';
import { addRepairs, scoreRows, type Detector, type Flagging } from './detector';

export interface Report {
  /** Metrics at the model's threshold. */
  readonly atThreshold: Evaluation;
  /** Metrics at the threshold that maximises F1 on these labels (null with one class). */
  readonly atBestF1: Evaluation | null;
}

export function report(scores: Float32Array, isAnomaly: Uint8Array, categories: Categories, threshold: number): Report {
  return evaluateAtBoth(scores, isAnomaly, { threshold, categories });
}

/** Features listed per category in an evaluation. */
const DRIVERS = 5;

/**
 * An evaluation: the metrics, the repairs made reading the records, and per category the features
 * that drive its detections (the largest mean shares of error over its flagged rows).
 */
export type EvalResult = Report & { repaired: number; unseen: number; drivers: CategoryDrivers[] };

/**
 * The label column a file of these columns must have to be evaluated against; an Error naming
 * the file when the model was trained without labels or the file lacks the column.
 */
export function labelColumn(detector: Detector, file: string, columns?: readonly string[]): string {
  const label = detector.featurizer.schema.label;
  if (label === null) throw new Error(`${file}: the model was trained without labels, so there is nothing to evaluate against`);
  if (columns !== undefined && !columns.includes(label)) throw new Error(`${file}: no label column ${quote(label)}, so there is nothing to evaluate against`);
  return label;
}

/**
 * Measures a detector on labelled rows added a part at a time: per row it keeps only the score,
 * whether it is an anomaly and its category's code (9 bytes), and tallies the drivers of the
 * flagged rows as each part comes.
 */
export class Evaluator {
  private readonly explainer: Explainer;
  private readonly tally: DriverTally;
  private readonly scores: Float32Array[] = [];
  private readonly isAnomaly: Uint8Array[] = [];
  private readonly codes: Int32Array[] = [];
  private readonly categories: string[] = [];
  private readonly codeOf = new Map<string, number>();
  private repairs: TransformReport | null = null;

  constructor(private readonly detector: Flagging, private readonly scorer: Scorer) {
    this.explainer = new Explainer(detector.featurizer.features.toJSON());
    this.tally = new DriverTally(this.explainer.names);
  }

  /** Adds rows: their features [rows × width], scores, labels and the repairs made reading them. */
  async add(matrix: Float32Array, scores: Float32Array, labels: Labels, repairs: TransformReport): Promise<void> {
    this.scores.push(scores);
    this.isAnomaly.push(labels.isAnomaly);
    this.codes.push(Int32Array.from(labels.category, (category) => this.code(category)));
    this.repairs = addRepairs(this.repairs, repairs);
    await tallyFlagged(this.tally, this.scorer, this.explainer, matrix, scores, this.detector.threshold, labels.category);
  }

  result(): EvalResult {
    const categories = { codes: concatArrays(this.codes, Int32Array), names: this.categories };
    return {
      ...report(concatArrays(this.scores, Float32Array), concatArrays(this.isAnomaly, Uint8Array), categories, this.detector.threshold),
      repaired: this.repairs?.repaired ?? 0,
      unseen: this.repairs?.unseen ?? 0,
      drivers: this.tally.drivers(DRIVERS),
    };
  }

  private code(category: string): number {
    let code = this.codeOf.get(category);
    if (code === undefined) {
      this.codeOf.set(category, (code = this.categories.length));
      this.categories.push(category);
    }
    return code;
  }
}

/** Scores labelled records and measures the detector on them. */
export async function evaluateRecords(gpu: Gpu, detector: Flagging, records: ReadResult): Promise<EvalResult> {
  labelColumn(detector, records.file, records.table.columnNames());
  const scorer = Scorer.create(gpu, detector.model.spec, detector.model.params);
  try {
    const scored = await scoreRows(scorer, detector, records.table, records);
    const evaluator = new Evaluator(detector, scorer);
    await evaluator.add(scored.matrix, scored.scores, scored.labels!, scored.repairs);
    return evaluator.result();
  } finally {
    scorer.release();
  }
}
