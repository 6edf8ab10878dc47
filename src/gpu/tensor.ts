import type { Gpu } from './device';
import { ShapeError, type Shaped } from './errors';
import { settle } from './settle';

/** A row-major f32 matrix in a GPU buffer, starting `offset` elements into it. */
export interface Tensor extends Shaped {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  /**
   * For a binding that takes a dynamic offset: the bytes it covers from the buffer's start,
   * which the offset then moves (one batch of an epoch's batches). The whole buffer if unset.
   */
  readonly window?: number;
}

export const BYTES = 4;

/** The largest buffer that one binding may cover on this device. */
export function maxBindingBytes(gpu: Gpu): number {
  return Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
}

export function checkSize(gpu: Gpu, op: string, label: string, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows <= 0 || cols <= 0) {
    throw new ShapeError(op, `${label} [${rows}×${cols}] is empty or not whole; every tensor needs at least one row and one column`);
  }
  const bytes = rows * cols * BYTES;
  if (bytes > maxBindingBytes(gpu)) {
    throw new ShapeError(op, `${label} [${rows}×${cols}] needs ${bytes} bytes, more than the ${maxBindingBytes(gpu)} bytes this device binds at once; use fewer rows`);
  }
}

export function createBuffer(gpu: Gpu, bytes: number, label: string, usage = 0): GPUBuffer {
  return gpu.device.createBuffer({
    label,
    size: Math.max(16, Math.ceil(bytes / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | usage,
  });
}

export function createTensor(gpu: Gpu, rows: number, cols: number, label: string, data?: Float32Array): Tensor {
  checkSize(gpu, 'createTensor', label, rows, cols);
  if (data && data.length !== rows * cols) {
    throw new ShapeError('createTensor', `${label} [${rows}×${cols}] given ${data.length} values`);
  }
  const buffer = createBuffer(gpu, rows * cols * BYTES, label);
  if (data) gpu.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return { buffer, offset: 0, rows, cols, label };
}

/** A tensor over part of another's buffer: `rows × cols` values from element `offset` on. */
export function viewTensor(base: { buffer: GPUBuffer; label: string }, offset: number, rows: number, cols: number, label: string): Tensor {
  const end = (offset + rows * cols) * BYTES;
  if (offset < 0 || end > base.buffer.size) {
    throw new ShapeError('viewTensor', `${label} [${rows}×${cols}] at ${offset} runs past the end of ${base.label} (${base.buffer.size / BYTES} values)`);
  }
  return { buffer: base.buffer, offset, rows, cols, label };
}

/** Copies a tensor back to the CPU. */
export async function readTensor(gpu: Gpu, t: Tensor): Promise<Float32Array> {
  const bytes = t.rows * t.cols * BYTES;
  return new Float32Array(await readBytes(gpu, t.buffer, t.offset * BYTES, bytes));
}

export async function readBytes(gpu: Gpu, buffer: GPUBuffer, offset: number, bytes: number): Promise<ArrayBuffer> {
  const padded = Math.ceil(bytes / 4) * 4;
  const staging = gpu.device.createBuffer({ label: 'read-back', size: padded, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = gpu.device.createCommandEncoder({ label: 'read-back' });
  encoder.copyBufferToBuffer(buffer, offset, staging, 0, padded);
  gpu.submit([encoder.finish()], ['read-back']);
  try {
    await settle(staging.mapAsync(GPUMapMode.READ));
    return staging.getMappedRange().slice(0, bytes);
  } catch (error) {
    await gpu.check();
    throw error;
  } finally {
    staging.destroy();
  }
}
