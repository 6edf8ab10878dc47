import { actCode, type Activation } from './activation';
import { checkHyper, packAdamRule, type AdamHyper } from './adam';
import type { Gpu } from './device';
import { ShapeError, describe, expectShape } from './errors';
import { R, RD, U, W, WD, type KernelSpec } from './kernels';
import { makeLaunch, type Launch } from './launch';
import { BYTES, createBuffer, createTensor, maxBindingBytes, type Tensor } from './tensor';
import { fusedTiles, type BlockTiles, type TrainTiles } from './tuning';

type Family = 'fused' | 'fused-subgroups';

function kernels(family: Family) {
  return {
    trainBlock: { family, entry: 'train_block', bindings: [U, R, R, R, R, RD, W] },
    applyAdam: { family, entry: 'apply_adam', bindings: [U, W, W, R, RD, W, W, WD] },
    unpackTheta: { family, entry: 'unpack_theta', bindings: [U, R, W] },
    scoreRows: { family, entry: 'score_rows', bindings: [U, R, R, R, W] },
    reconstructRows: { family, entry: 'reconstruct_rows', bindings: [U, R, R, R, W] },
  } satisfies Record<string, KernelSpec>;
}

const KERNELS = { fused: kernels('fused'), 'fused-subgroups': kernels('fused-subgroups') } as const;

/** The subgroup size the broadcasts of fused-subgroups.wgsl are written for. */
const SUBGROUP = 8;

/** The most layers the fused kernels take (the size of the layer table in their uniform). */
export const MAX_LAYERS = 16;
const MAX_RPT = 32;
const MAX_TN = 32;
const AWG = 256;

/** A dense layer as the fused kernels see it; src/model/spec.ts's `Layer` is one. */
export interface DenseLayer {
  readonly inputs: number;
  readonly outputs: number;
  readonly activation: Activation;
  /** Where W [outputs × inputs], then b [outputs], start in the flat parameter vector θ. */
  readonly weightOffset: number;
}

const quads = (n: number) => Math.ceil(n / 4);

/**
 * Where the fused kernels find each layer. `wk` holds every layer's W padded to
 * [⌈out/4⌉·4 × ⌈in/4⌉·4] and b padded to ⌈out/4⌉·4 (`padded` floats; a slice of the partial
 * gradients and Adam's moments are laid out alike), `wt` every layer's Wᵀ padded to
 * [⌈in/4⌉·4 × ⌈out/4⌉·4] (`transposed` floats). Padding is zero.
 */
export interface FusedLayout {
  readonly layers: readonly DenseLayer[];
  readonly features: number;
  readonly params: number;
  readonly padded: number;
  readonly transposed: number;
  /** Per layer, vec4 indices of padded W and padded b in `wk`, and of padded Wᵀ in `wt`. */
  readonly p4: readonly number[];
  readonly b4: readonly number[];
  readonly t4: readonly number[];
}

export function fusedLayout(layers: readonly DenseLayer[]): FusedLayout {
  if (layers.length === 0) throw new ShapeError('fusedLayout', 'a network needs at least one layer');
  const [p4, b4, t4]: number[][] = [[], [], []];
  let [at, tat] = [0, 0];
  for (const l of layers) {
    p4.push(at);
    at += 4 * quads(l.outputs) * quads(l.inputs);
    b4.push(at);
    at += quads(l.outputs);
    t4.push(tat);
    tat += 4 * quads(l.inputs) * quads(l.outputs);
  }
  const last = layers[layers.length - 1];
  const params = last.weightOffset + last.inputs * last.outputs + last.outputs;
  return { layers, features: layers[0].inputs, params, padded: 4 * at, transposed: 4 * tat, p4, b4, t4 };
}

/** Where parameter i of θ (PyTorch's layout) lies among the `padded` floats. */
export function paddedIndex(layout: FusedLayout, i: number): number {
  const l = layout.layers.findLastIndex((layer) => layer.weightOffset <= i);
  const layer = layout.layers[l];
  const e = i - layer.weightOffset;
  const count = layer.inputs * layer.outputs;
  return e < count
    ? 4 * (layout.p4[l] + Math.floor(e / layer.inputs) * quads(layer.inputs)) + (e % layer.inputs)
    : 4 * layout.b4[l] + e - count;
}

