import type { Gpu } from '../gpu/device';
import { BYTES, createTensor, readTensor, type Tensor } from '../gpu/tensor';
import type { Matrix32 } from './matrix';

/**
 * Training rows that live on the GPU: row i of the data is row `slots[i]` of `tensor` (row i
 * itself when there are no slots), so that rows can be written where there is room, in any order,
 * while the file is read, and the host never holds them all.
 */
export interface DeviceRows {
  readonly tensor: Tensor;
  readonly slots?: Uint32Array;
}

export function rowCount(rows: DeviceRows): number {
  return rows.slots?.length ?? rows.tensor.rows;
}

/** Bytes of rows gathered on the host before one write to the GPU. */
const STAGING_BYTES = 4 << 20;

/**
 * Bytes written to the GPU before {@link DeviceRowStore.settled} waits for the queue: a write is
 * copied into memory of the implementation's on the host (Dawn's staging), freed once the GPU has
 * done the copy, which a loop that only writes never waits for.
 */
const UNSETTLED_BYTES = 32 << 20;

/**
 * Rows put, one at a time, into the slots of a GPU tensor of `capacity` rows: runs of consecutive
 * slots are gathered on the host a few MiB at a time and written with one call; a row put in a
 * slot again replaces it.
 */
export class DeviceRowStore {
  readonly tensor: Tensor;
  private readonly staging: Float32Array;
  private first = 0;
  private staged = 0;
  /** Bytes written since the queue last finished. */
  private unsettled = 0;

  constructor(private readonly gpu: Gpu, readonly capacity: number, readonly cols: number) {
    this.tensor = createTensor(gpu, Math.max(1, capacity), cols, 'training rows');
    this.staging = new Float32Array(Math.max(1, Math.min(capacity, Math.floor(STAGING_BYTES / (cols * BYTES)))) * cols);
  }

  /** Writes the `cols` values of `source` from `offset` into row `slot`. */
  put(slot: number, source: Float32Array, offset: number): void {
    const { cols } = this;
    if (!(slot >= 0 && slot < this.capacity)) throw new RangeError(`slot ${slot} is outside the ${this.capacity} rows of ${this.tensor.label}`);
    if (this.staged > 0 && (slot !== this.first + this.staged || this.staged * cols === this.staging.length)) this.flush();
    if (this.staged === 0) this.first = slot;
    this.staging.set(source.subarray(offset, offset + cols), this.staged * cols);
    this.staged++;
  }

  /**
   * Resolves at once, or, once more than UNSETTLED_BYTES were written since the queue last
   * finished, when the GPU has done those writes: awaited between batches, it bounds the host
   * memory that writes in flight hold, whatever the number of rows.
   */
  async settled(): Promise<void> {
    if (this.unsettled <= UNSETTLED_BYTES) return;
    this.unsettled = 0;
    await this.gpu.device.queue.onSubmittedWorkDone();
  }

  /** The rows written, as `slots` orders them; what is staged goes to the GPU first. */
  rows(slots?: Uint32Array): DeviceRows {
    this.flush();
    return slots === undefined ? { tensor: this.tensor } : { tensor: this.tensor, slots };
  }

  release(): void {
    this.tensor.buffer.destroy();
  }

  private flush(): void {
    if (this.staged === 0) return;
    const bytes = this.staged * this.cols * BYTES;
    this.gpu.device.queue.writeBuffer(this.tensor.buffer, this.first * this.cols * BYTES, this.staging.buffer, 0, bytes);
    this.staged = 0;
    this.unsettled += bytes;
  }
}

/** A host matrix copied to the GPU a few MiB at a time, rows in order. */
export function uploadRows(gpu: Gpu, data: Matrix32): DeviceRows {
  const store = new DeviceRowStore(gpu, data.rows, data.cols);
  for (let r = 0; r < data.rows; r++) store.put(r, data.values, r * data.cols);
  return store.rows();
}

/** Slot of each row of `rows` named by `picked` (indices into the data), as the GPU holds them. */
export function slotsOf(rows: DeviceRows, picked: Uint32Array): Uint32Array {
  const { slots } = rows;
  return slots === undefined ? picked.slice() : picked.map((i) => slots[i]);
}

/**
 * A new tensor of the tensor's rows at `slots`, in that order, copied on the GPU: one copy per run
 * of consecutive slots.
 */
export function gatherRows(gpu: Gpu, from: Tensor, slots: Uint32Array, label: string): Tensor {
  const out = createTensor(gpu, slots.length, from.cols, label);
  const rowBytes = from.cols * BYTES;
  const encoder = gpu.device.createCommandEncoder({ label });
  for (let i = 0, n = 1; i < slots.length; i += n) {
    for (n = 1; i + n < slots.length && slots[i + n] === slots[i] + n; n++);
    encoder.copyBufferToBuffer(from.buffer, from.offset * BYTES + slots[i] * rowBytes, out.buffer, i * rowBytes, n * rowBytes);
  }
  gpu.submit([encoder.finish()], [label]);
  return out;
}

/** The rows at `slots` read back to the host, in that order. */
export async function readRows(gpu: Gpu, from: Tensor, slots: Uint32Array): Promise<Float32Array> {
  const picked = gatherRows(gpu, from, slots, 'rows read back');
  try {
    return await readTensor(gpu, picked);
  } finally {
    picked.buffer.destroy();
  }
}

/** Rows [rows × cols] read a block at a time, wherever they lie. */
export interface RowBlocks {
  readonly rows: number;
  readonly cols: number;
  /** Rows `first` to `first + count − 1`, a new array or a view the caller does not change. */
  read(first: number, count: number): Promise<Float32Array>;
}

/** The rows of a host matrix, as views. */
export function hostBlocks(m: Matrix32): RowBlocks {
  return { rows: m.rows, cols: m.cols, read: async (first, count) => m.values.subarray(first * m.cols, (first + count) * m.cols) };
}

/**
 * Rows 0 to `count − 1` of rows on the GPU, read back a block at a time: the host holds a block,
 * not the rows. They must stay on the GPU until the last block is read.
 */
export function deviceBlocks(gpu: Gpu, rows: DeviceRows, count: number): RowBlocks {
  return {
    rows: count,
    cols: rows.tensor.cols,
    read: (first, n) => readRows(gpu, rows.tensor, slotsOf(rows, Uint32Array.from({ length: n }, (_, i) => first + i))),
  };
}
