import type { Gpu } from './device';
import { ShapeError, describe, expectShape } from './errors';
import { makeLaunch, type Launch } from './launch';
import { createBuffer, type Tensor } from './tensor';
import { DIRECT_TILES, MAX_TM, gemmTiles, type GemmTiles } from './tuning';

export const ACTIVATIONS = ['identity', 'relu', 'sigmoid', 'tanh'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

function actCode(op: string, act: Activation): number {
  const code = ACTIVATIONS.indexOf(act);
  if (code < 0) throw new ShapeError(op, `unknown activation "${String(act)}"; expected one of ${ACTIVATIONS.join(', ')}`);
  return code;
}

function u32s(values: readonly number[]): ArrayBuffer {
  return new Uint32Array(values).buffer;
}

function sameBuffer(op: string, a: Tensor, b: Tensor, why: string): void {
  if (a.buffer !== b.buffer) throw new ShapeError(op, `${a.label} and ${b.label} must share one buffer (${why})`);
}

function checkTiles(op: string, tiles: GemmTiles): void {
  if (tiles.TM < 1 || tiles.TM > MAX_TM) throw new ShapeError(op, `TM must be 1..${MAX_TM}, got ${tiles.TM}`);
}

interface GemmShape {
  M: number;
  N: number;
  K: number;
  a: { off: number; rs: number; cs: number };
  b: { off: number; rs: number; cs: number };
  c: { off: number; rs: number };
  biasOff: number;
  p: { off: number; rs: number };
}

function gemmParams(shape: GemmShape, tiles: GemmTiles): { params: ArrayBuffer; workgroups: number } {
  const tilesN = Math.ceil(shape.N / (tiles.WGX * 4));
  const tilesM = Math.ceil(shape.M / (tiles.WGY * tiles.TM));
  const workgroups = tilesN * tilesM;
  const { a, b, c, p } = shape;
  const params = u32s([
    shape.M, shape.N, shape.K, tilesN,
    a.off, a.rs, a.cs, workgroups,
    b.off, b.rs, b.cs, shape.biasOff,
    c.off, c.rs, p.off, p.rs,
  ]);
  return { params, workgroups };
}

function gemmConstants(tiles: GemmTiles, act: number): Record<string, number> {
  return { TM: tiles.TM, WGX: tiles.WGX, WGY: tiles.WGY, STAGED: tiles.STAGED, TK: tiles.TK, ACT: act };
}

export interface LinearForwardArgs {
  x: Tensor;
  w: Tensor;
  b: Tensor;
  y: Tensor;
  act: Activation;
  tiles?: GemmTiles;
}

function forwardShape(op: string, { x, w, b, y }: LinearForwardArgs): GemmShape {
  const [M, K, N] = [x.rows, x.cols, w.rows];
  expectShape(op, w, N, K, `to multiply ${describe(x)}`);
  expectShape(op, b, 1, N, `for ${describe(w)}`);
  expectShape(op, y, M, N, `for ${describe(x)} · ${describe(w)}ᵀ`);
  sameBuffer(op, w, b, 'the parameters are bound once');
  return {
    M, N, K,
    a: { off: x.offset, rs: K, cs: 1 },
    b: { off: w.offset, rs: 1, cs: K },
    c: { off: y.offset, rs: N },
    biasOff: b.offset,
    p: { off: 0, rs: 0 },
  };
}

/** Y = act(X · Wᵀ + b). W is [out × in] as PyTorch stores it; b lies in W's buffer. */
export async function linearForward(gpu: Gpu, args: LinearForwardArgs): Promise<Launch> {
  const op = 'linearForward';
  const { x, w, b, y, act, tiles = gemmTiles(gpu) } = args;
  checkTiles(op, tiles);
  const { params, workgroups } = gemmParams(forwardShape(op, args), tiles);
  return makeLaunch(gpu, {
    kernel: 'linearForward',
    constants: gemmConstants(tiles, actCode(op, act)),
    params,
    tensors: [x, w, y],
    workgroups,
    label: `${op} ${describe(x)} · ${describe(w)}ᵀ + ${b.label} → ${describe(y)} (${act})`,
  });
}

/** The same product with one output per invocation: the baseline for benchmarks. */
export async function linearForwardNaive(gpu: Gpu, args: LinearForwardArgs): Promise<Launch> {
  const op = 'linearForwardNaive';
  const { x, w, y, act } = args;
  const { params } = gemmParams(forwardShape(op, args), DIRECT_TILES);
  return makeLaunch(gpu, {
    kernel: 'linearForwardNaive',
    constants: { ACT: actCode(op, act) },
    params,
    tensors: [x, w, y],
    workgroups: Math.ceil((y.rows * y.cols) / 64),
    label: `${op} ${describe(x)} · ${describe(w)}ᵀ → ${describe(y)}`,
  });
}

export interface LinearBackwardInputArgs {
  dz: Tensor;
  w: Tensor;
  /** The previous layer's output, whose activation derivative is fused in. */
  prev: Tensor;
  dx: Tensor;
  /** The previous layer's activation. */
  act: Activation;
  tiles?: GemmTiles;
}

/** dZ_prev = (dZ · W) ⊙ act'(Y_prev) */
export async function linearBackwardInput(gpu: Gpu, { dz, w, prev, dx, act, tiles = gemmTiles(gpu) }: LinearBackwardInputArgs): Promise<Launch> {
  const op = 'linearBackwardInput';
  const [M, N, K] = [dz.rows, dz.cols, w.cols];
  expectShape(op, w, N, K, `to multiply ${describe(dz)}`);
  expectShape(op, prev, M, K, `for ${describe(dz)} · ${describe(w)}`);
  expectShape(op, dx, M, K, `for ${describe(dz)} · ${describe(w)}`);
  checkTiles(op, tiles);
  const { params, workgroups } = gemmParams({
    M, N: K, K: N,
    a: { off: dz.offset, rs: N, cs: 1 },
    b: { off: w.offset, rs: K, cs: 1 },
    c: { off: dx.offset, rs: K },
    biasOff: 0,
    p: { off: prev.offset, rs: K },
  }, tiles);
  return makeLaunch(gpu, {
    kernel: 'linearBackwardInput',
    constants: gemmConstants(tiles, actCode(op, act)),
    params,
    tensors: [dz, w, dx, prev],
    workgroups,
    label: `${op} ${describe(dz)} · ${describe(w)} ⊙ ${act}'(${describe(prev)}) → ${describe(dx)}`,
  });
}

export interface LinearBackwardWeightArgs {
  dz: Tensor;
  x: Tensor;
  dw: Tensor;
  db: Tensor;
  tiles?: GemmTiles;
}

/** dW = dZᵀ · X and db = Σ_rows dZ, in one dispatch; db lies in dW's buffer. */
export async function linearBackwardWeight(gpu: Gpu, { dz, x, dw, db, tiles = gemmTiles(gpu) }: LinearBackwardWeightArgs): Promise<Launch> {
  const op = 'linearBackwardWeight';
  const [M, N, K] = [dz.rows, dz.cols, x.cols];
  expectShape(op, x, M, K, `to pair with ${describe(dz)}`);
  expectShape(op, dw, N, K, `for ${describe(dz)}ᵀ · ${describe(x)}`);
  expectShape(op, db, 1, N, `for ${describe(dz)}`);
  sameBuffer(op, dw, db, 'the gradients are bound once');
  checkTiles(op, tiles);
  const { params, workgroups } = gemmParams({
    M: N, N: K, K: M,
    a: { off: dz.offset, rs: 1, cs: N },
    b: { off: x.offset, rs: K, cs: 1 },
    c: { off: dw.offset, rs: K },
    biasOff: db.offset,
    p: { off: 0, rs: 0 },
  }, tiles);
  return makeLaunch(gpu, {
    kernel: 'linearBackwardWeight',
    constants: gemmConstants(tiles, 0),
    params,
    tensors: [dz, x, dw],
    workgroups,
    label: `${op} ${describe(dz)}ᵀ · ${describe(x)} → ${describe(dw)}, ${describe(db)}`,
  });
}

export interface MseArgs {
  y: Tensor;
  target: Tensor;
  dz: Tensor;
  rowErr: Tensor;
  loss: Tensor;
  /** The activation of the layer that produced Y. */
  act: Activation;
}

/** Per-row error, batch loss and the gradient at the last pre-activation, in one dispatch. */
export async function mse(gpu: Gpu, { y, target, dz, rowErr, loss, act }: MseArgs): Promise<Launch> {
  const op = 'mse';
  const [M, N] = [y.rows, y.cols];
  expectShape(op, target, M, N, `to compare with ${describe(y)}`);
  expectShape(op, dz, M, N, `for ${describe(y)}`);
  expectShape(op, rowErr, M, 1, `for ${describe(y)}`);
  expectShape(op, loss, 1, 1, 'for one batch loss');
  return makeLaunch(gpu, {
    kernel: 'mse',
    constants: { ACT: actCode(op, act) },
    params: u32s([M, N, y.offset, target.offset, dz.offset, rowErr.offset, 0, 0]),
    tensors: [y, target, dz, rowErr, loss],
    workgroups: 1,
    label: `${op} ${describe(y)} vs ${describe(target)} (${act})`,
  });
}

const ROW_WG = 64;

/** score[m] = mean_n (Y[m,n] − X[m,n])² */
export async function rowError(gpu: Gpu, { y, x, out }: { y: Tensor; x: Tensor; out: Tensor }): Promise<Launch> {
  const op = 'rowError';
  const [M, N] = [y.rows, y.cols];
  expectShape(op, x, M, N, `to compare with ${describe(y)}`);
  expectShape(op, out, M, 1, `for ${describe(y)}`);
  return makeLaunch(gpu, {
    kernel: 'rowError',
    constants: { WG: ROW_WG },
    params: u32s([M, N, y.offset, x.offset, out.offset, 0, 0, 0]),
    tensors: [y, x, out],
    workgroups: Math.ceil(M / ROW_WG),
    label: `${op} ${describe(y)} vs ${describe(x)} → ${describe(out)}`,
  });
}

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const ADAM_DEFAULTS: AdamHyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

const ADAM_WG = 256;

export function adamGroups(n: number): number {
  return Math.ceil(n / ADAM_WG);
}

function adamParams(n: number, h: AdamHyper): ArrayBuffer {
  const view = new DataView(new ArrayBuffer(48));
  view.setUint32(0, n, true);
  view.setUint32(4, adamGroups(n), true);
  [h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, Math.log(h.beta1), Math.log(h.beta2)]
    .forEach((value, i) => view.setFloat32(16 + 4 * i, value, true));
  return view.buffer;
}

export interface AdamArgs {
  params: Tensor;
  grads: Tensor;
  m: Tensor;
  v: Tensor;
  /** One u32 step count per workgroup, `adamGroups(n)` of them, zero at the start. */
  steps: GPUBuffer;
  hyper: AdamHyper;
}

/** One Adam step over a flat parameter vector ([1 × n] tensors). */
export async function adam(gpu: Gpu, { params, grads, m, v, steps, hyper }: AdamArgs): Promise<Launch> {
  const op = 'adam';
  const n = params.rows * params.cols;
  for (const t of [grads, m, v]) expectShape(op, t, params.rows, params.cols, `like ${describe(params)}`);
  if (steps.size < adamGroups(n) * 4) throw new ShapeError(op, `steps holds ${steps.size / 4} counters, needs ${adamGroups(n)}`);
  checkHyper(op, hyper);
  const stepsTensor: Tensor = { buffer: steps, offset: 0, rows: 1, cols: adamGroups(n), label: 'steps' };
  return makeLaunch(gpu, {
    kernel: 'adam',
    constants: { WG: ADAM_WG },
    params: adamParams(n, hyper),
    tensors: [params, grads, m, v, stepsTensor],
    workgroups: adamGroups(n),
    label: `${op} ${describe(params)}`,
  });
}

function checkHyper(op: string, h: AdamHyper): void {
  for (const [name, value] of Object.entries(h)) {
    if (!Number.isFinite(value) || value < 0) throw new ShapeError(op, `${name} must be a finite number ≥ 0, got ${value}`);
  }
  if (h.beta1 >= 1 || h.beta2 >= 1) throw new ShapeError(op, `betas must be below 1, got ${h.beta1}, ${h.beta2}`);
}

/** Changes the learning rate or other hyper-parameters of an Adam launch for later steps. */
export function setAdamHyper(gpu: Gpu, launch: Launch, n: number, hyper: AdamHyper): void {
  checkHyper('adam', hyper);
  gpu.device.queue.writeBuffer(launch.uniform, 0, adamParams(n, hyper));
}

const SUM_WG = 256;
const SUM_ITEMS = 16;

/**
 * Σ x, written to out[0]: one dispatch per level, each shrinking the vector
 * WG·ITEMS-fold (two levels up to a million values).
 */
export async function sum(gpu: Gpu, { x, out }: { x: Tensor; out: Tensor }): Promise<Launch[]> {
  const op = 'sum';
  expectShape(op, out, 1, 1, 'for one sum');
  const launches: Launch[] = [];
  let input = x;
  let n = x.rows * x.cols;
  for (;;) {
    const groups = Math.ceil(n / (SUM_WG * SUM_ITEMS));
    const target: Tensor = groups === 1
      ? out
      : { buffer: createBuffer(gpu, groups * 4, 'partial sums'), offset: 0, rows: groups, cols: 1, label: 'partial sums' };
    launches.push(await makeLaunch(gpu, {
      kernel: 'sum',
      constants: { WG: SUM_WG, ITEMS: SUM_ITEMS },
      params: u32s([n, groups, input.offset, target.offset]),
      tensors: [input, target],
      scratch: target === out ? [] : [target.buffer],
      workgroups: groups,
      label: `${op} ${describe(input)} → ${describe(target)}`,
    }));
    if (groups === 1) return launches;
    input = target;
    n = groups;
  }
}

export interface GatherArgs {
  x: Tensor;
  /** Row indices into x, as u32, one per output row. */
  index: GPUBuffer;
  rows: number;
  out: GPUBuffer;
  batch: number;
  /** Elements from one batch's start to the next's. */
  slot: number;
}

/** Copies rows x[index[r]] into consecutive batch slots of `out`. */
export async function gather(gpu: Gpu, { x, index, rows, out, batch, slot }: GatherArgs): Promise<Launch> {
  const op = 'gather';
  if (index.size < rows * 4) throw new ShapeError(op, `index holds ${index.size / 4} rows, needs ${rows}`);
  const slots = Math.ceil(rows / batch);
  if (out.size < ((slots - 1) * slot + batch * x.cols) * 4) throw new ShapeError(op, `output too small for ${slots} batches of ${batch}`);
  if (slot < batch * x.cols) throw new ShapeError(op, `slot of ${slot} values cannot hold ${batch} rows of ${x.cols}`);
  const indexTensor: Tensor = { buffer: index, offset: 0, rows, cols: 1, label: 'row index' };
  const outTensor: Tensor = { buffer: out, offset: 0, rows: out.size / 4, cols: 1, label: 'batches' };
  return makeLaunch(gpu, {
    kernel: 'gather',
    constants: { WG: 64 },
    params: u32s([rows, x.cols, batch, slot]),
    tensors: [x, indexTensor, outTensor],
    workgroups: Math.ceil(rows / 64),
    label: `${op} ${rows} rows of ${describe(x)} in batches of ${batch}`,
  });
}
