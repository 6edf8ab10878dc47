import { encodeModel } from '../../model/model';
import { formatSpec, parameterCount } from '../../model/spec';
import type { Scaling } from '../../pipeline';
import { readDatasetFile } from '../../pipeline/io-node';
import { checkThresholdRule, DEFAULT_THRESHOLD, fitDetector, type Fitted } from '../detector';
import { repairLines, repairTotals } from '../repairs';
import { withGpu } from './gpu';
import { schemaSpec, type DataFlags } from './options';
import { Interrupted } from './errors';
import { writeFileAtomic } from './output';
import { reporter } from './progress';
import { describeThreshold, thresholdRule, type ThresholdFlags } from './threshold';

export interface TrainFlags extends DataFlags, ThresholdFlags {
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
  bound?: number;
  json?: boolean;
}

/** What a run of `netae train` did, for the terminal or as JSON. */
export function trainSummary(fitted: Fitted, out: string | null) {
  const t = fitted.training;
  const features = fitted.pipeline.features;
  return {
    model: out,
    layers: formatSpec(fitted.model.spec),
    parameters: parameterCount(fitted.model.spec),
    features: fitted.pipeline.width,
    scaling: features.scaling,
    bound: features.bound,
    log1p: features.log1p,
    trainRows: t.trainRows,
    validationRows: t.validationRows,
    epochs: t.history.length,
    steps: t.steps,
    bestEpoch: t.bestEpoch,
    stopped: t.stopped,
    trainLoss: t.history.at(-1)?.trainLoss ?? null,
    valLoss: t.history[t.bestEpoch - 1]?.valLoss ?? null,
    threshold: fitted.model.meta.threshold,
    samplesPerSecond: Math.round(t.samplesPerSecond),
    seconds: Number(t.seconds.toFixed(2)),
    repaired: fitted.repairs.repaired,
    clipped: fitted.repairs.clipped,
    unseen: fitted.repairs.unseen,
    repairs: fitted.repairs.columns,
    dropped: features.dropped,
    warnings: fitted.warnings,
  };
}

/** The summary's repair lines, indented under a `repairs` heading; none when nothing was repaired. */
export function repairSection(fitted: Fitted): string[] {
  const lines = repairLines(fitted.repairs.columns, fitted.pipeline);
  return lines.length ? [`repairs    ${repairTotals(fitted.repairs)}:`, ...lines.map((l) => `             ${l}`)] : [];
}

export async function trainCommand(flags: TrainFlags, signal: AbortSignal): Promise<void> {
  const spec = await schemaSpec(flags);
  const rule = thresholdRule(flags) ?? DEFAULT_THRESHOLD;
  const dataset = await readDatasetFile(flags.data, spec);
  checkThresholdRule(rule, dataset);
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
    bound: flags.bound,
    threshold: rule,
    onProgress: (e) => progress.training(e),
    signal,
  }));
  progress.stop();
  if (fitted.training.stopped === 'aborted') throw new Interrupted();
  writeFileAtomic(flags.out, encodeModel(fitted.model));
  for (const warning of fitted.warnings) process.stderr.write(`netae: warning: ${warning}\n`);
  const summary = trainSummary(fitted, flags.out);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  const count = (n: number) => n.toLocaleString('en-US');
  process.stdout.write([
    `model      ${flags.out} (${summary.layers}, ${count(summary.parameters)} parameters, ${summary.features} features)`,
    `features   ${summary.scaling} scaling, bound ±${summary.bound}; signed log1p on ${summary.log1p.length ? summary.log1p.join(', ') : 'no column'}`,
    `trained    ${count(summary.trainRows)} normal rows, ${summary.epochs} epochs, ${count(summary.steps)} steps (best epoch ${summary.bestEpoch}, ${summary.stopped}), ${summary.seconds} s, ${count(summary.samplesPerSecond)} samples/s`,
    `loss       train ${summary.trainLoss?.toExponential(3)}, validation ${summary.valLoss?.toExponential(3) ?? '—'} (${count(summary.validationRows)} held-out rows)`,
    `threshold  ${summary.threshold ? describeThreshold(summary.threshold) : '—'}`,
    ...repairSection(fitted),
    ...(summary.dropped.length ? [`dropped    ${summary.dropped.map((d) => `${d.column} (${d.reason})`).join(', ')}`] : []),
  ].join('\n') + '\n');
}
