import { basename } from 'node:path';
import { readFile } from 'node:fs/promises';
import { decodeModel, rowScoreOf } from '../../model/model';
import { formatSpec, parameterCount } from '../../model/spec';
import type { TransformReport } from '../../pipeline';
import { describeRowScore, detectorOf, thresholdOnTrainingRows } from '../detector';
import { printableLines } from '../format';
import { repairLines } from '../repairs';
import { standardOutput } from './output';
import { checkInputs } from './paths';
import { describeThreshold } from './threshold';

/** `netae inspect MODEL`: what the model file holds, without a GPU. */
export async function inspectCommand(path: string, flags: { json?: boolean }): Promise<void> {
  const inputs = [{ flag: 'MODEL', path }];
  checkInputs(inputs);
  const stdout = standardOutput(inputs);
  const model = decodeModel(new Uint8Array(await readFile(path)), { source: path });
  const detector = detectorOf(model, path);
  const featurizer = detector.featurizer;
  const features = featurizer.features;
  const training = model.meta.training ?? {};
  const source = typeof training.source === 'string' ? basename(training.source) : null;
  const repairs = (training.repairs ?? {}) as TransformReport['columns'];
  const summary = {
    model: path,
    layers: formatSpec(model.spec),
    parameters: parameterCount(model.spec),
    preset: featurizer.schema.preset,
    label: featurizer.schema.label,
    normal: featurizer.schema.normal,
    attack: featurizer.schema.attack ?? null,
    attackCategory: featurizer.schema.categoryColumn,
    features: featurizer.width,
    scaling: features.scaling,
    bound: features.bound,
    numeric: features.numeric.map((f) => f.column),
    log1p: features.log1p,
    categorical: features.categories,
    dropped: features.dropped,
    score: rowScoreOf(model),
    threshold: model.meta.threshold ?? null,
    heldOutRows: model.meta.heldOut?.rows ?? null,
    thresholdOnTrainingRows: thresholdOnTrainingRows(model),
    training: { ...training, source },
    repairs,
  };
  if (flags.json) {
    await stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  const count = (n: unknown) => (typeof n === 'number' ? n.toLocaleString('en-US') : '—');
  const repairText = repairLines(repairs, featurizer);
  await stdout.write(printableLines([
    `model      ${path}: ${summary.layers}, ${count(summary.parameters)} parameters`,
    `columns    ${summary.preset ? `preset ${summary.preset}` : 'generic'}; label ${summary.label ?? '—'}${summary.normal.length ? ` (normal: ${summary.normal.join(', ')}${summary.attack ? `; attacks: ${summary.attack.join(', ')}` : ''})` : ''}${summary.attackCategory ? `; attack category ${summary.attackCategory}` : ''}`,
    `features   ${summary.features}: ${summary.numeric.length} numeric (${summary.scaling} scaling, bound ±${summary.bound}; signed log1p on ${summary.log1p.length ? summary.log1p.join(', ') : 'none'})`,
    `           ${summary.categorical.length ? summary.categorical.map((c) => `${c.column} ${c.kept}${c.distinct === undefined ? '' : ` of ${count(c.distinct)}`} categories`).join(', ') : 'no categorical column'}`,
    ...(summary.dropped.length ? [`dropped    ${summary.dropped.map((d) => `${d.column} (${d.reason})`).join(', ')}`] : []),
    `score      ${describeRowScore(summary.score)}`,
    `threshold  ${summary.threshold ? describeThreshold(summary.threshold, summary.thresholdOnTrainingRows) : '—'}`,
    `training   ${source ?? '—'}: ${count(training.rows)} normal rows (${count(training.trainRows)} trained on, ${training.validationRows === 0 ? 'none' : count(training.validationRows)} held out), `
      + `${count(training.epochs)} epochs, best ${count(training.bestEpoch)}, batch ${count(training.batchSize)}, lr ${training.lr ?? '—'}, seed ${training.seed ?? '—'}`,
    ...(training.repairs === undefined ? ['repairs    not recorded (an older netae wrote this model)']
      : repairText.length ? ['repairs    in the training rows:', ...repairText.map((l) => `             ${l}`)] : ['repairs    none in the training rows']),
  ]));
}