/** The kernels' copies of θ: `padded` (W and b) and `transposed` (Wᵀ). */
function packWeights(layout: FusedLayout, theta: Float32Array): { padded: Float32Array; transposed: Float32Array } {
  if (theta.length !== layout.params) {
    throw new ShapeError('packWeights', `the network has ${layout.params} parameters, given ${theta.length}`);
  }
  const padded = new Float32Array(layout.padded);
  const transposed = new Float32Array(layout.transposed);
  layout.layers.forEach((l, i) => {
    const [in4, out4] = [quads(l.inputs), quads(l.outputs)];
    for (let n = 0; n < l.outputs; n++) {
      for (let k = 0; k < l.inputs; k++) {
        const v = theta[l.weightOffset + n * l.inputs + k];
        padded[4 * (layout.p4[i] + n * in4) + k] = v;
        transposed[4 * (layout.t4[i] + k * out4) + n] = v;
      }
      padded[4 * layout.b4[i] + n] = theta[l.weightOffset + l.inputs * l.outputs + n];
    }
  });
  return { padded, transposed };
}

/** The kernels' weights on the GPU: padded W and b (`wk`) and padded Wᵀ (`wt`). */
export interface KernelWeights {
  readonly wk: Tensor;
  readonly wt: Tensor;
}

export function createKernelWeights(gpu: Gpu, layout: FusedLayout, theta: Float32Array): KernelWeights {
  const { padded, transposed } = packWeights(layout, theta);
  return {
    wk: createTensor(gpu, 1, layout.padded, 'kernel weights', padded),
    wt: createTensor(gpu, 1, layout.transposed, 'kernel weights, transposed', transposed),
  };
}

type Task = 'train' | 'score';

/**
 * Where a block's rows lie in workgroup memory, in vec4s per row. Training keeps the input
 * and every layer's output. Scoring keeps two regions used in turn: even layers write the
 * first, odd layers the second, which first holds the input (the row errors read the input
 * again from memory).
 */
function rowPlan(layout: FusedLayout, task: Task): { quads: number; x: number; y: number[] } {
  const f4 = quads(layout.features);
  const outs = layout.layers.map((l) => quads(l.outputs));
  if (task === 'train') {
    return { quads: f4 + outs.reduce((a, b) => a + b, 0), x: 0, y: outs.map((_, l) => f4 + outs.slice(0, l).reduce((a, b) => a + b, 0)) };
  }
  const even = Math.max(...outs.filter((_, l) => l % 2 === 0));
  const odd = Math.max(f4, ...outs.filter((_, l) => l % 2 === 1));
  return { quads: even + odd, x: even, y: outs.map((_, l) => (l % 2 === 0 ? 0 : even)) };
}

function rowQuads(layout: FusedLayout, task: Task): number {
  return rowPlan(layout, task).quads;
}

