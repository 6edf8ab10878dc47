import { join } from 'node:path';
import { encodeModel } from '../../model/model';
import { parseDataset, type Dataset } from '../../pipeline';
import { sampleLogs } from '../../synthetic/sample';
import { defaultThreads } from '../../pipeline/decode-pool-node';
import { readDatasetFile } from '../../pipeline/io-node';
import { presetColumns } from '../../pipeline/schema';
import { evaluateRecords, fitDetector } from '../detector';
import { formatReport } from './evaluate';
import { withGpu } from './gpu';
import { openOutput, standardOutput } from './output';
import { checkInputs } from './paths';
import { notice, reporter } from './progress';
import { Interrupted, UsageError } from './errors';
import { trainSummary } from './train';
import { describeThreshold } from './threshold';

export interface QuickstartFlags {
  data?: string;
  preset?: string;
  out?: string;
  epochs?: number;
  seed?: number;
  json?: boolean;
}

/** The training and test files of the data sets quickstart knows, inside `--data DIR`. */
const SPLITS: Record<string, { train: string; test: string }> = {
  'nsl-kdd': { train: 'KDDTrain+.txt', test: 'KDDTest+.txt' },
  'unsw-nb15': { train: 'UNSW_NB15_training-set.csv', test: 'UNSW_NB15_testing-set.csv' },
};

async function datasets(flags: QuickstartFlags): Promise<{ name: string; train: Dataset; test: Dataset }> {
  if (flags.data === undefined) {
    if (flags.preset !== undefined) throw new UsageError('--preset goes with --data DIR');
    const logs = sampleLogs();
    return {
      name: 'the bundled synthetic traffic (data/sample)',
      train: parseDataset(logs.train, { preset: 'zeek-conn' }, 'sample train.conn.log'),
      test: parseDataset(logs.test, { preset: 'zeek-conn' }, 'sample test.conn.log'),
    };
  }
  const preset = flags.preset ?? 'nsl-kdd';
  const split = SPLITS[preset];
  if (!split) throw new UsageError(`quickstart --data knows ${Object.keys(SPLITS).join(', ')}; got --preset ${preset}`);
  return {
    name: `${preset} in ${flags.data}`,
    train: await readDatasetFile(join(flags.data, split.train), { preset }, { select: presetColumns({ preset }), threads: defaultThreads() }),
    test: await readDatasetFile(join(flags.data, split.test), { preset }, { select: presetColumns({ preset }), threads: defaultThreads() }),
  };
}

/** Trains on normal training traffic and evaluates on the test traffic, in one command. */
export async function quickstartCommand(flags: QuickstartFlags, signal: AbortSignal): Promise<void> {
  if (flags.out === '-') throw new UsageError('--out -: a model is a binary file; name the .safetensors file to write');
  const split = flags.data === undefined ? undefined : SPLITS[flags.preset ?? 'nsl-kdd'];
  const inputs = flags.data === undefined || split === undefined ? [] : [
    { flag: '--data', path: join(flags.data, split.train) },
    { flag: '--data', path: join(flags.data, split.test) },
  ];
  checkInputs(inputs);
  const model = flags.out === undefined ? null : openOutput(flags.out, '--out', inputs);
  const stdout = standardOutput(inputs);
  const data = await datasets(flags);
  const progress = reporter(flags.json === true);
  progress.note(`training on the normal rows of ${data.name}`);
  const { fitted, result } = await withGpu(async (gpu) => {
    const fitted = await fitDetector(gpu, data.train, {
      epochs: flags.epochs,
      seed: flags.seed,
      signal,
      onProgress: (e) => progress.training(e),
      onNote: (note) => {
        progress.stop();
        notice('note', note);
      },
    });
    progress.stop();
    if (fitted.training.stopped === 'aborted') throw new Interrupted();
    return { fitted, result: await evaluateRecords(gpu, fitted, data.test) };
  });
  for (const warning of fitted.warnings) notice('warning', warning);
  await model?.write(encodeModel(fitted.model));
  const s = trainSummary(fitted, flags.out ?? null);
  await stdout.write(flags.json
    ? `${JSON.stringify({ data: data.name, training: s, evaluation: result }, null, 2)}\n`
    : [
      '',
      `trained ${s.layers} on ${s.trainRows.toLocaleString('en-US')} normal rows in ${s.seconds} s (${s.samplesPerSecond.toLocaleString('en-US')} samples/s)`,
      `threshold ${s.threshold ? describeThreshold(s.threshold, s.thresholdOnTrainingRows) : '—'}`,
      `evaluated on ${data.test.file}:`,
      formatReport(result),
      flags.out ? `\nmodel written to ${flags.out}` : '\nadd --out model.safetensors to keep the model',
    ].join('\n') + '\n');
  await model?.commit();
}
