import type { Gpu } from '../../gpu/device';
import { decodeModel, encodeModel } from '../../model/model';
import { parseDataset, parseText, readDataset, readTable, sampleLogs, type Dataset, type ReadResult } from '../../pipeline';
import { formatCell } from '../cli/table';
import { detectorOf, fitDetector, type Detector } from '../detector';
import { analyse } from './analysis';
import type { JobHandlers, Result, ScoringData, TrainingData, TrainSettings } from './protocol';

const SAMPLE_NAMES = { train: 'sample train.conn.log', test: 'sample test.conn.log' } as const;
const MODEL_NAME = 'netae-model.safetensors';

export interface JobContext extends JobHandlers {
  readonly signal: AbortSignal;
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

/** Records read the way the detector's feature pipeline expects them. */
function readScoring(data: ScoringData, detector: Detector): Promise<ReadResult> | ReadResult {
  if (data.kind === 'sample') return parseText(sample().test, detector.pipeline.readOptions(SAMPLE_NAMES.test));
  return readTable(data.file, detector.pipeline.readOptions(data.file.name));
}

/** Trains on the normal rows of the training data, then scores the test data (or the training data itself). */
export async function trainJob(gpu: Gpu, data: TrainingData, test: ScoringData | null, settings: TrainSettings, job: JobContext): Promise<Result> {
  job.phase('reading the training data');
  const dataset = await readTraining(data);
  const normal = dataset.labels?.normalCount ?? dataset.table.numRows();
  job.phase(`training on ${formatCell(normal)} normal rows of ${dataset.file}`);
  const fitted = await fitDetector(gpu, dataset, { ...settings, signal: job.signal, onProgress: (e) => job.progress(e) });
  if (fitted.training.history.length === 0) throw new Error('stopped before the first epoch ended; there is no model to show');
  const records = test === null ? dataset : await readScoring(test, fitted);
  job.phase(`scoring ${formatCell(records.table.numRows())} rows of ${records.file}`);
  return analyse(gpu, fitted, records, { bytes: encodeModel(fitted.model), name: MODEL_NAME }, test === null);
}

/** Scores the test data with a model file written by netae (the CLI or this page). */
export async function scoreJob(gpu: Gpu, bytes: Uint8Array, name: string, test: ScoringData, job: JobContext): Promise<Result> {
  const detector = detectorOf(decodeModel(bytes, { source: name }), name);
  job.phase(`reading ${test.kind === 'sample' ? SAMPLE_NAMES.test : test.file.name}`);
  const records = await readScoring(test, detector);
  job.phase(`scoring ${formatCell(records.table.numRows())} rows of ${records.file}`);
  return analyse(gpu, detector, records, { bytes, name }, false);
}
