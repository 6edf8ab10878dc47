import type { Gpu } from './device';
import { ShapeError, describe, expectShape } from './errors';
import { R, U, W, type KernelSpec } from './kernels';
import { makeLaunch, type Launch } from './launch';
import type { Tensor } from './tensor';

const ADAM: KernelSpec = { family: 'adam', entry: 'adam', bindings: [U, W, R, W, W, W] };

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

/** Writes the `AdamRule` struct of adam-rule.wgsl (32 bytes) at `byteOffset`. */
export function packAdamRule(view: DataView, byteOffset: number, h: AdamHyper): void {
  [h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, Math.log(h.beta1), Math.log(h.beta2), 0]
    .forEach((value, i) => view.setFloat32(byteOffset + 4 * i, value, true));
}

/** The `Adam` uniform of adam.wgsl. */
function adamParams(n: number, h: AdamHyper): ArrayBuffer {
  const view = new DataView(new ArrayBuffer(48));
  view.setUint32(0, n, true);
  view.setUint32(4, adamGroups(n), true);
  packAdamRule(view, 16, h);
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

export function checkHyper(op: string, h: AdamHyper): void {
  for (const [name, value] of Object.entries(h)) {
    if (!Number.isFinite(value) || value < 0) throw new ShapeError(op, `${name} must be a finite number ≥ 0, got ${value}`);
  }
  if (h.beta1 >= 1 || h.beta2 >= 1) throw new ShapeError(op, `betas must be below 1, got ${h.beta1}, ${h.beta2}`);
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
    kernel: ADAM,
    constants: { WG: ADAM_WG },
    params: adamParams(n, hyper),
    tensors: [params, grads, m, v, stepsTensor],
    workgroups: adamGroups(n),
    label: `${op} ${describe(params)}`,
  });
}
