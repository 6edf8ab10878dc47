import { actCode, type Activation } from './activation';
import { fastest } from './autotune';
import type { Gpu } from './device';
import { ShapeError, describe, expectShape } from './errors';
import { RD, U, W, R, type KernelSpec } from './kernels';
import { makeLaunch, u32s, type Launch } from './launch';
import { createTensor, type Tensor } from './tensor';
import {
  BLOCK_TILINGS, DIRECT_TILES, GEMM_TILINGS, MAX_TM, ROWS_TILINGS, isCpuAdapter,
  type BlockTiling, type DirectTiling, type GemmTiling, type RowsTiling,
} from './tuning';

/** The three products of a dense layer, each with its own operand layout. */
export type GemmProduct = 'forward' | 'backward_input' | 'backward_weight';

const BINDINGS: Record<GemmProduct, KernelSpec['bindings']> = {
  forward: [U, RD, RD, W],
  backward_input: [U, RD, RD, W, R],
  backward_weight: [U, RD, RD, W],
};

type Family = KernelSpec['family'];
const specs = (family: Family): Record<GemmProduct, KernelSpec> => ({
  forward: { family, entry: 'forward', bindings: BINDINGS.forward },
  backward_input: { family, entry: 'backward_input', bindings: BINDINGS.backward_input },
  backward_weight: { family, entry: 'backward_weight', bindings: BINDINGS.backward_weight },
});
const KERNELS: Record<'gemm' | 'gemmTiled' | 'gemmRows' | 'gemmRowsSubgroups', Record<GemmProduct, KernelSpec>> = {
  gemm: specs('gemm'),
  gemmTiled: specs('gemmTiled'),
  gemmRows: specs('gemmRows'),
  gemmRowsSubgroups: specs('gemmRowsSubgroups'),
};

function kernelOf(tiling: GemmTiling, kind: GemmProduct): KernelSpec {
  if (tiling.kind === 'direct') return KERNELS.gemm[kind];
  if (tiling.kind === 'block') return KERNELS.gemmTiled[kind];
  return KERNELS[tiling.subgroups ? 'gemmRowsSubgroups' : 'gemmRows'][kind];
}

const FORWARD_NAIVE: KernelSpec = { family: 'gemm', entry: 'forward_naive', bindings: BINDINGS.forward };

/** Whether A and B are k-major (consecutive k adjacent in memory) in each product. */
const K_MAJOR: Record<GemmProduct, readonly [a: boolean, b: boolean]> = {
  forward: [true, true],
  backward_input: [true, false],
  backward_weight: [false, false],
};

/** Element (r, k) of an operand at off + r·rs + k when k-major, at off + k·rs + r otherwise. */
interface Strided {
  readonly off: number;
  readonly rs: number;
}

/** One of the layer's products as C = A · B (A is M×K, B is K×N), its tensors in binding order. */
interface Product {
  readonly kind: GemmProduct;
  readonly op: string;
  readonly label: string;
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly a: Strided;
  readonly b: Strided;
  readonly c: Strided;
  /** backward_input: Y_prev, shaped like C. */
  readonly p: Strided;
  /** forward: b in B's buffer; backward_weight: db in C's buffer. */
  readonly biasOff: number;
  readonly act: number;
  readonly tensors: readonly Tensor[];
}

/**
 * gemm-tiled.wgsl's `vec`: which of A (1), B (2) and C with P (4) load and store as whole
 * vec4s. An operand qualifies when every vec4 of it that a block touches is aligned: it starts
 * on a multiple of 4 floats with a row stride that is one too, and (when its rows are not
 * k-major) the clamped last vec4 of a row stays whole.
 */
function vecBits(p: Product): number {
  const [aK, bK] = K_MAJOR[p.kind];
  const aligned = (s: Strided) => s.off % 4 === 0 && s.rs % 4 === 0;
  const a = aligned(p.a) && (aK || p.M % 4 === 0);
  const b = aligned(p.b) && (bK || p.N % 4 === 0);
  const c = aligned(p.c) && (p.kind !== 'backward_input' || aligned(p.p));
  return Number(a) | (Number(b) << 1) | (Number(c) << 2);
}

function sameBuffer(op: string, a: Tensor, b: Tensor, why: string): void {
  if (a.buffer !== b.buffer) throw new ShapeError(op, `${a.label} and ${b.label} must share one buffer (${why})`);
}