/** Bytes of workgroup memory a kernel of `task` declares with these tiles. */
export function workgroupBytes(layout: FusedLayout, task: Task, tiles: BlockTiles): number {
  return tiles.ROWS * rowQuads(layout, task) * 16 + (task === 'train' ? tiles.TX * tiles.TY * BYTES : 0);
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

function checkTiles(gpu: Gpu, op: string, tiles: BlockTiles | TrainTiles): void {
  const { ROWS, TX, TY } = tiles;
  if (!isPowerOfTwo(TX) || !isPowerOfTwo(TY)) throw new ShapeError(op, `TX and TY must be powers of two, got ${TX} and ${TY}`);
  if (TX * TY > gpu.limits.maxComputeInvocationsPerWorkgroup) {
    throw new ShapeError(op, `${TX} × ${TY} invocations are more than this device's ${gpu.limits.maxComputeInvocationsPerWorkgroup} per workgroup`);
  }
  if (tiles.SUBGROUPS !== 0 && tiles.SUBGROUPS !== 1) throw new ShapeError(op, `SUBGROUPS must be 0 or 1, got ${String(tiles.SUBGROUPS)}`);
  if (!Number.isInteger(ROWS) || ROWS < TY || ROWS % TY !== 0 || ROWS / TY > MAX_RPT) {
    throw new ShapeError(op, `ROWS must be a multiple of TY = ${TY} with at most ${MAX_RPT} rows per invocation, got ${ROWS}`);
  }
  if ('TN' in tiles) {
    if (!Number.isInteger(tiles.TN) || tiles.TN < 4 || tiles.TN > MAX_TN || tiles.TN % 4 !== 0) throw new ShapeError(op, `TN must be a multiple of 4 up to ${MAX_TN}, got ${tiles.TN}`);
    if (!Number.isInteger(tiles.GROUPS) || tiles.GROUPS < 1) throw new ShapeError(op, `GROUPS must be a whole number ≥ 1, got ${tiles.GROUPS}`);
  }
}

/**
 * The tiles with as many of their rows as fit this device's workgroup memory
 * (`maxComputeWorkgroupStorageSize`), in steps of TY, and SUBGROUPS kept only where the
 * device's subgroups are TX = 8 invocations; null where the network cannot take the fused
 * path: more than 16 layers, or not even TY rows fit on chip.
 */
export function fitTiles<T extends BlockTiles>(gpu: Gpu, layout: FusedLayout, task: Task, tiles: T): T | null {
  checkTiles(gpu, `fused ${task}`, tiles);
  if (layout.layers.length > MAX_LAYERS) return null;
  const limit = gpu.limits.maxComputeWorkgroupStorageSize;
  const subgroups = tiles.SUBGROUPS === 1 && tiles.TX === SUBGROUP && gpu.subgroupSize === SUBGROUP ? 1 : 0;
  for (let rows = tiles.ROWS; rows >= tiles.TY; rows -= tiles.TY) {
    const fitted = { ...tiles, ROWS: rows, SUBGROUPS: subgroups };
    if (workgroupBytes(layout, task, fitted) <= limit) return fitted;
  }
  return null;
}

/** Where the input rows and each layer's output rows start in workgroup memory, in vec4s, for blocks of `rows` rows. */
function blockLayout(layout: FusedLayout, task: Task, rows: number): { xAt: number; yAt: number[] } {
  const plan = rowPlan(layout, task);
  return { xAt: rows * plan.x, yAt: plan.y.map((at) => rows * at) };
}

interface NetFields {
  readonly groups: number;
  readonly rows: number;
  readonly rowsOff: number;
  readonly outOff: number;
  readonly adamGroups: number;
  readonly hyper: AdamHyper | null;
  readonly xAt: number;
  readonly yAt: readonly number[];
  /** score_rows: τ of the row score (src/shaders/row-score.wgsl), 0 for the mean squared error. */
  readonly tail?: number;
}

/** The `Fused` uniform of fused.wgsl. */
function fusedParams(layout: FusedLayout, f: NetFields): ArrayBuffer {
  const view = new DataView(new ArrayBuffer(80 + 32 * MAX_LAYERS));
  [layout.layers.length, layout.features, layout.params, layout.padded, f.groups, f.rows, f.rowsOff, f.outOff, f.adamGroups, f.xAt]
    .forEach((value, i) => view.setUint32(4 * i, value, true));
  view.setFloat32(40, f.tail ?? 0, true);
  if (f.hyper) packAdamRule(view, 48, f.hyper);
  layout.layers.forEach((l, i) => {
    [l.inputs, l.outputs, actCode('fused', l.activation), l.weightOffset, layout.p4[i], layout.b4[i], layout.t4[i], f.yAt[i]]
      .forEach((value, j) => view.setUint32(80 + 32 * i + 4 * j, value, true));
  });
  return view.buffer;
}

function blockConstants(layout: FusedLayout, task: Task, tiles: BlockTiles): Record<string, number> {
  return { ROWS: tiles.ROWS, TX: tiles.TX, TY: tiles.TY, ACT4: tiles.ROWS * rowQuads(layout, task) };
}

function fitOrThrow<T extends BlockTiles>(gpu: Gpu, op: string, layout: FusedLayout, task: Task, tiles: T): T {
  const fitted = fitTiles(gpu, layout, task, tiles);
  if (!fitted) {
    throw new ShapeError(op, layout.layers.length > MAX_LAYERS
      ? `${layout.layers.length} layers are more than the ${MAX_LAYERS} the fused kernels take`
      : `${tiles.TY} rows of this network need ${workgroupBytes(layout, task, { ...tiles, ROWS: tiles.TY })} bytes of workgroup memory, more than this device's ${gpu.limits.maxComputeWorkgroupStorageSize}`);
  }
  return fitted;
}

function whole(buffer: GPUBuffer, floats: number, label: string): Tensor {
  return { buffer, offset: 0, rows: 1, cols: floats, label };
}

function startsAtZero(op: string, ...tensors: Tensor[]): void {
  for (const t of tensors) if (t.offset !== 0) throw new ShapeError(op, `${t.label} must start its buffer`);
}

function checkWeights(op: string, layout: FusedLayout, { wk, wt }: KernelWeights): void {
  expectShape(op, wk, 1, layout.padded, 'for the kernels\' padded W and b');
  expectShape(op, wt, 1, layout.transposed, 'for the kernels\' padded Wᵀ');
  startsAtZero(op, wk, wt);
}

export interface FusedStepArgs {
  readonly layout: FusedLayout;
  /** Every training row, [n × features]. */
  readonly rows: Tensor;
  /** The epoch's order of the rows: u32 indices into `rows`. */
  readonly order: GPUBuffer;
  /** Per step, at a dynamic offset: u32 [first position in `order`, rows in the step]. */
  readonly step: Tensor;
  /** The parameters as the kernels keep them while training (`createKernelWeights`). */
  readonly weights: KernelWeights;
  /** Adam's first moments, then its second ones, each laid out like `wk`: [1 × 2·padded], zero at the start. */
  readonly moments: Tensor;
  /** The step's loss, at a dynamic offset. */
  readonly loss: Tensor;
  /** θ in PyTorch's layout, [1 × P], written by `unpack`. */
  readonly theta: Tensor;
  readonly hyper: AdamHyper;
  /** The most rows a step takes. */
  readonly batch: number;
  readonly tiles?: TrainTiles;
}

/** A training step in two dispatches, the dispatch that writes θ, and the tiles they run with (ROWS fitted to the device). */
export interface FusedStep {
  readonly block: Launch;
  readonly apply: Launch;
  readonly unpack: Launch;
  readonly tiles: TrainTiles;
}

/**
 * One training step of the whole network: `block` (forward, loss, backward, partial
 * gradients) and `apply` (their sum and Adam), encoded with the step's dynamic offsets:
 * block [step], apply [step, loss]. They keep the parameters in `weights`; `unpack` writes
 * them into `theta` in PyTorch's layout, whenever θ is to be read.
 */
export async function fusedStep(gpu: Gpu, args: FusedStepArgs): Promise<FusedStep> {
  const op = 'fusedStep';
  const { layout, rows, order, step, weights, moments, loss, theta, hyper, batch } = args;
  expectShape(op, rows, rows.rows, layout.features, `for a network of ${layout.features} features`);
  checkWeights(op, layout, weights);
  expectShape(op, moments, 1, 2 * layout.padded, 'for the moments of the padded parameters');
  expectShape(op, theta, 1, layout.params, `for ${layout.params} parameters`);
  startsAtZero(op, moments, theta);
  checkHyper(op, hyper);
  if (!Number.isInteger(batch) || batch < 1) throw new ShapeError(op, `batch must be a whole number ≥ 1, got ${batch}`);
  if (order.size < batch * BYTES) throw new ShapeError(op, `order holds ${order.size / BYTES} rows, fewer than one batch of ${batch}`);
  const tiles = fitOrThrow(gpu, op, layout, 'train', args.tiles ?? fusedTiles(gpu).train);
  const sliceBytes = (layout.padded + 4) * BYTES;
  const groups = Math.max(1, Math.min(tiles.GROUPS, Math.ceil(batch / tiles.ROWS), Math.floor(maxBindingBytes(gpu) / sliceBytes)));
  const adamGroups = Math.ceil(layout.padded / 4 / AWG);
  const partials = createBuffer(gpu, groups * sliceBytes, 'partial gradients');
  const counters = createBuffer(gpu, adamGroups * BYTES, 'adam steps');
  const params = fusedParams(layout, {
    groups, rows: 0, rowsOff: rows.offset, outOff: 0, adamGroups, hyper, ...blockLayout(layout, 'train', tiles.ROWS),
  });
  const shape = layout.layers.map((l) => l.inputs).concat(layout.features).join('-');
  const family = tiles.SUBGROUPS ? 'fused-subgroups' : 'fused';
  const partialsTensor = whole(partials, groups * sliceBytes / BYTES, 'partial gradients');
  const block = await makeLaunch(gpu, {
    kernel: KERNELS[family].trainBlock,
    constants: { ...blockConstants(layout, 'train', tiles), TN: tiles.TN },
    params,
    tensors: [weights.wk, weights.wt, rows, whole(order, order.size / BYTES, 'order'), step, partialsTensor],
    scratch: [partials],
    workgroups: groups,
    label: `${family} train_block ${shape}, ${groups} × ${tiles.ROWS} rows of ${describe(rows)}`,
  });
  const apply = await makeLaunch(gpu, {
    kernel: KERNELS.fused.applyAdam,
    constants: { ROWS: tiles.ROWS, AWG },
    params,
    tensors: [weights.wk, weights.wt, partialsTensor, step, moments, whole(counters, adamGroups, 'adam steps'), loss],
    scratch: [counters],
    workgroups: adamGroups,
    label: `fused apply_adam ${describe(weights.wk)} from ${groups} partial gradients`,
  });
  const unpack = await makeLaunch(gpu, {
    kernel: KERNELS.fused.unpackTheta,
    constants: { AWG },
    params,
    tensors: [weights.wk, theta],
    workgroups: Math.ceil(layout.params / AWG),
    label: `fused unpack_theta ${describe(weights.wk)} → ${describe(theta)}`,
  });
  return { block, apply, unpack, tiles };
}

export interface FusedScoreArgs {
  readonly layout: FusedLayout;
  /** Rows to score, [n × features]. */
  readonly x: Tensor;
  readonly weights: KernelWeights;
  /** [n × 1] scores, or [n × features] reconstructions. */
  readonly out: Tensor;
  readonly reconstruct?: boolean;
  readonly tiles?: BlockTiles;
  /** τ of the row score (src/model/row-score.ts); 0 or absent: the mean squared error. */
  readonly tail?: number;
}

/** Every layer's forward and each row's score (or its reconstruction), in one dispatch. */
export async function fusedScore(gpu: Gpu, args: FusedScoreArgs): Promise<Launch> {
  const op = args.reconstruct ? 'fusedReconstruct' : 'fusedScore';
  const { layout, x, weights, out } = args;
  expectShape(op, x, x.rows, layout.features, `for a network of ${layout.features} features`);
  checkWeights(op, layout, weights);
  expectShape(op, out, x.rows, args.reconstruct ? layout.features : 1, `for ${describe(x)}`);
  const tiles = fitOrThrow(gpu, op, layout, 'score', args.tiles ?? fusedTiles(gpu).score);
  const kernels = KERNELS[tiles.SUBGROUPS ? 'fused-subgroups' : 'fused'];
  return makeLaunch(gpu, {
    kernel: args.reconstruct ? kernels.reconstructRows : kernels.scoreRows,
    constants: blockConstants(layout, 'score', tiles),
    params: fusedParams(layout, {
      groups: 0, rows: x.rows, rowsOff: x.offset, outOff: out.offset, adamGroups: 0, hyper: null, tail: args.tail ?? 0, ...blockLayout(layout, 'score', tiles.ROWS),
    }),
    tensors: [weights.wk, weights.wt, x, out],
    workgroups: Math.ceil(x.rows / tiles.ROWS),
    label: `${op} ${describe(x)} → ${describe(out)}, ${tiles.ROWS} rows a workgroup`,
  });
}
