import type { Gpu } from '../gpu/device';
import { createExpandTables, destroyExpandTables, expand, type ExpandTables, type PackedRowsLayout } from '../gpu/expand';
import { createKernelWeights, fitTiles, fusedLayout, fusedScore, type FusedLayout, type KernelWeights } from '../gpu/fused';
import { encodeLaunch, releaseLaunches, type Launch } from '../gpu/launch';
import { settle } from '../gpu/settle';
import { BYTES, createTensor, maxBindingBytes, type Tensor } from '../gpu/tensor';
import { fusedTiles, type BlockTiles, type FusedTiles } from '../gpu/tuning';
import type { RowBlocks } from './device-rows';
import { chunkRows, planScoring } from './scoring-plan';
import { createLayerTensors, createOutputs, destroyTensors, firstRows, type LayerTensors } from './network';
import { SQUARED, tailScale, type RowScore } from './row-score';
import { checkSpec, layersOf, parameterCount, type Layer, type LayerSpec } from './spec';

/** Chunks in flight: the GPU computing one or two while the host uploads the next and reads the oldest back. */
const SLOTS = 3;
/** Sizes of plan per slot and output: a chunk of any size runs the plan for its rows rounded up to an eighth of a chunk. */
const PLAN_SIZES = 8;
const MAX_PLANS = SLOTS * PLAN_SIZES * 2;

export interface ScorerOptions {
  readonly chunkRows?: number;
  /** The fused kernels' tiles (default: tuned for the adapter), or false for the per-layer path. */
  readonly fused?: FusedTiles | false;
  /** The layout of the packed rows that chunks may come as (see `start`); without it, chunks are dense rows. */
  readonly packed?: PackedRowsLayout;
  /** How a row's errors make its score (row-score.ts; a model's `rowScoreOf`); default the mean squared error. */
  readonly score?: RowScore;
  /** What errors call the model (its file); default "the model". */
  readonly source?: string;
}

type Output = 'scores' | 'reconstruction';
/** How a chunk's rows come: dense rows of the model's input, or packed rows the GPU expands into them. */
type Input = 'dense' | 'packed';

/**
 * A chunk's buffers, made once: its input rows (and the packed rows expanded into them, where
 * chunks may come packed), its scores and the staging buffer they are read back through.
 */
interface Slot {
  readonly index: number;
  readonly input: Tensor;
  readonly packed: Tensor | null;
  readonly scores: Tensor;
  readonly staging: GPUBuffer;
  /** Reads back the chunk last submitted through this slot (once; later calls share the result). */
  read: (() => Promise<Float32Array>) | null;
}

/** How the scorer computes: the fused kernel reading `wk`, or every layer's GEMM then the row error. */
type Engine =
  | { readonly path: 'fused'; readonly layout: FusedLayout; readonly weights: KernelWeights; readonly tiles: BlockTiles; readonly reconstruction: Tensor }
  | { readonly path: 'per-layer'; readonly params: LayerTensors; readonly outputs: Tensor[] };

/**
 * Scores rows with a trained model: forward and per-row error, in chunks that fit the
 * device, with buffers made once, so GPU memory does not grow with the number of rows. Where
 * the model fits the device's workgroup memory one dispatch scores a chunk
 * (src/shaders/fused.wgsl), else every layer's GEMM does. Chunks are pipelined over three
 * slots: while the GPU scores chunk i, the host copies chunk i+1 into its slot (the queue's
 * `writeBuffer`, no map round trip) and reads an earlier chunk back through its slot's staging
 * buffer (a caller that waits for chunk i−2 rather than i−1 leaves the GPU a chunk queued).
 * A chunk may come as packed rows (see src/shaders/expand.wgsl), fewer bytes to copy (NSL-KDD's
 * 78 features: 156 a row, not 312): a dispatch expands them into the slot's input before the
 * scoring reads it.
 */
export class Scorer {
  readonly chunk: number;
  private readonly layers: Layer[];
  private readonly engine: Engine;
  private readonly slots: Slot[];
  private next = 0;
  private reconstructionStaging: GPUBuffer | null = null;
  private readonly plans = new Map<string, Launch[]>();
  private readonly expandTables: ExpandTables | null;
  /** τ of the row score, 0 for the mean squared error. */
  private readonly tail: number;

