import type { Gpu } from './device';
import { describe, ShapeError } from './errors';
import { R, U, W, type KernelSpec } from './kernels';
import { makeLaunch, u32s, type Launch } from './launch';
import { createBuffer, type Tensor } from './tensor';

const EXPAND: KernelSpec = { family: 'expand', entry: 'expand', bindings: [U, R, R, R, W] };

const EXPAND_WG = 64;

/**
 * How packed rows map onto dense rows of `width` features (see src/shaders/expand.wgsl): the
 * first `numeric` of a packed row's `words` are copied as they are; dense feature c is read from
 * word `wordOf[c]` and set to the bits `hot[c]` where that word is c.
 */
export interface PackedRowsLayout {
  readonly width: number;
  readonly numeric: number;
  readonly words: number;
  readonly wordOf: Uint32Array;
  readonly hot: Uint32Array;
}

/** A layout's tables on the GPU, made once for every expansion that uses it. */
export interface ExpandTables {
  readonly layout: PackedRowsLayout;
  readonly wordOf: Tensor;
  readonly hot: Tensor;
}

export function createExpandTables(gpu: Gpu, layout: PackedRowsLayout): ExpandTables {
  const { width, numeric, words, wordOf, hot } = layout;
  if (wordOf.length !== width || hot.length !== width) throw new ShapeError('expand', `tables of ${wordOf.length} and ${hot.length} entries for ${width} features`);
  if (!(numeric <= words && words <= width)) throw new ShapeError('expand', `${numeric} numeric features in ${words} words cannot make ${width} features`);
  const table = (values: Uint32Array, label: string): Tensor => {
    const buffer = createBuffer(gpu, values.byteLength, label);
    gpu.device.queue.writeBuffer(buffer, 0, values.buffer, values.byteOffset, values.byteLength);
    return { buffer, offset: 0, rows: 1, cols: width, label };
  };
  return { layout, wordOf: table(wordOf, 'packed word of each feature'), hot: table(hot, 'value of each present category') };
}

export function destroyExpandTables(tables: ExpandTables): void {
  tables.wordOf.buffer.destroy();
  tables.hot.buffer.destroy();
}

/** Writes the dense rows of `packed` [rows × words] into `out` [rows × width]. */
export async function expand(gpu: Gpu, { packed, tables, out }: { packed: Tensor; tables: ExpandTables; out: Tensor }): Promise<Launch> {
  const op = 'expand';
  const { width, numeric, words } = tables.layout;
  if (packed.cols !== words) throw new ShapeError(op, `${describe(packed)} should hold packed rows of ${words} words`);
  if (out.rows !== packed.rows || out.cols !== width) throw new ShapeError(op, `${describe(out)} should be [${packed.rows}×${width}] for ${describe(packed)}`);
  return makeLaunch(gpu, {
    kernel: EXPAND,
    constants: { WG: EXPAND_WG },
    params: u32s([packed.rows, width, words, numeric, packed.offset, out.offset]),
    tensors: [packed, tables.wordOf, tables.hot, out],
    workgroups: Math.ceil(packed.rows / EXPAND_WG),
    label: `${op} ${describe(packed)} → ${describe(out)}`,
  });
}