/** Why a block tiling cannot run on this device, or null. */
export function blockTilingProblem(gpu: Gpu, t: BlockTiling): string | null {
  const wgM = t.BM / t.TM;
  const wgN = t.BN / t.TN;
  const threads = wgM * wgN;
  const slots = (rows: number) => Math.ceil((rows * t.BK) / 4 / threads);
  const sharedBytes = 2 * t.BK * (t.BM / 4 + 1 + t.BN / 4 + 1) * 16;
  const l = gpu.limits;
  if (![4, 8].includes(t.TM) || ![4, 8].includes(t.TN)) return `TM and TN must be 4 or 8, got ${t.TM} and ${t.TN}`;
  if (!Number.isInteger(wgM) || !Number.isInteger(wgN)) return `BM must be a multiple of TM and BN of TN, got ${t.BM}×${t.BN} and ${t.TM}×${t.TN}`;
  if (t.BK % 4 !== 0 || t.BK < 4) return `BK must be a multiple of 4, got ${t.BK}`;
  if (wgN < t.BK || threads < t.BM) return `BN/TN must be at least BK and the workgroup at least BM invocations (the bias gradient's sums)`;
  if (slots(t.BM) > 4 || slots(t.BN) > 4) return `a slice of BK × BM or BK × BN needs more than 4 vec4s per invocation`;
  if (threads > l.maxComputeInvocationsPerWorkgroup || wgN > l.maxComputeWorkgroupSizeX || wgM > l.maxComputeWorkgroupSizeY) {
    return `${wgN}×${wgM} invocations exceed this device's workgroup limits`;
  }
  if (sharedBytes > l.maxComputeWorkgroupStorageSize) {
    return `needs ${sharedBytes} bytes of workgroup memory, more than this device's ${l.maxComputeWorkgroupStorageSize}`;
  }
  return null;
}

/** Why a rows tiling cannot run on this device, or null. */
export function rowsTilingProblem(gpu: Gpu, t: RowsTiling): string | null {
  const l = gpu.limits;
  const sharedBytes = (t.RN * t.RK + t.RN) * t.WG * 4 + 4;
  if (![4, 8].includes(t.RN) || ![4, 8].includes(t.RK)) return `RN and RK must be 4 or 8, got ${t.RN} and ${t.RK}`;
  if (t.WG > l.maxComputeInvocationsPerWorkgroup || t.WG > l.maxComputeWorkgroupSizeX) return `${t.WG} invocations exceed this device's workgroup limits`;
  if (sharedBytes > l.maxComputeWorkgroupStorageSize) {
    return `needs ${sharedBytes} bytes of workgroup memory, more than this device's ${l.maxComputeWorkgroupStorageSize}`;
  }
  if (t.subgroups && !gpu.features.includes('subgroups')) return 'this device was not given the subgroups feature';
  return null;
}

/** Why a tiling cannot compute this product on this device, or null. */
function tilingProblem(gpu: Gpu, p: Product, tiling: GemmTiling): string | null {
  if (tiling.kind === 'direct') return tiling.TM >= 1 && tiling.TM <= MAX_TM ? null : `TM must be 1..${MAX_TM}, got ${tiling.TM}`;
  if (tiling.kind === 'rows' && p.kind !== 'backward_weight') return 'it computes only linearBackwardWeight';
  const problem = tiling.kind === 'block' ? blockTilingProblem(gpu, tiling) : rowsTilingProblem(gpu, tiling);
  if (problem) return problem;
  // These kernels bind tensors as vec4 arrays: every dynamic window must be whole vec4s.
  if (!p.tensors.every((t) => t.window === undefined || t.window % 16 === 0)) return 'every batch window must be a multiple of 16 bytes';
  return null;
}

function checkTiling(gpu: Gpu, p: Product, tiling: GemmTiling): void {
  const problem = tilingProblem(gpu, p, tiling);
  if (problem) throw new ShapeError(p.op, `tiling ${tiling.name}: ${problem}`);
}