  private constructor(
    private readonly gpu: Gpu, readonly spec: LayerSpec, params: Float32Array, chunk: number, fused: FusedTiles | false, packed: PackedRowsLayout | null, score: RowScore,
    private readonly source: string,
  ) {
    this.tail = tailScale(score);
    this.layers = layersOf(spec);
    this.chunk = chunk;
    const width = spec.widths[0];
    const layout = fusedLayout(this.layers);
    const tiles = fused ? fitTiles(gpu, layout, 'score', fused.score) : null;
    if (tiles) {
      this.engine = {
        path: 'fused', layout, tiles,
        weights: createKernelWeights(gpu, layout, params),
        reconstruction: createTensor(gpu, chunk, width, 'reconstruction'),
      };
    } else {
      this.engine = {
        path: 'per-layer',
        params: createLayerTensors(gpu, spec, 'params', '', params),
        outputs: createOutputs(gpu, this.layers, chunk, 'Y'),
      };
    }
    this.expandTables = packed === null ? null : createExpandTables(gpu, packed);
    this.slots = Array.from({ length: SLOTS }, (_, index) => ({
      index,
      input: createTensor(gpu, chunk, width, `X (slot ${index})`),
      packed: packed === null ? null : createTensor(gpu, chunk, packed.words, `packed X (slot ${index})`),
      scores: createTensor(gpu, chunk, 1, `scores (slot ${index})`),
      staging: gpu.device.createBuffer({ label: `scores read-back (slot ${index})`, size: chunk * BYTES, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
      read: null,
    }));
  }

  static create(gpu: Gpu, spec: LayerSpec, params: Float32Array, options: ScorerOptions = {}): Scorer {
    checkSpec(spec);
    const bytes = parameterCount(spec) * BYTES;
    if (bytes > maxBindingBytes(gpu)) {
      throw new Error(`the model ${spec.widths.join('-')} needs ${bytes.toLocaleString('en-US')} bytes for its parameters, more than the ${maxBindingBytes(gpu).toLocaleString('en-US')} this device allows in one buffer`);
    }
    const limit = chunkRows(gpu, layersOf(spec));
    const chunk = Math.min(options.chunkRows ?? limit, limit);
    if (!Number.isInteger(chunk) || chunk < 1) throw new Error(`chunk rows must be a whole number ≥ 1, got ${options.chunkRows}`);
    if (options.packed && options.packed.width !== spec.widths[0]) throw new Error(`packed rows of ${options.packed.width} features for a model of ${spec.widths[0]}`);
    return new Scorer(gpu, spec, params, chunk, options.fused ?? fusedTiles(gpu), options.packed ?? null, options.score ?? SQUARED, options.source ?? 'the model');
  }

  get width(): number {
    return this.spec.widths[0];
  }

  /** `fused`: one dispatch a chunk; `per-layer`: one a layer and one for the errors. */
  get path(): Engine['path'] {
    return this.engine.path;
  }

  private async plan(slot: Slot, rows: number, output: Output, input: Input): Promise<Launch[]> {
    const key = `${slot.index}:${rows}:${output}:${input}`;
    let launches = this.plans.get(key);
    if (!launches) {
      const [evict, old] = [...this.plans].find(([k]) => !k.includes(`:${this.chunk}:scores:`)) ?? [];
      if (this.plans.size >= MAX_PLANS && evict !== undefined && old) {
        releaseLaunches(old);
        this.plans.delete(evict);
      }
      const x = firstRows([slot.input], rows)[0];
      const scores = firstRows([slot.scores], rows)[0];
      const e = this.engine;
      if (e.path === 'fused') {
        const out = output === 'scores' ? scores : firstRows([e.reconstruction], rows)[0];
        launches = [await fusedScore(this.gpu, { layout: e.layout, x, weights: e.weights, out, reconstruct: output === 'reconstruction', tiles: e.tiles, tail: this.tail })];
      } else {
        launches = await planScoring(this.gpu, this.layers, e.params, x, firstRows(e.outputs, rows), scores, this.tail);
      }
      if (input === 'packed') {
        const packed = firstRows([slot.packed!], rows)[0];
        launches = [await expand(this.gpu, { packed, tables: this.expandTables!, out: x }), ...launches];
      }
      this.plans.set(key, launches);
    }
    return launches;
  }

  /** Words in a row of the input: the model's features, or a packed row's words. */
  private rowWords(input: Input): number {
    if (input === 'dense') return this.width;
    if (this.expandTables === null) throw new Error('scoring: packed rows given to a scorer made without their layout');
    return this.expandTables.layout.words;
  }

  private checkInput(values: Float32Array, input: Input = 'dense'): number {
    const words = this.rowWords(input);
    if (values.length % words !== 0) {
      throw new Error(`scoring: ${values.length} values are not whole ${input === 'dense' ? `rows of ${words} features` : `packed rows of ${words} words`}`);
    }
    return values.length / words;
  }

  /**
   * Submits one chunk of at most `chunk` rows and returns, without waiting for the GPU, a
   * function that reads its scores: the caller can prepare the next chunk meanwhile. With
   * `packed`, `values` holds packed rows of the layout the scorer was made with (their category
   * words are u32: the bytes are copied as they are).
   */
  async start(values: Float32Array, packed = false): Promise<() => Promise<Float32Array>> {
    const input: Input = packed ? 'packed' : 'dense';
    const rows = this.checkInput(values, input);
    if (rows > this.chunk) throw new Error(`a chunk holds at most ${this.chunk} rows, given ${rows}`);
    return this.submit(values, rows, 'scores', input);
  }

  private reconstructionOutput(): { source: GPUBuffer; staging: GPUBuffer } {
    const e = this.engine;
    const source = e.path === 'fused' ? e.reconstruction.buffer : e.outputs[e.outputs.length - 1].buffer;
    this.reconstructionStaging ??= this.gpu.device.createBuffer({
      label: 'reconstruction read-back', size: this.chunk * this.width * BYTES, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    return { source, staging: this.reconstructionStaging };
  }

  private async submit(values: Float32Array, rows: number, output: Output, input: Input): Promise<() => Promise<Float32Array>> {
    const slot = this.slots[this.next];
    this.next = (this.next + 1) % this.slots.length;
    if (slot.read) await slot.read().catch(() => undefined);
    const launches = await this.plan(slot, this.planRows(rows), output, input);
    const { source, staging } = output === 'scores' ? { source: slot.scores.buffer, staging: slot.staging } : this.reconstructionOutput();
    const bytes = rows * (output === 'scores' ? 1 : this.width) * BYTES;
    const target = input === 'packed' ? slot.packed! : slot.input;
    this.gpu.device.queue.writeBuffer(target.buffer, 0, values.buffer, values.byteOffset, rows * this.rowWords(input) * BYTES);
    const encoder = this.gpu.device.createCommandEncoder({ label: 'scoring' });
    const pass = encoder.beginComputePass({ label: 'scoring' });
    for (const launch of launches) encodeLaunch(pass, launch);
    pass.end();
    encoder.copyBufferToBuffer(source, 0, staging, 0, bytes);
    this.gpu.submit([encoder.finish()], launches.map((l) => l.label));
    let result: Promise<Float32Array> | null = null;
    const read = () => (result ??= this.readBack(staging, bytes).then((values) => (output === 'scores' ? this.numbers(values) : values)));
    slot.read = read;
    return read;
  }

  /**
   * The rows the plan for a chunk of `rows` computes: `rows` rounded up to an eighth of a chunk, so
   * that chunks of every size share a few plans. The rows past `rows` hold whatever the slot held
   * before; rows are computed independently and only the first `rows` results are read back.
   */
  private planRows(rows: number): number {
    const step = Math.ceil(this.chunk / PLAN_SIZES);
    return Math.min(this.chunk, Math.ceil(rows / step) * step);
  }

  /**
   * Scores read back, refused when one is NaN: the model's arithmetic overflowed float32 (weights
   * or feature factors far beyond what training makes), and a NaN ranks and flags nothing.
   */
  private numbers(scores: Float32Array): Float32Array {
    for (let i = 0; i < scores.length; i++) {
      if (scores[i] !== scores[i]) throw new Error(`${this.source} scores rows as NaN: its arithmetic overflows float32 (weights or feature factors far too large), so it cannot score`);
    }
    return scores;
  }

  private async readBack(staging: GPUBuffer, bytes: number): Promise<Float32Array> {
    try {
      await settle(staging.mapAsync(GPUMapMode.READ, 0, bytes));
      const values = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
      staging.unmap();
      return values;
    } catch (error) {
      await this.gpu.check();
      throw error;
    }
  }

  /** Reconstruction error of each row of a row-major matrix, any number of rows. */
  async score(values: Float32Array): Promise<Float32Array> {
    const rows = this.checkInput(values);
    const out = new Float32Array(rows);
    let pending: { r0: number; read: () => Promise<Float32Array> } | null = null;
    for (let r0 = 0; r0 < rows; r0 += this.chunk) {
      const n = Math.min(this.chunk, rows - r0);
      const read = await this.submit(values.subarray(r0 * this.width, (r0 + n) * this.width), n, 'scores', 'dense');
      if (pending) out.set(await pending.read(), pending.r0);
      pending = { r0, read };
    }
    if (pending) out.set(await pending.read(), pending.r0);
    return out;
  }

  /** Reconstruction error of each of the rows, read a chunk at a time. */
  async scoreBlocks(blocks: RowBlocks): Promise<Float32Array> {
    if (blocks.cols !== this.width) throw new Error(`the model takes rows of ${this.width} features, given ${blocks.cols}`);
    const out = new Float32Array(blocks.rows);
    for (let r0 = 0; r0 < blocks.rows; r0 += this.chunk) {
      out.set(await this.score(await blocks.read(r0, Math.min(this.chunk, blocks.rows - r0))), r0);
    }
    return out;
  }

  /** The model's reconstruction of up to `chunk` rows. */
  async reconstruct(values: Float32Array): Promise<Float32Array> {
    const rows = this.checkInput(values);
    if (rows > this.chunk) throw new Error(`reconstruct takes at most ${this.chunk} rows at a time, given ${rows}`);
    return (await this.submit(values, rows, 'reconstruction', 'dense'))();
  }

  release(): void {
    for (const launches of this.plans.values()) releaseLaunches(launches);
    this.plans.clear();
    const e = this.engine;
    destroyTensors(e.path === 'fused' ? [e.weights.wk, e.weights.wt, e.reconstruction] : [e.params.all, ...e.outputs]);
    destroyTensors(this.slots.flatMap((s) => [s.input, s.scores, ...(s.packed === null ? [] : [s.packed])]));
    if (this.expandTables !== null) destroyExpandTables(this.expandTables);
    for (const slot of this.slots) slot.staging.destroy();
    this.reconstructionStaging?.destroy();
  }
}
