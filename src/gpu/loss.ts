import { actCode, type Activation } from './activation';
import type { Gpu } from './device';
import { describe, expectShape } from './errors';
import { R, RD, U, W, WD, type KernelSpec } from './kernels';
import { makeLaunch, u32s, type Launch } from './launch';
import type { Tensor } from './tensor';

const MSE: KernelSpec = { family: 'mse', entry: 'mse', bindings: [U, R, RD, W, W, WD] };
const ROW_ERROR: KernelSpec = { family: 'score', entry: 'row_error', bindings: [U, R, R, W] };

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
    kernel: MSE,
    constants: { ACT: actCode(op, act) },
    params: u32s([M, N, y.offset, target.offset, dz.offset, rowErr.offset, 0, 0]),
    tensors: [y, target, dz, rowErr, loss],
    workgroups: 1,
    label: `${op} ${describe(y)} vs ${describe(target)} (${act})`,
  });
}

const ROW_WG = 64;

/**
 * score[m] = mean_n feature_score(Y[m,n] − X[m,n], τ) (src/shaders/row-score.wgsl): with τ = 0,
 * the default, mean_n (Y[m,n] − X[m,n])².
 */
export async function rowError(gpu: Gpu, { y, x, out, tail = 0 }: { y: Tensor; x: Tensor; out: Tensor; tail?: number }): Promise<Launch> {
  const op = 'rowError';
  const [M, N] = [y.rows, y.cols];
  expectShape(op, x, M, N, `to compare with ${describe(y)}`);
  expectShape(op, out, M, 1, `for ${describe(y)}`);
  return makeLaunch(gpu, {
    kernel: ROW_ERROR,
    constants: { WG: ROW_WG },
    params: scoreParams([M, N, y.offset, x.offset, out.offset], tail),
    tensors: [y, x, out],
    workgroups: Math.ceil(M / ROW_WG),
    label: `${op} ${describe(y)} vs ${describe(x)} → ${describe(out)}`,
  });
}

/** The `Score` uniform of score.wgsl: five counts and offsets, then τ. */
function scoreParams(counts: readonly number[], tail: number): ArrayBuffer {
  const view = new DataView(u32s([...counts, 0, 0, 0]));
  view.setFloat32(4 * counts.length, tail, true);
  return view.buffer;
}