function directParams(p: Product, t: DirectTiling): { params: ArrayBuffer; workgroups: number } {
  const [aK, bK] = K_MAJOR[p.kind];
  const tilesN = Math.ceil(p.N / (t.WGX * 4));
  const workgroups = tilesN * Math.ceil(p.M / (t.WGY * t.TM));
  const [aRs, aCs] = aK ? [p.a.rs, 1] : [1, p.a.rs];
  const [bRs, bCs] = bK ? [1, p.b.rs] : [p.b.rs, 1];
  const params = u32s([
    p.M, p.N, p.K, tilesN,
    p.a.off, aRs, aCs, workgroups,
    p.b.off, bRs, bCs, p.biasOff,
    p.c.off, p.c.rs, p.p.off, p.p.rs,
  ]);
  return { params, workgroups };
}

function blockParams(p: Product, t: BlockTiling, vec: number): { params: ArrayBuffer; workgroups: number } {
  const tilesN = Math.ceil(p.N / t.BN);
  const workgroups = tilesN * Math.ceil(p.M / t.BM);
  const params = u32s([
    p.M, p.N, p.K, tilesN,
    workgroups, p.c.off, p.c.rs, p.biasOff,
    p.a.off, p.a.rs, p.b.off, p.b.rs,
    p.p.off, p.p.rs, p.act, vec,
  ]);
  return { params, workgroups };
}

/** gemm-rows.wgsl's uniform: its M is the batch (this product's K), N the outputs, K the inputs. */
function rowsParams(p: Product, t: RowsTiling, vec: number): { params: ArrayBuffer; workgroups: number } {
  const [rows, outputs, inputs] = [p.K, p.M, p.N];
  const tilesK = Math.ceil(inputs / t.RK);
  const workgroups = tilesK * Math.ceil(outputs / t.RN);
  const params = u32s([
    rows, outputs, inputs, tilesK,
    workgroups, p.a.off, p.b.off, p.c.off,
    p.biasOff, vec, 0, 0,
  ]);
  return { params, workgroups };
}

function plan(gpu: Gpu, p: Product, tiling: GemmTiling, vec = vecBits(p)): Promise<Launch> {
  const kernel = kernelOf(tiling, p.kind);
  const label = `${p.label} [${tiling.name}]`;
  if (tiling.kind === 'rows') {
    const { params, workgroups } = rowsParams(p, tiling, vec);
    return makeLaunch(gpu, { kernel, params, workgroups, label, tensors: p.tensors, constants: { RN: tiling.RN, RK: tiling.RK, WG: tiling.WG } });
  }
  if (tiling.kind === 'direct') {
    const { params, workgroups } = directParams(p, tiling);
    return makeLaunch(gpu, {
      kernel, params, workgroups, label, tensors: p.tensors,
      constants: { TM: tiling.TM, WGX: tiling.WGX, WGY: tiling.WGY, ACT: p.act },
    });
  }
  const { params, workgroups } = blockParams(p, tiling, vec);
  const { BM, BN, BK, TM, TN } = tiling;
  return makeLaunch(gpu, { kernel, params, workgroups, label, tensors: p.tensors, constants: { BM, BN, BK, TM, TN } });
}

// ---- choosing a tiling --------------------------------------------------------------------

/** A tiling to use for every product, or `tune`: time the candidates even on a CPU adapter. */
export type GemmChoice = GemmTiling | 'tune';

const forced = new WeakMap<GPUDevice, GemmChoice>();

/** The tiling called `name`, or `tune`; an unknown name is an error that lists the known ones. */
export function gemmChoiceNamed(name: string): GemmChoice {
  if (name === 'tune') return 'tune';
  const tiling = GEMM_TILINGS.find((t) => t.name === name);
  if (!tiling) throw new Error(`unknown GEMM tiling "${name}"; expected tune or one of ${GEMM_TILINGS.map((t) => t.name).join(', ')}`);
  return tiling;
}

/**
 * Makes every GEMM on this device that names no tiling use `choice` (a tiling, a name from
 * GEMM_TILINGS, or `tune`) instead of the default; a rows tiling applies to dW alone. null
 * restores the default. In Node, NETAE_GEMM_TILING=<name> does the same for every device that
 * has none forced.
 */
export function forceGemmTiling(gpu: Gpu, choice: GemmChoice | string | null): void {
  if (choice === null) forced.delete(gpu.device);
  else forced.set(gpu.device, typeof choice === 'string' ? gemmChoiceNamed(choice) : choice);
}

function envChoice(): GemmChoice | null {
  const name = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NETAE_GEMM_TILING;
  if (!name) return null;
  try {
    return gemmChoiceNamed(name);
  } catch (error) {
    throw new Error(`NETAE_GEMM_TILING: ${(error as Error).message}`);
  }
}

