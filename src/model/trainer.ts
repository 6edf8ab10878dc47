import type { Gpu } from '../gpu/device';
import { encodeLaunch, releaseLaunches, type Launch } from '../gpu/launch';
import { ADAM_DEFAULTS } from '../gpu/adam';
import { sum } from '../gpu/reduce';
import { settle } from '../gpu/settle';
import { BYTES, createBuffer, createTensor, maxBindingBytes, readBytes, readTensor, viewTensor, type Tensor } from '../gpu/tensor';
import type { FusedTiles } from '../gpu/tuning';
import { deviceBlocks, gatherRows, hostBlocks, rowCount, slotsOf, uploadRows, type DeviceRows, type RowBlocks } from './device-rows';
import { initParams } from './init';
import { createLayerTensors, destroyTensors } from './network';
import { permutation, seededRandom } from './random';
import { checkFinite, type Matrix32 } from './matrix';
import { chunkRows } from './scoring-plan';
import { checkSpec, layersOf, parameterCount, type Layer, type LayerSpec } from './spec';
import { planTraining, type TrainingPlan } from './training-plan';

export interface TrainOptions {
  readonly spec: LayerSpec;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly lr?: number;
  readonly weightDecay?: number;
  readonly seed?: number;
  /** Fraction of the rows held out to measure validation loss (0: none). */
  readonly validation?: number;
  /** Epochs without a better validation loss before training stops (0: never stop early). */
  readonly patience?: number;
  /** Parameters to start from instead of the seeded initialisation. */
  readonly initial?: Float32Array;
  readonly onProgress?: (event: TrainEvent) => void;
  /** Aborting stops training after the steps in flight; the best parameters so far are kept. */
  readonly signal?: AbortSignal;
  /**
   * The fused kernels' tiles (default: tuned for the adapter, src/gpu/tuning.ts), or false
   * for the per-layer path. Networks that do not fit the device's workgroup memory take the
   * per-layer path either way.
   */
  readonly fused?: FusedTiles | false;
}

export interface StepEvent {
  readonly type: 'step';
  readonly epoch: number;
  readonly step: number;
  readonly steps: number;
  readonly samplesPerSecond: number;
}

export interface EpochEvent {
  readonly type: 'epoch';
  readonly epoch: number;
  readonly epochs: number;
  readonly trainLoss: number;
  readonly valLoss: number | null;
  readonly stepLosses: Float32Array;
  readonly seconds: number;
  readonly samplesPerSecond: number;
  readonly best: boolean;
}

export type TrainEvent = StepEvent | EpochEvent;

export interface EpochSummary {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly valLoss: number | null;
  readonly seconds: number;
  readonly samplesPerSecond: number;
}

export interface TrainResult {
  readonly params: Float32Array;
  readonly history: readonly EpochSummary[];
  /** The epoch whose parameters were kept (the best validation loss, or the last). */
  readonly bestEpoch: number;
  readonly stopped: 'completed' | 'early-stopping' | 'aborted';
  readonly trainRows: number;
  readonly validationRows: number;
  /** Indices of the rows held out for validation, into the training data. */
  readonly heldOut: Uint32Array;
  /**
   * The held-out rows, as `heldOut` orders them; every row, in order, when none were held out
   * (read from the rows given, which must then stay on the GPU until read).
   */
  readonly heldOutRows: RowBlocks;
  readonly steps: number;
  readonly seconds: number;
  readonly samplesPerSecond: number;
  readonly msPerStep: number;
  /** `fused`: two dispatches a step (src/shaders/fused.wgsl); `per-layer`: a few per layer. */
  readonly path: TrainingPlan['path'];
  readonly dispatchesPerStep: number;
}

export const TRAIN_DEFAULTS = {
  epochs: 20, batchSize: 256, lr: 1e-3, weightDecay: 0, seed: 1, validation: 0.1, patience: 5,
} as const;

/** Fewer rows than this, and none is held out for validation. */
export const MIN_ROWS_HELD_OUT = 10;

