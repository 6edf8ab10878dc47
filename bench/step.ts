import type { Gpu } from '../src/gpu/device';
import { ADAM_DEFAULTS, adam, adamGroups } from '../src/gpu/adam';
import { createKernelWeights, fitTiles, fusedLayout, fusedStep, type FusedLayout } from '../src/gpu/fused';
import { releaseLaunches, type Launch } from '../src/gpu/launch';
import { BYTES, createBuffer, createTensor, type Tensor } from '../src/gpu/tensor';
import { timeLaunches } from '../src/gpu/timing';
import { CPU_FUSED, GPU_FUSED, fusedTiles, isCpuAdapter, type TrainTiles } from '../src/gpu/tuning';
import { initParams } from '../src/model/init';
import { createLayerTensors, createOutputs } from '../src/model/network';
import { layersOf, parameterCount, type LayerSpec } from '../src/model/spec';
import { planStep } from '../src/model/step';
import type { Row } from './report';
import { CANONICAL, canonicalData, canonicalSpecs } from './workload';

const B = CANONICAL.batch;

/** Each launch alone, then all of them as one step, `reps` times in one pass each. */
async function timeStep(gpu: Gpu, path: string, launches: readonly Launch[], reps: number, labels = launches.map((l) => l.label)): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [i, launch] of launches.entries()) {
    rows.push({ path, kernel: labels[i], ms: (await timeLaunches(gpu, [launch], reps)).ms });
  }
  const whole = await timeLaunches(gpu, launches, Math.ceil(reps / 2));
  rows.push({ path, kernel: `whole step (${launches.length} dispatches)`, ms: whole.ms });
  return rows;
}

/** The per-layer step: every layer's GEMMs, the loss and Adam. */
async function perLayer(gpu: Gpu, spec: LayerSpec, reps: number): Promise<Row[]> {
  const layers = layersOf(spec);
  const P = parameterCount(spec);
  const params = createLayerTensors(gpu, spec, 'params', '', initParams(spec, 1));
  const grads = createLayerTensors(gpu, spec, 'grads', 'd');
  const step = await planStep(gpu, layers, params, grads, {
    x: createTensor(gpu, B, CANONICAL.cols, 'X', canonicalData(B).values),
    outputs: createOutputs(gpu, layers, B, 'Y'),
    dz: createOutputs(gpu, layers, B, 'dZ'),
    rowErr: createTensor(gpu, B, 1, 'row errors'),
    loss: createTensor(gpu, 1, 1, 'loss'),
  });
  const optimiser = await adam(gpu, {
    params: params.all, grads: grads.all, m: createTensor(gpu, 1, P, 'm'), v: createTensor(gpu, 1, P, 'v'),
    steps: createBuffer(gpu, adamGroups(P) * BYTES, 'steps'), hyper: ADAM_DEFAULTS,
  });
  const launches = [...step.map((s) => s.launch), optimiser];
  try {
    return await timeStep(gpu, 'per-layer', launches, reps);
  } finally {
    releaseLaunches(launches);
  }
}

/** The fused step's two kernels with these tiles, on one batch of the canonical rows. */
async function fusedLaunches(gpu: Gpu, spec: LayerSpec, layout: FusedLayout, tiles: TrainTiles): Promise<Launch[]> {
  const order = createBuffer(gpu, B * BYTES, 'order');
  gpu.device.queue.writeBuffer(order, 0, Uint32Array.from({ length: B }, (_, i) => i));
  const stepRecord = createBuffer(gpu, 16, 'step');
  gpu.device.queue.writeBuffer(stepRecord, 0, new Uint32Array([0, B, 0, 0]));
  const window = (buffer: GPUBuffer, label: string): Tensor => ({ buffer, offset: 0, rows: 1, cols: 1, label, window: 16 });
  const step = await fusedStep(gpu, {
    layout,
    rows: createTensor(gpu, B, CANONICAL.cols, 'X', canonicalData(B).values),
    order,
    step: window(stepRecord, 'step'),
    weights: createKernelWeights(gpu, layout, initParams(spec, 1)),
    moments: createTensor(gpu, 1, 2 * layout.padded, 'moments'),
    loss: window(createBuffer(gpu, 16, 'loss'), 'loss'),
    theta: createTensor(gpu, 1, layout.params, 'θ'),
    hyper: ADAM_DEFAULTS,
    batch: B,
    tiles,
  });
  releaseLaunches([step.unpack]);
  return [step.block, step.apply];
}

