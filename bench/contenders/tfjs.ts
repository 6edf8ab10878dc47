import type * as Tf from '@tensorflow/tfjs-core';
import { adapterTitle, loadDawn } from '../../src/gpu/device';
import { settle } from '../../src/gpu/settle';
import { permutation, seededRandom } from '../../src/model/random';
import { layersOf, type LayerSpec } from '../../src/model/spec';
import type { Matrix32 } from '../../src/model/matrix';
import { gemmFill, gemmReps } from '../gemm-common';
import { CANONICAL } from '../workload';
import { FULL_ROWS, SLOW_ROWS } from './rows';
import { timeScoring } from './scoring';
import type { Contender, ScoreFigure, TrainFigure } from './types';

type TfModule = typeof Tf;
type TfBackend = 'webgpu' | 'cpu';

const SCORE_CHUNK = 65_536;
/**
 * Steps between reads of the running loss, as a training loop that logs progress does.
 * Queued without any wait, a whole canonical epoch (264 steps) crashes dawn.node on lavapipe.
 */
const SYNC_EVERY = 16;

/**
 * TensorFlow.js's WebGPU backend needs `navigator.gpu`; in Node it gets a Dawn instance of
 * its own from the same `webgpu` package that netae uses, so it runs on the same adapter.
 */
async function installNavigatorGpu(): Promise<void> {
  const current = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (current?.gpu) return;
  const dawn = await loadDawn();
  Object.defineProperty(globalThis, 'navigator', {
    value: { userAgent: 'node', gpu: dawn.create([]) }, configurable: true, writable: true,
  });
}

let loaded: Promise<TfModule> | null = null;

async function loadTf(): Promise<TfModule> {
  loaded ??= (async () => {
    await installNavigatorGpu();
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-core/dist/register_all_gradients');
    await import('@tensorflow/tfjs-backend-cpu');
    await import('@tensorflow/tfjs-backend-webgpu');
    tf.enableProdMode();
    return tf;
  })();
  return loaded;
}

async function useBackend(backend: TfBackend): Promise<TfModule> {
  const tf = await loadTf();
  if (!(await tf.setBackend(backend))) throw new Error(`TensorFlow.js could not start its ${backend} backend`);
  await tf.ready();
  return tf;
}

interface Dense {
  readonly w: Tf.Variable;
  readonly b: Tf.Variable;
  readonly activation: LayerSpec['activations'][number];
}

/** The autoencoder as TensorFlow.js layers would build it: fused matMul + bias + activation, weights [out, in]. */
function buildModel(tf: TfModule, spec: LayerSpec, params: Float32Array): Dense[] {
  return layersOf(spec).map((l) => ({
    w: tf.variable(tf.tensor2d(params.slice(l.weightOffset, l.biasOffset), [l.outputs, l.inputs])),
    b: tf.variable(tf.tensor1d(params.slice(l.biasOffset, l.biasOffset + l.outputs))),
    activation: l.activation,
  }));
}

function forward(tf: TfModule, model: readonly Dense[], x: Tf.Tensor2D): Tf.Tensor2D {
  let h = x;
  for (const { w, b, activation } of model) {
    const z = activation === 'tanh'
      ? tf.tanh(tf.fused.matMul({ a: h, b: w, transposeB: true, bias: b }))
      : tf.fused.matMul({ a: h, b: w, transposeB: true, bias: b, activation: activation === 'identity' ? 'linear' : activation });
    h = z as Tf.Tensor2D;
  }
  return h;
}

function disposeModel(model: readonly Dense[]): void {
  for (const { w, b } of model) {
    w.dispose();
    b.dispose();
  }
}

/** One epoch as a TensorFlow.js user writes it: shuffle on the device, slice batches, `optimizer.minimize`. */
async function trainEpoch(tf: TfModule, spec: LayerSpec, data: Matrix32, init: Float32Array): Promise<TrainFigure> {
  const { rows, cols } = data;
  const batch = CANONICAL.batch;
  const steps = Math.ceil(rows / batch);
  const model = buildModel(tf, spec, init);
  const optimizer = tf.train.adam(CANONICAL.lr, 0.9, 0.999, 1e-8);
  const all = tf.tensor2d(data.values, [rows, cols]);
  const order = permutation(rows, seededRandom(1));
  const varList = model.flatMap((d) => [d.w, d.b]);
  try {
    const start = performance.now();
    const shuffled = tf.tidy(() => tf.gather(all, tf.tensor1d(Int32Array.from(order), 'int32')));
    let total: Tf.Scalar = tf.scalar(0);
    for (let s = 0; s < steps; s++) {
      const n = Math.min(batch, rows - s * batch);
      const next = tf.tidy(() => {
        const x = tf.slice(shuffled, [s * batch, 0], [n, cols]) as Tf.Tensor2D;
        const cost = optimizer.minimize(() => tf.mean(tf.squaredDifference(forward(tf, model, x), x)) as Tf.Scalar, true, varList);
        if (!cost) throw new Error('TensorFlow.js returned no cost');
        return tf.add(total, tf.mul(cost, n)) as Tf.Scalar;
      });
      total.dispose();
      total = next;
      if ((s + 1) % SYNC_EVERY === 0) await settle(total.data());
    }
    const [sum] = await settle(total.data());
    const seconds = (performance.now() - start) / 1000;
    total.dispose();
    shuffled.dispose();
    return { rows, samplesPerSecond: rows / seconds, msPerStep: (seconds * 1000) / steps, loss: sum / rows };
  } finally {
    all.dispose();
    optimizer.dispose();
    disposeModel(model);
  }
}