/** Sizes 2^(j−1) < n ≤ 2^j share a tuning: the tile that wins for one wins for its neighbours. */
function sizeClass(n: number): number {
  return 2 ** Math.ceil(Math.log2(n));
}

/**
 * Runs per tuning measurement: about 10 GFLOP on a GPU (milliseconds at its speed, so that a
 * device without timestamps, timed by the wall clock, measures its kernels more than its
 * submit), 0.2 on a CPU adapter made to tune; 1 to 200 runs.
 */
function tuningReps(gpu: Gpu, p: Product): number {
  const flop = isCpuAdapter(gpu) ? 2e8 : 1e10;
  return Math.max(1, Math.min(200, Math.round(flop / (2 * p.M * p.N * p.K))));
}

/** The same product on scratch tensors of the same shapes and strides, for timing. */
function scratchProduct(gpu: Gpu, p: Product): { product: Product; release(): void } {
  const [aK, bK] = K_MAJOR[p.kind];
  const aLen = (aK ? p.M : p.K) * p.a.rs;
  const bLen = (bK ? p.N : p.K) * p.b.rs;
  const cLen = p.M * p.c.rs;
  const a = createTensor(gpu, 1, aLen, 'tuning A');
  const b = createTensor(gpu, 1, bLen + (p.kind === 'forward' ? p.N : 0), 'tuning B');
  const c = createTensor(gpu, 1, cLen + (p.kind === 'backward_weight' ? p.M : 0), 'tuning C');
  const extra = p.kind === 'backward_input' ? [createTensor(gpu, 1, p.M * p.p.rs, 'tuning P')] : [];
  const tensors = [a, b, c, ...extra];
  const biasOff = p.kind === 'forward' ? bLen : p.kind === 'backward_weight' ? cLen : 0;
  return {
    product: {
      ...p, act: 0, tensors, biasOff, label: `tuning ${p.kind}`,
      a: { off: 0, rs: p.a.rs }, b: { off: 0, rs: p.b.rs }, c: { off: 0, rs: p.c.rs }, p: { off: 0, rs: p.p.rs },
    },
    release: () => tensors.forEach((t) => t.buffer.destroy()),
  };
}

/**
 * The tiling of a product that names none: a forced one if set (a rows tiling for dW alone);
 * the direct tiles on CPU adapters; on GPUs the fastest tiling that can compute this product,
 * timed once per product and size class.
 */
async function tilingFor(gpu: Gpu, p: Product): Promise<GemmTiling> {
  const choice = forced.get(gpu.device) ?? envChoice();
  if (choice && choice !== 'tune' && (choice.kind !== 'rows' || p.kind === 'backward_weight')) return choice;
  if (isCpuAdapter(gpu) && choice !== 'tune') return DIRECT_TILES;
  const candidates = [DIRECT_TILES, ...BLOCK_TILINGS, ...ROWS_TILINGS].filter((t) => tilingProblem(gpu, p, t) === null);
  if (candidates.length === 1) return candidates[0];
  const vec = vecBits(p);
  let scratch: ReturnType<typeof scratchProduct> | null = null;
  return fastest<GemmTiling>(gpu, {
    key: `${p.kind} ${sizeClass(p.M)}×${sizeClass(p.N)}×${sizeClass(p.K)} vec ${vec}`,
    candidates,
    reps: tuningReps(gpu, p),
    async launches(tiling) {
      scratch ??= scratchProduct(gpu, p);
      return [await plan(gpu, scratch.product, tiling, vec)];
    },
    done: () => scratch?.release(),
  });
}

async function launchProduct(gpu: Gpu, p: Product, tiles: GemmTiling | undefined): Promise<Launch> {
  const tiling = tiles ?? (await tilingFor(gpu, p));
  checkTiling(gpu, p, tiling);
  return plan(gpu, p, tiling);
}

// ---- the layer's products -----------------------------------------------------------------

export interface LinearForwardArgs {
  x: Tensor;
  w: Tensor;
  b: Tensor;
  y: Tensor;
  act: Activation;
  /** A tiling to use instead of the device's choice (tests, benchmarks). */
  tiles?: GemmTiling;
}

