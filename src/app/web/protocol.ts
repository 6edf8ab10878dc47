import type { AdapterReport } from '../../gpu/device';
import type { TrainEvent } from '../../model/trainer';
import type { SchemaSpec } from '../../pipeline';
import type { ColumnError } from '../explain';
import type { FlowPart } from '../flow';

/** Training data: the embedded synthetic traffic, or a visitor's file with its columns' roles. */
export type TrainingData =
  | { readonly kind: 'sample' }
  | { readonly kind: 'file'; readonly file: File; readonly spec: SchemaSpec };

/** Records to score: read with the model's own feature pipeline, so they need no roles. */
export type ScoringData = { readonly kind: 'sample' } | { readonly kind: 'file'; readonly file: File };

export interface TrainSettings {
  readonly epochs: number;
  readonly layers: string;
  readonly batchSize: number;
  readonly lr: number;
  readonly seed: number;
}

/** What a job reports while it runs. */
export interface JobHandlers {
  phase(text: string): void;
  progress(event: TrainEvent): void;
}

export type Request =
  | { readonly type: 'inspect'; readonly id: number; readonly file: File }
  /** `test: null` scores the training file itself. */
  | { readonly type: 'train'; readonly id: number; readonly data: TrainingData; readonly test: ScoringData | null; readonly settings: TrainSettings }
  | { readonly type: 'score'; readonly id: number; readonly model: Uint8Array; readonly modelName: string; readonly test: ScoringData }
  /** The given rows (0-based) of the last scored records, with their original fields. */
  | { readonly type: 'export'; readonly id: number; readonly rows: Uint32Array; readonly format: ExportFormat }
  | { readonly type: 'stop' };

export type ExportFormat = 'csv' | 'ndjson';

/** What the page learns from the first rows of a dropped file. */
export interface FileInfo {
  readonly format: string;
  readonly columns: readonly string[];
  /** A preset whose columns the file has, or null for a generic file. */
  readonly preset: string | null;
  /** Distinct values (at most a few dozen) of each column that has few, from the first rows. */
  readonly values: Readonly<Record<string, readonly string[]>>;
  /** For a generic file: the likely label column and its normal value. */
  readonly label: string | null;
  readonly normal: string | null;
  /** For a generic file: the likely column naming each attack's category beside the label. */
  readonly category: string | null;
}

export interface Curve {
  readonly x: Float64Array;
  readonly y: Float64Array;
}

/** One of the highest-scoring rows: which flow it is and why it scored high. */
export interface ExplainedRow {
  /** 0-based index into the scores. */
  readonly index: number;
  /** The record's own fields under `Result.flowHeadings` (time, id, `host:port → host:port`, protocol, service). */
  readonly flow: readonly string[];
  /** The columns the model reconstructs worst in this row, worst first. */
  readonly errors: readonly ColumnError[];
}

/**
 * Rows' shares of error by input column, row-major [rows × columns]: column s of row r carries
 * `shares[r·columns + s]` of the row's error, under the feature `names[keys[r·columns + s]]`
 * (see Explainer.contributions).
 */
export interface Contributions {
  readonly columns: number;
  readonly names: readonly string[];
  readonly shares: Float32Array;
  readonly keys: Int32Array;
}

export interface ModelSummary {
  readonly layers: string;
  readonly parameters: number;
  readonly features: number;
  readonly threshold: number;
  readonly thresholdRule: string;
  readonly trainedOn: string | null;
  readonly trainRows: number | null;
  readonly validationRows: number | null;
  /** Columns of a generic file left out as identifiers, with why. */
  readonly leftOut: readonly string[];
  readonly epochs: number | null;
  readonly bestEpoch: number | null;
  readonly stopped: string | null;
  readonly seconds: number | null;
  readonly samplesPerSecond: number | null;
}

/** The labels of scored rows, as the page measures them. */
export interface PageLabels {
  readonly isAnomaly: Uint8Array;
  readonly category: readonly string[];
  readonly unlabelled: Uint8Array | null;
}

export interface Result {
  readonly model: Uint8Array;
  readonly modelName: string;
  readonly summary: ModelSummary;
  /** The scored records' name. */
  readonly data: string;
  /** True when the scored records are the ones the model was trained on. */
  readonly scoredTrainingData: boolean;
  readonly scores: Float32Array;
  /** Per row: an attack or not, its category, and (1) whether it has no label (see Labels' `unlabelled`), left out of the measures. */
  readonly labels: PageLabels | null;
  /** The label column's name and its values as the file has them, for the scores CSV. */
  readonly labelText: { readonly name: string; readonly values: readonly string[] } | null;
  readonly rocAuc: number | null;
  readonly prAuc: number | null;
  readonly bestF1Threshold: number | null;
  /** Thinned curves: ROC as (FPR, TPR), PR as (recall, precision). */
  readonly roc: Curve | null;
  readonly pr: Curve | null;
  /** The flow parts each explained row carries, and the columns behind them (empty when the file has none). */
  readonly flowHeadings: readonly { readonly part: FlowPart; readonly name: string }[];
  /** The highest-scoring rows, highest first: all of them, or the first 20,000. */
  readonly explained: readonly ExplainedRow[];
  /** Every explained row's shares of error by feature, in the order of `explained`: what the drivers per category add up. */
  readonly contributions: Contributions;
  readonly repaired: number;
  readonly unseen: number;
}

export type Reply =
  | { readonly type: 'ready'; readonly adapter: AdapterReport }
  | { readonly type: 'unavailable'; readonly reason: string }
  | { readonly type: 'inspected'; readonly id: number; readonly info: FileInfo }
  | { readonly type: 'phase'; readonly id: number; readonly text: string }
  | { readonly type: 'progress'; readonly id: number; readonly event: TrainEvent }
  | { readonly type: 'result'; readonly id: number; readonly result: Result }
  | { readonly type: 'exported'; readonly id: number; readonly text: string }
  | { readonly type: 'failed'; readonly id: number; readonly message: string };
