import type { Gpu } from '../../gpu/device';
import { decodeModel, encodeModel } from '../../model/model';
import { validationRows } from '../../model/trainer';
import {
  firstRows, parseDataset, parseText, readDataset, readTable, recognisePreset, type Dataset, type ReadResult,
} from '../../pipeline';
import { sampleLogs } from '../../synthetic/sample';
import { formatCell } from '../format';
import { detectorOf, fitDetector, heldOutShare, type Detector } from '../detector';
import { readOptionsFor, type Schema } from '../../pipeline/schema';
import { fitProblem } from '../model-fit';
import { analyse } from './analysis';
import type { JobHandlers, Result, ScoringData, TrainingData, TrainSettings } from './protocol';

const SAMPLE_NAMES = { train: 'sample train.conn.log', test: 'sample test.conn.log' } as const;
const MODEL_NAME = 'netae-model.safetensors';

export interface JobContext extends JobHandlers {
  readonly signal: AbortSignal;
}

/** What a job shows, and the records it scored (kept in the worker for exports). */
export interface Scored {
  readonly result: Result;
  readonly records: ReadResult;
}

let logs: { train: string; test: string } | null = null;

function sample(): { train: string; test: string } {
  logs ??= sampleLogs();
  return logs;
}

function readTraining(data: TrainingData): Promise<Dataset> | Dataset {
  if (data.kind === 'sample') return parseDataset(sample().train, { preset: 'zeek-conn' }, SAMPLE_NAMES.train);
  return readDataset(data.file, data.spec, data.file.name);
}

/** Records read the way the detector's featurizer expects them. */
function readScoring(data: ScoringData, detector: Detector): Promise<ReadResult> | ReadResult {
  if (data.kind === 'sample') return parseText(sample().test, detector.featurizer.readOptions(SAMPLE_NAMES.test));
  return readTable(data.file, detector.featurizer.readOptions(data.file.name));
}

/** Trains on the normal rows of the training data, then scores the test data (or the training data itself). */
export async function trainJob(gpu: Gpu, data: TrainingData, test: ScoringData | null, settings: TrainSettings, job: JobContext): Promise<Scored> {
  job.phase('reading the training data');
  const dataset = await readTraining(data);
  const normal = dataset.labels?.normalCount ?? dataset.table.numRows();
  const heldOut = validationRows(normal, heldOutShare(normal));
  const rows = dataset.labels === null ? 'rows, all taken as normal (no label column),' : 'normal rows';
  job.phase(`training on ${formatCell(normal - heldOut)} ${rows} of ${dataset.file} (${formatCell(heldOut)} more held out for validation)`);
  if (test !== null) await checkFit('the model', dataset.schema, [...dataset.schema.features.numeric, ...dataset.schema.features.categorical], test);
  const fitted = await fitDetector(gpu, dataset, { ...settings, signal: job.signal, onProgress: (e) => job.progress(e), onNote: (note) => job.phase(note) });
  if (fitted.training.history.length === 0) throw new Error('stopped before the first epoch ended; there is no model to show');
  const records = test === null ? dataset : await readScoring(test, fitted);
  job.phase(`scoring ${formatCell(records.table.numRows())} rows of ${records.file}`);
  return { result: await analyse(gpu, fitted, records, { bytes: encodeModel(fitted.model), name: MODEL_NAME }, test === null), records };
}

/**
 * Throws one line saying why, when a file lacks `needed` columns of a model with this schema; a
 * file that cannot be read at all gets the reader's own error (empty, not text, truncated…).
 */
async function checkFit(modelName: string, schema: Schema, needed: string[], test: ScoringData): Promise<void> {
  if (test.kind === 'sample') return;
  const { file } = test;
  const own = (await firstRows(file, file.name, 16)).table.columnNames();
  let columns: string[] | null;
  try {
    columns = (await firstRows(file, file.name, 16, { ...readOptionsFor(schema, file.name), types: undefined })).table.columnNames();
  } catch {
    columns = null;
  }
  const problem = fitProblem({ modelName, modelPreset: schema.preset, needed, fileName: file.name, columns, filePreset: recognisePreset(own) });
  if (problem !== null) throw new Error(problem);
}

/** Scores the test data with a model file written by netae (the CLI or this page). */
export async function scoreJob(gpu: Gpu, bytes: Uint8Array, name: string, test: ScoringData, job: JobContext): Promise<Scored> {
  const detector = detectorOf(decodeModel(bytes, { source: name }), name);
  job.phase(`reading ${test.kind === 'sample' ? SAMPLE_NAMES.test : test.file.name}`);
  await checkFit(name, detector.featurizer.schema, detector.featurizer.features.columns, test);
  const records = await readScoring(test, detector);
  job.phase(`scoring ${formatCell(records.table.numRows())} rows of ${records.file}`);
  return { result: await analyse(gpu, detector, records, { bytes, name }, false), records };
}