function forwardProduct(op: string, { x, w, b, y, act }: LinearForwardArgs): Product {
  const [M, K, N] = [x.rows, x.cols, w.rows];
  expectShape(op, w, N, K, `to multiply ${describe(x)}`);
  expectShape(op, b, 1, N, `for ${describe(w)}`);
  expectShape(op, y, M, N, `for ${describe(x)} · ${describe(w)}ᵀ`);
  sameBuffer(op, w, b, 'the parameters are bound once');
  return {
    kind: 'forward', op, M, N, K,
    label: `${op} ${describe(x)} · ${describe(w)}ᵀ + ${b.label} → ${describe(y)} (${act})`,
    a: { off: x.offset, rs: K },
    b: { off: w.offset, rs: K },
    c: { off: y.offset, rs: N },
    p: { off: 0, rs: 0 },
    biasOff: b.offset,
    act: actCode(op, act),
    tensors: [x, w, y],
  };
}

/** Y = act(X · Wᵀ + b). W is [out × in] as PyTorch stores it; b lies in W's buffer. */
export async function linearForward(gpu: Gpu, args: LinearForwardArgs): Promise<Launch> {
  return launchProduct(gpu, forwardProduct('linearForward', args), args.tiles);
}

/** The same product with one output per invocation: the baseline for benchmarks. */
export async function linearForwardNaive(gpu: Gpu, args: LinearForwardArgs): Promise<Launch> {
  const p = forwardProduct('linearForwardNaive', args);
  return makeLaunch(gpu, {
    kernel: FORWARD_NAIVE,
    constants: { ACT: p.act },
    params: directParams(p, DIRECT_TILES).params,
    tensors: p.tensors,
    workgroups: Math.ceil((p.M * p.N) / 64),
    label: `${p.label} [naive]`,
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
  tiles?: GemmTiling;
}

/** dZ_prev = (dZ · W) ⊙ act'(Y_prev) */
export async function linearBackwardInput(gpu: Gpu, { dz, w, prev, dx, act, tiles }: LinearBackwardInputArgs): Promise<Launch> {
  const op = 'linearBackwardInput';
  const [M, N, K] = [dz.rows, dz.cols, w.cols];
  expectShape(op, w, N, K, `to multiply ${describe(dz)}`);
  expectShape(op, prev, M, K, `for ${describe(dz)} · ${describe(w)}`);
  expectShape(op, dx, M, K, `for ${describe(dz)} · ${describe(w)}`);
  return launchProduct(gpu, {
    kind: 'backward_input', op, M, N: K, K: N,
    label: `${op} ${describe(dz)} · ${describe(w)} ⊙ ${act}'(${describe(prev)}) → ${describe(dx)}`,
    a: { off: dz.offset, rs: N },
    b: { off: w.offset, rs: K },
    c: { off: dx.offset, rs: K },
    p: { off: prev.offset, rs: K },
    biasOff: 0,
    act: actCode(op, act),
    tensors: [dz, w, dx, prev],
  }, tiles);
}

export interface LinearBackwardWeightArgs {
  dz: Tensor;
  x: Tensor;
  dw: Tensor;
  db: Tensor;
  tiles?: GemmTiling;
}

/** dW = dZᵀ · X and db = Σ_rows dZ, in one dispatch; db lies in dW's buffer. */
export async function linearBackwardWeight(gpu: Gpu, { dz, x, dw, db, tiles }: LinearBackwardWeightArgs): Promise<Launch> {
  const op = 'linearBackwardWeight';
  const [M, N, K] = [dz.rows, dz.cols, x.cols];
  expectShape(op, x, M, K, `to pair with ${describe(dz)}`);
  expectShape(op, dw, N, K, `for ${describe(dz)}ᵀ · ${describe(x)}`);
  expectShape(op, db, 1, N, `for ${describe(dz)}`);
  sameBuffer(op, dw, db, 'the gradients are bound once');
  return launchProduct(gpu, {
    kind: 'backward_weight', op, M: N, N: K, K: M,
    label: `${op} ${describe(dz)}ᵀ · ${describe(x)} → ${describe(dw)}, ${describe(db)}`,
    a: { off: dz.offset, rs: N },
    b: { off: x.offset, rs: K },
    c: { off: dw.offset, rs: K },
    p: { off: 0, rs: 0 },
    biasOff: db.offset,
    act: 0,
    tensors: [dz, x, dw],
  }, tiles);
}
