import type { Gpu } from './device';
import { ShapeError, describe } from './errors';
import { R, U, W, type KernelSpec } from './kernels';
import { makeLaunch, u32s, type Launch } from './launch';
import type { Tensor } from './tensor';

const GATHER: KernelSpec = { family: 'rows', entry: 'gather', bindings: [U, R, R, W] };

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
    kernel: GATHER,
    constants: { WG: 64 },
    params: u32s([rows, x.cols, batch, slot]),
    tensors: [x, indexTensor, outTensor],
    workgroups: Math.ceil(rows / 64),
    label: `${op} ${rows} rows of ${describe(x)} in batches of ${batch}`,
  });
}