function describeTiles(t: TrainTiles): string {
  return `ROWS ${t.ROWS}, ${t.TX}×${t.TY} invocations, TN ${t.TN}, ≤ ${t.GROUPS} workgroups${t.SUBGROUPS ? ', subgroups' : ''}`;
}

/** Tilings worth comparing on this kind of adapter, the default first. */
function candidates(gpu: Gpu, quick: boolean): TrainTiles[] {
  const base = fusedTiles(gpu).train;
  const others: TrainTiles[] = isCpuAdapter(gpu)
    ? [{ ...CPU_FUSED.train, SUBGROUPS: 0 }, { ...CPU_FUSED.train, GROUPS: 4 }, { ...CPU_FUSED.train, TN: 16 }]
    : [
      { ...GPU_FUSED.train, ROWS: 1, TY: 1 },
      { ...GPU_FUSED.train, ROWS: 2, TY: 2 },
      { ...GPU_FUSED.train, ROWS: 4, TY: 4 },
      { ...GPU_FUSED.train, ROWS: 16, TY: 8 },
      { ...GPU_FUSED.train, TX: 64, TY: 4 },
      { ...GPU_FUSED.train, TN: 8 },
      { ...GPU_FUSED.train, ROWS: 16, TX: 16, TY: 16 },
    ];
  return quick ? [base] : [base, ...others];
}

/**
 * One training step of the deep canonical model, kernel by kernel: the per-layer path's
 * dispatches and the fused path's two, each alone and as a whole step; then the fused step
 * with other tilings for this kind of adapter (the figures that choose src/gpu/tuning.ts), and
 * the whole step of the other canonical models on both paths and with every tiling.
 */
export async function benchStep(gpu: Gpu, quick = false): Promise<Row[]> {
  const [deep, ...others] = canonicalSpecs();
  const reps = quick ? 20 : 200;
  const rows = await perLayer(gpu, deep.spec, reps);
  const layout = fusedLayout(layersOf(deep.spec));
  const [first, ...rest] = candidates(gpu, quick).map((t) => fitTiles(gpu, layout, 'train', t)).filter((t): t is TrainTiles => t !== null);
  const launches = await fusedLaunches(gpu, deep.spec, layout, first);
  rows.push(...await timeStep(gpu, `fused, ${describeTiles(first)}`, launches, reps));
  releaseLaunches(launches);
  for (const tiles of rest) rows.push(await wholeFusedStep(gpu, deep.spec, tiles, reps, ''));
  for (const { name, spec } of others) {
    const perLayerRows = await perLayer(gpu, spec, reps);
    rows.push({ ...perLayerRows.at(-1)!, path: `${name}: per-layer` });
    for (const tiles of candidates(gpu, quick)) rows.push(await wholeFusedStep(gpu, spec, tiles, reps, `${name}: `));
  }
  return rows;
}

/** The fused step of `spec` with `tiles` (fitted to its widths) as one row, or why it could not run. */
async function wholeFusedStep(gpu: Gpu, spec: LayerSpec, tiles: TrainTiles, reps: number, model: string): Promise<Row> {
  const layout = fusedLayout(layersOf(spec));
  const fitted = fitTiles(gpu, layout, 'train', tiles);
  const path = `${model}fused, ${describeTiles(fitted ?? tiles)}`;
  if (fitted === null) return { path, kernel: 'does not fit this device', ms: '—' };
  try {
    const launches = await fusedLaunches(gpu, spec, layout, fitted);
    const whole = await timeLaunches(gpu, launches, Math.ceil(reps / 2));
    releaseLaunches(launches);
    return { path, kernel: 'whole step (2 dispatches)', ms: whole.ms };
  } catch (error) {
    return { path, kernel: `failed: ${(error as Error).message.split('\n')[0]}`, ms: '—' };
  }
}
