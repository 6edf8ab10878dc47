import { actCode, type Activation } from './activation';
import type { Gpu } from './device';
import { ShapeError, describe, expectShape } from './errors';
import { RD, U, W, R, type KernelSpec } from './kernels';
import { makeLaunch, u32s, type Launch } from './launch';
import type { Tensor } from './tensor';
import { DIRECT_TILES, MAX_TM, gemmTiles, type GemmTiles } from './tuning';

const FORWARD: KernelSpec = { family: 'gemm', entry: 'forward', bindings: [U, RD, RD, W] };
const FORWARD_NAIVE: KernelSpec = { family: 'gemm', entry: 'forward_naive', bindings: [U, RD, RD, W] };
const BACKWARD_INPUT: KernelSpec = { family: 'gemm', entry: 'backward_input', bindings: [U, RD, RD, W, R] };
const BACKWARD_WEIGHT: KernelSpec = { family: 'gemm', entry: 'backward_weight', bindings: [U, RD, RD, W] };

function sameBuffer(op: string, a: Tensor, b: Tensor, why: string): void {
  if (a.buffer !== b.buffer) throw new ShapeError(op, `${a.label} and ${b.label} must share one buffer (${why})`);
}

function checkTiles(op: string, tiles: GemmTiles): void {
  if (tiles.TM < 1 || tiles.TM > MAX_TM) throw new ShapeError(op, `TM must be 1..${MAX_TM}, got ${tiles.TM}`);
}

/** C = A · B through strides: A(m, k) = A[a.off + m·a.rs + k·a.cs], B(k, n) likewise. */
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

/** The `Gemm` uniform of gemm.wgsl and the number of workgroups that cover C. */
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
    kernel: FORWARD,
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
    kernel: FORWARD_NAIVE,
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
    kernel: BACKWARD_INPUT,
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
    kernel: BACKWARD_WEIGHT,
    constants: gemmConstants(tiles, 0),
    params,
    tensors: [dz, x, dw],
    workgroups,
    label: `${op} ${describe(dz)}ᵀ · ${describe(x)} → ${describe(dw)}, ${describe(db)}`,
  });
}
