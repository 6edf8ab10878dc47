import type { Gpu } from './device';
import { describe, expectShape } from './errors';
import { R, U, W, type KernelSpec } from './kernels';
import { makeLaunch, u32s, type Launch } from './launch';
import { createBuffer, type Tensor } from './tensor';

const SUM: KernelSpec = { family: 'reduce', entry: 'sum', bindings: [U, R, W] };

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
      kernel: SUM,
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