async function scoreRows(tf: TfModule, model: readonly Dense[], values: Float32Array, cols: number): Promise<Float32Array> {
  const rows = values.length / cols;
  const out = new Float32Array(rows);
  for (let r0 = 0; r0 < rows; r0 += SCORE_CHUNK) {
    const n = Math.min(SCORE_CHUNK, rows - r0);
    const errors = tf.tidy(() => {
      const x = tf.tensor2d(values.subarray(r0 * cols, (r0 + n) * cols), [n, cols]);
      return tf.mean(tf.squaredDifference(forward(tf, model, x), x), 1);
    });
    out.set(await settle(errors.data() as Promise<Float32Array>), r0);
    errors.dispose();
  }
  return out;
}

const LABELS: Record<TfBackend, string> = {
  webgpu: 'TensorFlow.js 4.22, WebGPU backend (Dawn)',
  cpu: 'TensorFlow.js 4.22, CPU backend',
};

/** TensorFlow.js on one backend; the CPU backend is slow, so it gets fewer rows. */
export function tfjsContender(backend: TfBackend): Contender {
  let tf: TfModule | null = null;
  const ready = async () => (tf ??= await useBackend(backend));
  const slow = backend === 'cpu';
  return {
    id: `tfjs-${backend}`,
    label: LABELS[backend],
    note: slow ? 'fewer rows: pure JavaScript kernels on one thread' : undefined,
    rows: slow ? SLOW_ROWS : FULL_ROWS,
    async train(spec, data, init) {
      return trainEpoch(await ready(), spec, data, init);
    },
    async score(spec, params, data): Promise<ScoreFigure> {
      const t = await ready();
      const model = buildModel(t, spec, params);
      try {
        return await timeScoring(data, SCORE_CHUNK, (values) => scoreRows(t, model, values, data.cols));
      } finally {
        disposeModel(model);
      }
    },
    describe() {
      const device = tf ? (tf.backend() as { device?: GPUDevice }).device : undefined;
      return device ? describeDevice(device) : 'the CPU, in JavaScript';
    },
    release() {
      if (!tf) return;
      const device = (tf.findBackend(backend) as { device?: GPUDevice } | null)?.device;
      tf.removeBackend(backend);
      device?.destroy();
      tf = null;
    },
  };
}

/** Removes a backend that measureTfjsGemm or a contender started, destroying its device. */
export async function releaseTfjs(backend: TfBackend): Promise<void> {
  if (!loaded) return;
  const tf = await loaded;
  const device = (tf.findBackend(backend) as { device?: GPUDevice } | null)?.device;
  if (tf.findBackend(backend)) tf.removeBackend(backend);
  device?.destroy();
}

function describeDevice(device: GPUDevice): string {
  const info = (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  return info ? adapterTitle(info) : 'WebGPU';
}

export interface TfGemm {
  readonly shape: [number, number, number];
  readonly ms: number;
  readonly gflops: number;
  readonly timer: 'timestamp' | 'wall';
}

/** TensorFlow.js WebGPU's fused matMul + bias, Y = X·Wᵀ + b, on each shape: kernel time from `tf.time`. */
export async function measureTfjsGemm(shapes: readonly (readonly [number, number, number])[], quick: boolean): Promise<TfGemm[]> {
  const tf = await useBackend('webgpu');
  const results: TfGemm[] = [];
  for (const [M, K, N] of shapes) {
    const x = tf.tensor2d(gemmFill(M * K, 7919), [M, K]);
    const w = tf.tensor2d(gemmFill(N * K, 104_729), [N, K]);
    const b = tf.tensor1d(gemmFill(N, 104_729));
    const run = () => tf.fused.matMul({ a: x, b: w, transposeB: true, bias: b });
    const warm = run();
    await settle(warm.data());
    warm.dispose();
    const flop = 2 * M * K * N;
    const reps = gemmReps(flop, quick);
    const timing = await settle(tf.time(() => {
      for (let r = 0; r < reps; r++) run().dispose();
    }));
    const kernel = typeof timing.kernelMs === 'number' && timing.kernelMs > 0 ? timing.kernelMs : null;
    const ms = (kernel ?? timing.wallMs) / reps;
    results.push({ shape: [M, K, N], ms, gflops: flop / ms / 1e6, timer: kernel === null ? 'wall' : 'timestamp' });
    for (const t of [x, w, b]) t.dispose();
  }
  return results;
}
