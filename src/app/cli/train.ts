import { encodeModel } from '../../model/model';
import { formatSpec, parameterCount } from '../../model/spec';
import type { Scaling } from '../../pipeline';
import { presetColumns } from '../../pipeline/schema';
import { readDatasetFile } from '../../pipeline/io-node';
import { fitDetector, type Fitted } from '../detector';
import { withGpu } from './gpu';
import { schemaSpec, thresholdRule, type DataFlags } from './options';
import { Interrupted } from './errors';
import { writeFileAtomic } from './output';
import { reporter } from './progress';

export interface TrainFlags extends DataFlags {
  data: string;
  out: string;
  layers?: string;
  epochs?: number;
  batch?: number;
  lr?: number;
  weightDecay?: number;
  seed?: number;
  validation?: number;
  patience?: number;
  scaling?: Scaling;
  thresholdMode: string;
  percentile?: number;
  threshold?: number;
  json?: boolean;
}

/** What a run of `netae train` did, for the terminal or as JSON. */
export function trainSummary(fitted: Fitted, out: string | null) {
  const t = fitted.training;
  return {
    model: out,
    layers: formatSpec(fitted.model.spec),
    parameters: parameterCount(fitted.model.spec),
    features: fitted.pipeline.width,
    trainRows: t.trainRows,
    validationRows: t.validationRows,
    epochs: t.history.length,
    bestEpoch: t.bestEpoch,
    stopped: t.stopped,
    trainLoss: t.history.at(-1)?.trainLoss ?? null,
    valLoss: t.history[t.bestEpoch - 1]?.valLoss ?? null,
    threshold: fitted.model.meta.threshold,
    samplesPerSecond: Math.round(t.samplesPerSecond),
    seconds: Number(t.seconds.toFixed(2)),
    repaired: fitted.repairs.repaired,
    unseen: fitted.repairs.unseen,
    dropped: fitted.pipeline.features.dropped,
  };
}

export async function trainCommand(flags: TrainFlags, signal: AbortSignal): Promise<void> {
  const spec = await schemaSpec(flags);
  const rule = thresholdRule(flags.thresholdMode, flags.percentile, flags.threshold);
  const dataset = await readDatasetFile(flags.data, spec, presetColumns(spec));
  const progress = reporter(flags.json === true);
  const fitted = await withGpu((gpu) => fitDetector(gpu, dataset, {
    layers: flags.layers,
    epochs: flags.epochs,
    batchSize: flags.batch,
    lr: flags.lr,
    weightDecay: flags.weightDecay,
    seed: flags.seed,
    validation: flags.validation,
    patience: flags.patience,
    scaling: flags.scaling,
    threshold: rule,
    onProgress: (e) => progress.training(e),
    signal,
  }));
  progress.stop();
  if (fitted.training.stopped === 'aborted') throw new Interrupted();
  writeFileAtomic(flags.out, encodeModel(fitted.model));
  const summary = trainSummary(fitted, flags.out);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  const threshold = summary.threshold;
  process.stdout.write([
    `model      ${flags.out} (${summary.layers}, ${summary.parameters.toLocaleString('en-US')} parameters, ${summary.features} features)`,
    `trained    ${summary.trainRows.toLocaleString('en-US')} normal rows, ${summary.epochs} epochs (best ${summary.bestEpoch}, ${summary.stopped}), ${summary.seconds} s, ${summary.samplesPerSecond.toLocaleString('en-US')} samples/s`,
    `loss       train ${summary.trainLoss?.toExponential(3)}, validation ${summary.valLoss?.toExponential(3) ?? '—'} (${summary.validationRows.toLocaleString('en-US')} held-out rows)`,
    `threshold  ${threshold?.value.toPrecision(6)} (${threshold?.mode}${threshold?.percentile === undefined ? '' : ` ${threshold.percentile}`})`,
    ...(summary.repaired || summary.unseen ? [`repairs    ${summary.repaired} values repaired, ${summary.unseen} unseen categories`] : []),
    ...(summary.dropped.length ? [`dropped    ${summary.dropped.map((d) => `${d.column} (${d.reason})`).join(', ')}`] : []),
  ].join('\n') + '\n');
}
