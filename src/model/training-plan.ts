import type { AdamHyper } from '../gpu/adam';
import { adam, adamGroups } from '../gpu/adam';
import type { Gpu } from '../gpu/device';
import { createKernelWeights, fitTiles, fusedLayout, fusedScore, fusedStep } from '../gpu/fused';
import { encodeLaunch, releaseLaunches, type Launch } from '../gpu/launch';
import { gather } from '../gpu/rows';
import { BYTES, createBuffer, createTensor, type Tensor } from '../gpu/tensor';
import { fusedTiles, type FusedTiles } from '../gpu/tuning';
import { planScoring } from './scoring-plan';
import { createLayerTensors, createOutputs, destroyTensors, firstRows, type LayerTensors } from './network';
import { planStep } from './step';
import type { Layer, LayerSpec } from './spec';

/** What both paths share: the rows, their order, the parameters and the step-loss slots. */
export interface PlanInputs {
  readonly spec: LayerSpec;
  readonly layers: readonly Layer[];
  /** The rows on the GPU, put there once; `order` names those an epoch trains on. */
  readonly trainRows: Tensor;
  /** Rows an epoch trains on: the length of `order`. */
  readonly rows: number;
  /** The epoch's order of the rows (u32, rows of `trainRows`), written by the host once an epoch. */
  readonly order: GPUBuffer;
  readonly params: LayerTensors;
  /** The parameters `params` starts from. */
  readonly initial: Float32Array;
  /** Step s's loss goes to float s·align. */
  readonly stats: GPUBuffer;
  readonly batch: number;
  readonly steps: number;
  readonly lastRows: number;
  /** Floats between two steps' slots: the device's storage offset alignment. */
  readonly align: number;
  readonly hyper: AdamHyper;
}

/** The training path chosen for a network on a device, with its launches made once. */
export interface TrainingPlan {
  readonly path: 'fused' | 'per-layer';
  readonly dispatchesPerStep: number;
  /** Encodes what an epoch starts with (the per-layer path's shuffle). */
  encodeEpoch(pass: GPUComputePassEncoder): void;
  encodeStep(pass: GPUComputePassEncoder, step: number): void;
  /** Encodes what brings `params` up to date with the steps before it (the fused path keeps its own copy). */
  encodeSync(pass: GPUComputePassEncoder): void;
  /** Launches (the caller's to release) that score `x` into `scores` with the parameters as the GPU holds them. */
  scoring(x: Tensor, scores: Tensor): Promise<Launch[]>;
  release(): void;
}

/**
 * The fused path where the network fits the device's workgroup memory (and `fused` is not
 * false), else the per-layer path.
 */
export async function planTraining(gpu: Gpu, inputs: PlanInputs, fused: FusedTiles | false = fusedTiles(gpu)): Promise<TrainingPlan> {
  if (fused) {
    const layout = fusedLayout(inputs.layers);
    const train = fitTiles(gpu, layout, 'train', fused.train);
    const score = fitTiles(gpu, layout, 'score', fused.score);
    if (train && score) return planFused(gpu, inputs, { train, score });
  }
  return planPerLayer(gpu, inputs);
}

/**
 * Two dispatches a step: train_block reads the step's rows through the epoch's order, and
 * apply_adam sums the partial gradients and applies Adam to the kernels' padded copy of the
 * parameters, which unpack_theta writes back into `params` at a sync. A table made once gives
 * each step its first row and row count at a dynamic offset, so the ragged last step needs no
 * launch of its own.
 */
async function planFused(gpu: Gpu, inputs: PlanInputs, tiles: FusedTiles): Promise<TrainingPlan> {
  const { layers, trainRows, order, params, initial, stats, batch, steps, lastRows, align, hyper } = inputs;
  const layout = fusedLayout(layers);
  const table = new Uint32Array(steps * align);
  for (let s = 0; s < steps; s++) table.set([s * batch, s === steps - 1 ? lastRows : batch], s * align);
  const stepTable = createBuffer(gpu, table.byteLength, 'step table');
  gpu.device.queue.writeBuffer(stepTable, 0, table);
  const tensors: Tensor[] = [];
  const launches: Launch[] = [];
  try {
    const weights = createKernelWeights(gpu, layout, initial);
    const moments = createTensor(gpu, 1, 2 * layout.padded, 'adam moments');
    tensors.push(weights.wk, weights.wt, moments);
    const step = await fusedStep(gpu, {
      layout, rows: trainRows, order,
      step: { buffer: stepTable, offset: 0, rows: 1, cols: 2, label: 'step', window: 2 * BYTES },
      weights, moments,
      loss: { buffer: stats, offset: 0, rows: 1, cols: 1, label: 'loss', window: BYTES },
      theta: params.all, hyper, batch, tiles: tiles.train,
    });
    launches.push(step.block, step.apply, step.unpack);
    return {
      path: 'fused',
      dispatchesPerStep: 2,
      encodeEpoch() {},
      encodeStep(pass, s) {
        const at = s * align * BYTES;
        encodeLaunch(pass, step.block, [at]);
        encodeLaunch(pass, step.apply, [at, at]);
      },
      encodeSync(pass) {
        encodeLaunch(pass, step.unpack);
      },
      async scoring(x, scores) {
        return [await fusedScore(gpu, { layout, x, weights, out: scores, tiles: tiles.score })];
      },
      release() {
        releaseLaunches(launches);
        destroyTensors(tensors);
        stepTable.destroy();
      },
    };
  } catch (error) {
    releaseLaunches(launches);
    destroyTensors(tensors);
    stepTable.destroy();
    throw error;
  }
}