/** Rows held out for validation: a `fraction` of them (at least one), none when there are fewer than MIN_ROWS_HELD_OUT. */
export function validationRows(rows: number, fraction: number = TRAIN_DEFAULTS.validation): number {
  return rows >= MIN_ROWS_HELD_OUT && fraction > 0 ? Math.max(1, Math.round(rows * fraction)) : 0;
}

/** The options that are set: an option given as `undefined` keeps its default. */
function definedOnly<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Refuses, before anything is allocated, a run whose buffers this device cannot hold, naming
 * what is too large: the model's parameters, one batch through the widest layer, the rows.
 */
function checkFits(gpu: Gpu, spec: LayerSpec, run: { rows: number; batch: number }): void {
  const binding = maxBindingBytes(gpu);
  const widest = Math.max(...spec.widths);
  const cols = spec.widths[0];
  const parameters = parameterCount(spec);
  const checks: [string, number, number, string][] = [
    [`the model ${spec.widths.join('-')} (${count(parameters)} parameters)`, parameters * BYTES, binding, 'use narrower layers'],
    [`a batch of ${count(run.batch)} rows through a layer ${count(widest)} wide`, run.batch * widest * BYTES, binding, 'use a smaller batch'],
    [`${count(run.rows)} training rows of ${count(cols)} features`, run.rows * cols * BYTES, binding, `train on at most ${count(Math.floor(binding / (cols * BYTES)))} rows`],
  ];
  for (const [what, bytes, most, advice] of checks) {
    if (bytes > most) throw new Error(`${what} needs ${count(bytes)} bytes, more than the ${count(most)} this device allows in one buffer; ${advice}`);
  }
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** Rows to train on: a matrix on the host, or rows already on the GPU. */
export type TrainingData = Matrix32 | DeviceRows;

function isMatrix(data: TrainingData): data is Matrix32 {
  return 'values' in data;
}

/** The options with their defaults, checked against the data. */
type Settings = TrainOptions & { readonly [K in keyof typeof TRAIN_DEFAULTS]: number };

function settingsOf(data: TrainingData, options: TrainOptions): Settings {
  const o = { ...TRAIN_DEFAULTS, ...definedOnly(options) };
  checkSpec(o.spec);
  const cols = isMatrix(data) ? data.cols : data.tensor.cols;
  if (o.spec.widths[0] !== cols) {
    throw new Error(`the layer spec takes ${o.spec.widths[0]} features but the data has ${cols}`);
  }
  if (isMatrix(data) && (data.rows < 1 || data.values.length !== data.rows * data.cols)) {
    throw new Error(`training data: ${data.rows} rows × ${data.cols} columns given ${data.values.length} values`);
  }
  if (!isMatrix(data) && rowCount(data) < 1) throw new Error('training data: no rows');
  for (const [name, value] of [['epochs', o.epochs], ['batch size', o.batchSize]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number ≥ 1, got ${value}`);
  }
  if (!(o.validation >= 0 && o.validation < 1)) throw new Error(`validation must be a fraction in [0, 1), got ${o.validation}`);
  if (isMatrix(data)) checkFinite(data);
  return o;
}

/**
 * How the rows are split and batched: a seeded shuffle whose first `validation` rows are held
 * out, the rest trained on in `steps` batches of `batch` rows (the last of `lastRows`). The
 * generator goes on to shuffle each epoch.
 */
interface Split {
  readonly random: () => number;
  readonly order: Uint32Array;
  readonly validation: number;
  readonly train: number;
  readonly batch: number;
  readonly steps: number;
  readonly lastRows: number;
}

function splitRows(rows: number, o: Settings): Split {
  const random = seededRandom(o.seed);
  const order = permutation(rows, random);
  const validation = validationRows(rows, o.validation);
  const train = rows - validation;
  const batch = Math.min(o.batchSize, train);
  const steps = Math.ceil(train / batch);
  return { random, order, validation, train, batch, steps, lastRows: train - (steps - 1) * batch };
}

/** A run's GPU side: the rows' slots, the parameters and their best copy, the losses, the held-out rows, and the planned launches. */
interface Run {
  readonly layers: readonly Layer[];
  /** Parameters. */
  readonly P: number;
  /** The losses' stride in floats: one step's loss at `s · align`, validation's after the last step. */
  readonly align: number;
  readonly statsLength: number;
  /** The slot on the GPU of each row trained on (the split's order after the held-out rows). */
  readonly trainSlots: Uint32Array;
  readonly epochOrder: GPUBuffer;
  readonly params: ReturnType<typeof createLayerTensors>;
  readonly best: GPUBuffer;
  readonly stats: GPUBuffer;
  readonly plan: TrainingPlan;
  readonly validation: readonly Launch[] | null;
  /** The held-out rows, gathered from the rows on the GPU. */
  readonly heldOut: Tensor | null;
  release(): void;
}

/** Uploads the parameters, gathers the held-out rows, and plans every step's launches and the validation pass. */
async function prepareRun(gpu: Gpu, rows: DeviceRows, o: Settings, split: Split): Promise<Run> {
  const { spec } = o;
  const trainRows = rows.tensor;
  const layers = layersOf(spec);
  const align = gpu.limits.minStorageBufferOffsetAlignment / BYTES;
  const P = parameterCount(spec);
  const hyper = { ...ADAM_DEFAULTS, lr: o.lr, weightDecay: o.weightDecay };
  const initial = o.initial ?? initParams(spec, o.seed);
  const { order, steps, batch } = split;

  const trainSlots = slotsOf(rows, order.subarray(split.validation));
  const epochOrder = createBuffer(gpu, split.train * BYTES, 'epoch order');
  const params = createLayerTensors(gpu, spec, 'params', '', initial);
  const best = createBuffer(gpu, P * BYTES, 'best params');
  const statsLength = (steps + 1) * align;
  const stats = createBuffer(gpu, statsLength * BYTES, 'losses');
  const owned: Tensor[] = [params.all];
  const launches: Launch[] = [];
  let plan: TrainingPlan | null = null;
  const release = () => {
    plan?.release();
    releaseLaunches(launches);
    destroyTensors(owned);
    for (const b of [epochOrder, best, stats]) b.destroy();
  };
  try {
    plan = await planTraining(gpu, {
      spec, layers, trainRows, rows: split.train, order: epochOrder, params, initial, stats, batch, steps, lastRows: split.lastRows, align, hyper,
    }, o.fused);
    const heldOut = split.validation ? gatherRows(gpu, trainRows, slotsOf(rows, order.subarray(0, split.validation)), 'validation rows') : null;
    if (heldOut) owned.push(heldOut);
    const validation = heldOut
      ? await planValidation(gpu, plan, layers, heldOut, { buffer: stats, offset: steps * align, rows: 1, cols: 1, label: 'validation loss' })
      : null;
    if (validation) {
      launches.push(...validation.launches);
      owned.push(...validation.tensors);
    }
    return {
      layers, P, align, statsLength, trainSlots, epochOrder, params, best, stats, plan, validation: validation?.launches ?? null, heldOut, release,
    };
  } catch (error) {
    release();
    throw error;
  }
}

/** What the epochs came to: each epoch's losses, the epoch kept, why training stopped, the steps run. */
interface Epochs {
  readonly history: EpochSummary[];
  readonly bestEpoch: number;
  readonly stopped: TrainResult['stopped'];
  readonly steps: number;
}

/**
 * One epoch: a new row order, its steps submitted a few at a time, two submits queued at once so
 * that the GPU never waits for the host; progress as each submit finishes; then validation and
 * the losses read back. Null when aborted before its last step.
 */
async function runEpoch(gpu: Gpu, run: Run, o: Settings, split: Split, epoch: number, pace: { msPerStep: number; steps: number }): Promise<Float32Array | null> {
  const { plan } = run;
  const { steps } = split;
  const epochStart = performance.now();
  const order = permutation(split.train, split.random);
  for (let i = 0; i < order.length; i++) order[i] = run.trainSlots[order[i]];
  gpu.device.queue.writeBuffer(run.epochOrder, 0, order);
  let queued: { done: Promise<undefined>; end: number; steps: number } | null = null;
  let lastDone = epochStart;
  for (let s0 = 0, s1 = 0; s0 < steps; s0 = s1) {
    if (o.signal?.aborted) return null;
    s1 = Math.min(steps, s0 + stepsPerSubmit(pace.msPerStep));
    const encoder = gpu.device.createCommandEncoder({ label: `epoch ${epoch}, steps ${s0 + 1}-${s1}` });
    const pass = encoder.beginComputePass({ label: `epoch ${epoch}` });
    if (s0 === 0) plan.encodeEpoch(pass);
    for (let s = s0; s < s1; s++) plan.encodeStep(pass, s);
    if (s1 === steps) {
      if (run.validation) for (const l of run.validation) encodeLaunch(pass, l);
      plan.encodeSync(pass);
    }
    pass.end();
    gpu.submit([encoder.finish()], [`training epoch ${epoch}`]);
    pace.steps += s1 - s0;
    if (s1 === steps) return new Float32Array(await readBytes(gpu, run.stats, 0, run.statsLength * BYTES));
    const done = gpu.device.queue.onSubmittedWorkDone();
    done.catch(() => undefined);
    if (queued) {
      await settle(queued.done);
      const now = performance.now();
      pace.msPerStep = (now - lastDone) / queued.steps;
      lastDone = now;
      o.onProgress?.({
        type: 'step', epoch, step: queued.end, steps,
        samplesPerSecond: (queued.end * split.batch) / ((now - epochStart) / 1000),
      });
    }
    queued = { done, end: s1, steps: s1 - s0 };
  }
  return null;
}

/** Epochs until the last, early stopping or an abort; the parameters of the best epoch are copied aside. */
async function runEpochs(gpu: Gpu, run: Run, o: Settings, split: Split): Promise<Epochs> {
  const { steps, batch, lastRows } = split;
  const { align } = run;
  const history: EpochSummary[] = [];
  let bestEpoch = 0;
  let bestLoss = Infinity;
  let stopped: TrainResult['stopped'] = 'completed';
  const pace = { msPerStep: 0, steps: 0 };
  for (let epoch = 1; epoch <= o.epochs && stopped === 'completed'; epoch++) {
    const epochStart = performance.now();
    const stats = await runEpoch(gpu, run, o, split, epoch, pace);
    if (stats === null) {
      stopped = 'aborted';
      break;
    }
    await gpu.check();
    const stepLosses = Float32Array.from({ length: steps }, (_, s) => stats[s * align]);
    const trainLoss = stepLosses.reduce((acc, l, s) => acc + l * (s === steps - 1 ? lastRows : batch), 0) / split.train;
    const valLoss = run.validation ? stats[steps * align] / split.validation : null;
    const seconds = (performance.now() - epochStart) / 1000;
    const watched = valLoss ?? trainLoss;
    const isBest = watched < bestLoss;
    if (isBest) {
      bestLoss = watched;
      bestEpoch = epoch;
      copyBuffer(gpu, run.params.all.buffer, run.best, run.P * BYTES);
    }
    const summary = { epoch, trainLoss, valLoss, seconds, samplesPerSecond: split.train / seconds };
    history.push(summary);
    o.onProgress?.({ type: 'epoch', epochs: o.epochs, stepLosses, best: isBest, ...summary });
    if (!Number.isFinite(trainLoss)) throw new Error(`training diverged in epoch ${epoch} (loss ${trainLoss}); lower the learning rate`);
    if (o.patience > 0 && epoch - bestEpoch >= o.patience) stopped = 'early-stopping';
  }
  return { history, bestEpoch, stopped, steps: pace.steps };
}

/** The kept parameters read back: the best epoch's, synced from the plan's own copy when aborted mid-epoch. */
async function keptParams(gpu: Gpu, run: Run, epochs: Epochs): Promise<Float32Array> {
  if (epochs.stopped === 'aborted') {
    const encoder = gpu.device.createCommandEncoder({ label: 'sync params' });
    const pass = encoder.beginComputePass({ label: 'sync params' });
    run.plan.encodeSync(pass);
    pass.end();
    gpu.submit([encoder.finish()], ['sync params']);
  }
  if (epochs.bestEpoch > 0 && epochs.bestEpoch !== epochs.history.length) copyBuffer(gpu, run.best, run.params.all.buffer, run.P * BYTES);
  const params = new Float32Array(await readBytes(gpu, run.params.all.buffer, 0, run.P * BYTES));
  await gpu.check();
  return params;
}

/**
 * Trains an autoencoder on `data` with Adam and the mean squared error. The data goes to the
 * GPU once (rows already there stay where they are); each epoch the host writes a new row order,
 * and every step's launches are encoded with bind groups made once (two dispatches a step on the
 * fused path), a few submits per epoch. Losses stay on the GPU and are read once per epoch. The
 * same seed on the same adapter gives the same parameters, wherever the rows lie.
 */
export async function train(gpu: Gpu, data: TrainingData, options: TrainOptions): Promise<TrainResult> {
  const o = settingsOf(data, options);
  const n = isMatrix(data) ? data.rows : rowCount(data);
  const split = splitRows(n, o);
  checkFits(gpu, o.spec, { rows: n, batch: split.batch });
  const rows = isMatrix(data) ? uploadRows(gpu, data) : data;
  const everyRow = isMatrix(data) ? hostBlocks(data) : deviceBlocks(gpu, data, n);
  try {
    return await trainOn(gpu, rows, everyRow, o, split);
  } finally {
    if (rows !== data) rows.tensor.buffer.destroy();
  }
}

async function trainOn(gpu: Gpu, rows: DeviceRows, everyRow: RowBlocks, o: Settings, split: Split): Promise<TrainResult> {
  const run = await prepareRun(gpu, rows, o, split);
  try {
    const started = performance.now();
    const epochs = await runEpochs(gpu, run, o, split);
    const params = await keptParams(gpu, run, epochs);
    const heldOutRows = run.heldOut
      ? hostBlocks({ values: await readTensor(gpu, run.heldOut), rows: split.validation, cols: run.heldOut.cols })
      : everyRow;
    const { history } = epochs;
    const trainingSeconds = history.reduce((s, h) => s + h.seconds, 0);
    return {
      params,
      history,
      bestEpoch: epochs.bestEpoch || history.length,
      stopped: epochs.stopped,
      trainRows: split.train,
      validationRows: split.validation,
      heldOut: split.order.slice(0, split.validation),
      heldOutRows,
      steps: epochs.steps,
      seconds: (performance.now() - started) / 1000,
      samplesPerSecond: history.length ? (history.length * split.train) / trainingSeconds : 0,
      msPerStep: history.length ? (trainingSeconds * 1000) / (history.length * split.steps) : 0,
      path: run.plan.path,
      dispatchesPerStep: run.plan.dispatchesPerStep,
    };
  } finally {
    run.release();
  }
}

/** Enough steps in one submit for about 50 ms of work: progress often, few submits. */
function stepsPerSubmit(msPerStep: number): number {
  return msPerStep > 0 ? Math.max(1, Math.round(50 / msPerStep)) : 8;
}

function copyBuffer(gpu: Gpu, from: GPUBuffer, to: GPUBuffer, bytes: number): void {
  const encoder = gpu.device.createCommandEncoder({ label: 'copy params' });
  encoder.copyBufferToBuffer(from, 0, to, 0, bytes);
  gpu.submit([encoder.finish()], ['copy params']);
}

/** Row errors of the held-out rows, chunk by chunk, with the plan's scoring, summed into `total`. */
async function planValidation(
  gpu: Gpu, plan: TrainingPlan, layers: readonly Layer[], input: Tensor, total: Tensor,
): Promise<{ launches: Launch[]; tensors: Tensor[] }> {
  const { rows, cols } = input;
  const scores = createTensor(gpu, rows, 1, 'validation errors');
  const chunk = Math.min(rows, chunkRows(gpu, layers));
  const launches: Launch[] = [];
  for (let r0 = 0; r0 < rows; r0 += chunk) {
    const n = Math.min(chunk, rows - r0);
    launches.push(...await plan.scoring(viewTensor(input, r0 * cols, n, cols, 'validation chunk'), viewTensor(scores, r0, n, 1, 'validation errors')));
  }
  const summing = await sum(gpu, { x: scores, out: total });
  return { launches: [...launches, ...summing], tensors: [scores] };
}
