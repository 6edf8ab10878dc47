import type { Gpu } from '../../gpu/device';
import type { Scorer } from '../../model/scorer';
import { pickRows } from '../../model/matrix';
import {
  evaluateGroups, labelledRows, pickLabels, type Evaluation, type Labels, type ReadResult, type ScoreGroup, type TransformReport,
} from '../../pipeline';
import { quote } from '../../pipeline/errors';
import { tallyFlagged } from '../drivers';
import { DriverTally, Explainer, type CategoryDrivers } from '../explain';
import { blankRowsNote } from '../repairs';
import { addRepairs, detectorScorer, detectorTail, scoreRows, type Detector, type Flagging } from './detector';

export interface Report {
  /** Metrics at the model's threshold. */
  readonly atThreshold: Evaluation;
  /** Metrics at the threshold that maximises F1 on these labels (null with one class). */
  readonly atBestF1: Evaluation | null;
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
 * Measures a detector on labelled rows added a part at a time: per row it keeps only the score
 * (4 bytes), in a group per category and class, ranked in place at the end, and tallies the
 * drivers of the flagged rows as each part comes. Rows whose label is missing (`-`, empty, …)
 * are neither normal nor attacks: they are left out, and a note counts them. `file` names the
 * labelled file in messages.
 */
export class Evaluator {
  private readonly explainer: Explainer;
  private readonly tally: DriverTally;
  /** Per class (normal, anomaly), each category's scores. */
  private readonly groups = [new Map<string, GroupedScores>(), new Map<string, GroupedScores>()];
  private repairs: TransformReport | null = null;
  private unlabelled = 0;
  private blank = 0;

  constructor(private readonly detector: Flagging, private readonly scorer: Scorer, private readonly file: string) {
    this.explainer = new Explainer(detector.featurizer.features.toJSON(), detectorTail(detector));
    this.tally = new DriverTally(this.explainer.names);
  }

  /** Adds rows: their features [rows × width], scores, labels and the repairs made reading them. */
  async add(matrix: Float32Array, scores: Float32Array, labels: Labels, repairs: TransformReport): Promise<void> {
    const rows = labelledRows(labels);
    if (rows !== null) {
      this.unlabelled += scores.length - rows.length;
      return this.add(pickRows(matrix, this.explainer.width, rows), Float32Array.from(rows, (i) => scores[i]), pickLabels(labels, rows), repairs);
    }
    for (let i = 0; i < scores.length; i++) this.group(labels.category[i], labels.isAnomaly[i] === 1).push(scores[i]);
    this.repairs = addRepairs(this.repairs, repairs);
    await tallyFlagged(this.tally, this.scorer, this.explainer, matrix, scores, this.detector.threshold, labels.category);
  }

  /** Counts rows of the file skipped as holding no record (see RecordOptions' `onBlankRows`). */
  blankRows(rows: number): void {
    this.blank += rows;
  }

  result(): EvalResult {
    const groups = this.groups.flatMap((byCategory) => [...byCategory.values()].map((g) => g.done()));
    const { label: column, attack } = this.detector.featurizer.schema;
    const neither = attack ? `, or one neither normal nor an attack's (${attack.join(', ')})` : '';
    if (groups.every((g) => g.parts.every((part) => part.length === 0))) {
      const count = this.unlabelled.toLocaleString('en-US');
      throw new Error(this.unlabelled === 0 ? `${this.file}: no rows to evaluate`
        : `${this.file}: ${this.unlabelled === 1 ? 'its one row has' : `all ${count} rows have`} no label (-, empty or NA) in column ${quote(column)}${neither}, `
          + 'so there is nothing to evaluate against');
    }
    const report = evaluateGroups(groups, this.detector.threshold);
    if (this.unlabelled > 0) {
      const note = `${this.unlabelled.toLocaleString('en-US')} rows without a label (-, empty or NA)${attack ? ` or with one neither normal nor an attack's (${attack.join(', ')})` : ''} left out: they are neither normal nor attacks`;
      for (const evaluation of [report.atThreshold, report.atBestF1]) evaluation?.notes.push(note);
    }
    if (this.blank > 0) {
      for (const evaluation of [report.atThreshold, report.atBestF1]) evaluation?.notes.push(blankRowsNote(this.blank));
    }
    return {
      ...report,
      repaired: this.repairs?.repaired ?? 0,
      unseen: this.repairs?.unseen ?? 0,
      drivers: this.tally.drivers(DRIVERS),
    };
  }

  private group(category: string, anomaly: boolean): GroupedScores {
    const byCategory = this.groups[anomaly ? 1 : 0];
    let group = byCategory.get(category);
    if (group === undefined) byCategory.set(category, (group = new GroupedScores(category, anomaly)));
    return group;
  }
}

/** A group's scores in parts that double in size up to a limit, so that a row costs its 4 bytes. */
class GroupedScores {
  private readonly parts: Float32Array[] = [];
  private part = new Float32Array(16);
  private filled = 0;

  constructor(private readonly category: string, private readonly anomaly: boolean) {}

  push(score: number): void {
    if (this.filled === this.part.length) {
      this.parts.push(this.part);
      this.part = new Float32Array(Math.min(this.part.length * 2, 1 << 20));
      this.filled = 0;
    }
    this.part[this.filled++] = score;
  }

  done(): ScoreGroup {
    return { category: this.category, anomaly: this.anomaly, parts: [...this.parts, this.part.subarray(0, this.filled)] };
  }
}

/** Scores labelled records and measures the detector on them. */
export async function evaluateRecords(gpu: Gpu, detector: Flagging, records: ReadResult): Promise<EvalResult> {
  labelColumn(detector, records.file, records.table.columnNames());
  const scorer = detectorScorer(gpu, detector);
  try {
    const scored = await scoreRows(scorer, detector, records.table, records);
    const evaluator = new Evaluator(detector, scorer, records.file);
    await evaluator.add(scored.matrix, scored.scores, scored.labels!, scored.repairs);
    return evaluator.result();
  } finally {
    scorer.release();
  }
}