/**
 * One dispatch an epoch shuffles the rows into aligned batch slots; then a step is every
 * layer's forward GEMM, the fused loss, each layer's backward GEMMs and Adam (19 dispatches
 * for the deep model). Dynamic offsets select the batch and its loss slot.
 */
async function planPerLayer(gpu: Gpu, inputs: PlanInputs): Promise<TrainingPlan> {
  const { spec, layers, trainRows, rows: epochRows, order, params, stats, batch, steps, lastRows, align, hyper } = inputs;
  const cols = trainRows.cols;
  const slot = Math.ceil((batch * cols) / align) * align;
  const P = params.all.cols;
  if (steps * slot * BYTES > gpu.limits.maxBufferSize) {
    throw new Error(`training data of ${epochRows} rows × ${cols} needs a ${steps * slot * BYTES}-byte shuffle buffer, more than this device's ${gpu.limits.maxBufferSize}`);
  }
  const shuffled = createBuffer(gpu, steps * slot * BYTES, 'shuffled batches');
  const adamSteps = createBuffer(gpu, adamGroups(P) * BYTES, 'adam steps');
  const grads = createLayerTensors(gpu, spec, 'grads', 'd');
  const [m, v] = [createTensor(gpu, 1, P, 'adam m'), createTensor(gpu, 1, P, 'adam v')];
  const outputs = createOutputs(gpu, layers, batch, 'Y');
  const dz = createOutputs(gpu, layers, batch, 'dZ');
  const rowErr = createTensor(gpu, batch, 1, 'row errors');
  const tensors: Tensor[] = [grads.all, m, v, ...outputs, ...dz, rowErr];
  const launches: Launch[] = [];
  const release = () => {
    releaseLaunches(launches);
    destroyTensors(tensors);
    shuffled.destroy();
    adamSteps.destroy();
  };
  try {
    const shuffle = await gather(gpu, { x: trainRows, index: order, rows: epochRows, out: shuffled, batch, slot });
    launches.push(shuffle);
    const plan = (rows: number) => planStep(gpu, layers, params, grads, {
      x: { buffer: shuffled, offset: 0, rows, cols, label: 'X', window: rows * cols * BYTES },
      outputs: firstRows(outputs, rows),
      dz: firstRows(dz, rows),
      rowErr: firstRows([rowErr], rows)[0],
      loss: { buffer: stats, offset: 0, rows: 1, cols: 1, label: 'loss', window: BYTES },
    });
    const fullStep = await plan(batch);
    const lastStep = lastRows === batch ? fullStep : await plan(lastRows);
    launches.push(...new Set([...fullStep, ...lastStep].map((s) => s.launch)));
    const adamLaunch = await adam(gpu, { params: params.all, grads: grads.all, m, v, steps: adamSteps, hyper });
    launches.push(adamLaunch);
    return {
      path: 'per-layer',
      dispatchesPerStep: fullStep.length + 1,
      encodeEpoch(pass) {
        encodeLaunch(pass, shuffle);
      },
      encodeStep(pass, s) {
        for (const step of s === steps - 1 ? lastStep : fullStep) {
          encodeLaunch(pass, step.launch, step.offsets(s * slot * BYTES, s * align * BYTES));
        }
        encodeLaunch(pass, adamLaunch);
      },
      encodeSync() {},
      async scoring(x, scores) {
        const chunkOutputs = createOutputs(gpu, layers, x.rows, 'V');
        tensors.push(...chunkOutputs);
        return planScoring(gpu, layers, params, x, chunkOutputs, scores);
      },
      release,
    };
  } catch (error) {
    release();
    throw error;
  }
}
