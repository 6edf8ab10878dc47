import type { Gpu } from '../gpu/device';
import { encodeLaunch, releaseLaunches, type Launch } from '../gpu/launch';
import { settle } from '../gpu/settle';
import { BYTES, createTensor, maxBindingBytes, type Tensor } from '../gpu/tensor';
import { planScoring } from './forward';
import { createLayerTensors, createOutputs, destroyTensors, firstRows, type LayerTensors } from './network';
import { checkSpec, layersOf, parameterCount, type Layer, type LayerSpec } from './spec';

const MAX_CHUNK = 65_536;

/** The most rows one chunk may hold: every layer's output for them must fit one binding. */
export function chunkRows(gpu: Gpu, layers: readonly Layer[]): number {
  const widest = Math.max(...layers.flatMap((l) => [l.inputs, l.outputs]));
  return Math.max(1, Math.min(MAX_CHUNK, Math.floor(maxBindingBytes(gpu) / (widest * BYTES))));
}

/**
 * Scores rows with a trained model: forward and per-row error, in chunks that fit the
 * device, with buffers made once, so GPU memory does not grow with the number of rows.
 */
export class Scorer {
  readonly chunk: number;
  private readonly layers: Layer[];
  private readonly params: LayerTensors;
  private readonly input: Tensor;
  private readonly outputs: Tensor[];
  private readonly scores: Tensor;
  private readonly plans = new Map<number, Launch[]>();

  private constructor(private readonly gpu: Gpu, readonly spec: LayerSpec, params: Float32Array, chunk: number) {
    this.layers = layersOf(spec);
    this.chunk = chunk;
    this.params = createLayerTensors(gpu, spec, 'params', '', params);
    this.input = createTensor(gpu, chunk, spec.widths[0], 'X');
    this.outputs = createOutputs(gpu, this.layers, chunk, 'Y');
    this.scores = createTensor(gpu, chunk, 1, 'scores');
  }

  static create(gpu: Gpu, spec: LayerSpec, params: Float32Array, options: { chunkRows?: number } = {}): Scorer {
    checkSpec(spec);
    const bytes = parameterCount(spec) * BYTES;
    if (bytes > maxBindingBytes(gpu)) {
      throw new Error(`the model ${spec.widths.join('-')} needs ${bytes.toLocaleString('en-US')} bytes for its parameters, more than the ${maxBindingBytes(gpu).toLocaleString('en-US')} this device allows in one buffer`);
    }
    const limit = chunkRows(gpu, layersOf(spec));
    const chunk = Math.min(options.chunkRows ?? limit, limit);
    if (!Number.isInteger(chunk) || chunk < 1) throw new Error(`chunk rows must be a whole number ≥ 1, got ${options.chunkRows}`);
    return new Scorer(gpu, spec, params, chunk);
  }

  get width(): number {
    return this.spec.widths[0];
  }

  private async plan(rows: number): Promise<Launch[]> {
    let launches = this.plans.get(rows);
    if (!launches) {
      const [evict, old] = [...this.plans].find(([n]) => n !== this.chunk) ?? [];
      if (this.plans.size >= 4 && evict !== undefined && old) {
        releaseLaunches(old);
        this.plans.delete(evict);
      }
      const [x, outputs, scores] = [firstRows([this.input], rows)[0], firstRows(this.outputs, rows), firstRows([this.scores], rows)[0]];
      launches = await planScoring(this.gpu, this.layers, this.params, x, outputs, scores);
      this.plans.set(rows, launches);
    }
    return launches;
  }

  private checkInput(values: Float32Array): number {
    if (values.length % this.width !== 0) {
      throw new Error(`scoring: ${values.length} values are not whole rows of ${this.width} features`);
    }
    return values.length / this.width;
  }

  /**
   * Submits one chunk of at most `chunk` rows and returns, without waiting for the GPU, a
   * function that reads its scores: the caller can prepare the next chunk meanwhile.
   */
  async start(values: Float32Array): Promise<() => Promise<Float32Array>> {
    const rows = this.checkInput(values);
    if (rows > this.chunk) throw new Error(`a chunk holds at most ${this.chunk} rows, given ${rows}`);
    return this.submit(values, rows, 'scores');
  }

  private async submit(values: Float32Array, rows: number, read: 'scores' | 'reconstruction'): Promise<() => Promise<Float32Array>> {
    const launches = await this.plan(rows);
    const source = read === 'scores' ? this.scores : this.outputs[this.outputs.length - 1];
    const bytes = rows * (read === 'scores' ? 1 : this.width) * BYTES;
    const staging = this.gpu.device.createBuffer({ label: `${read} read-back`, size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.gpu.device.queue.writeBuffer(this.input.buffer, 0, values.buffer, values.byteOffset, rows * this.width * BYTES);
    const encoder = this.gpu.device.createCommandEncoder({ label: 'scoring' });
    const pass = encoder.beginComputePass({ label: 'scoring' });
    for (const launch of launches) encodeLaunch(pass, launch);
    pass.end();
    encoder.copyBufferToBuffer(source.buffer, 0, staging, 0, bytes);
    this.gpu.submit([encoder.finish()], launches.map((l) => l.label));
    return async () => {
      try {
        await settle(staging.mapAsync(GPUMapMode.READ));
        return new Float32Array(staging.getMappedRange().slice(0));
      } catch (error) {
        await this.gpu.check();
        throw error;
      } finally {
        staging.destroy();
      }
    };
  }

  /** Reconstruction error of each row of a row-major matrix, any number of rows. */
  async score(values: Float32Array): Promise<Float32Array> {
    const rows = this.checkInput(values);
    const out = new Float32Array(rows);
    let pending: { r0: number; read: () => Promise<Float32Array> } | null = null;
    for (let r0 = 0; r0 < rows; r0 += this.chunk) {
      const n = Math.min(this.chunk, rows - r0);
      const read = await this.submit(values.subarray(r0 * this.width, (r0 + n) * this.width), n, 'scores');
      if (pending) out.set(await pending.read(), pending.r0);
      pending = { r0, read };
    }
    if (pending) out.set(await pending.read(), pending.r0);
    return out;
  }

  /** The model's reconstruction of up to `chunk` rows. */
  async reconstruct(values: Float32Array): Promise<Float32Array> {
    const rows = this.checkInput(values);
    if (rows > this.chunk) throw new Error(`reconstruct takes at most ${this.chunk} rows at a time, given ${rows}`);
    return (await this.submit(values, rows, 'reconstruction'))();
  }

  release(): void {
    for (const launches of this.plans.values()) releaseLaunches(launches);
    this.plans.clear();
    destroyTensors([this.params.all, this.input, ...this.outputs, this.scores]);
  }
}

