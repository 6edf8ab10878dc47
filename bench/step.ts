import type { Gpu } from '../src/gpu/device';
import { releaseLaunches } from '../src/gpu/launch';
import { ADAM_DEFAULTS, adam, adamGroups } from '../src/gpu/adam';
import { createBuffer, createTensor } from '../src/gpu/tensor';
import { timeLaunches } from '../src/gpu/timing';
import { initParams } from '../src/model/init';
import { createLayerTensors, createOutputs } from '../src/model/network';
import { layersOf, parameterCount } from '../src/model/spec';
import { planStep } from '../src/model/step';
import type { Row } from './report';
import { CANONICAL, canonicalData, canonicalSpecs } from './workload';

/** Each kernel of one training step of the deep canonical model, timed alone and together. */
export async function benchStep(gpu: Gpu, quick = false): Promise<Row[]> {
  const { spec } = canonicalSpecs()[0];
  const layers = layersOf(spec);
  const B = CANONICAL.batch;
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
    steps: createBuffer(gpu, adamGroups(P) * 4, 'steps'), hyper: ADAM_DEFAULTS,
  });
  const launches = [...step.map((s) => s.launch), optimiser];
  const reps = quick ? 20 : 200;
  const rows: Row[] = [];
  for (const launch of launches) {
    const timing = await timeLaunches(gpu, [launch], reps);
    rows.push({ kernel: launch.label, ms: timing.ms });
  }
  const whole = await timeLaunches(gpu, launches, Math.ceil(reps / 2));
  rows.push({ kernel: `whole step (${launches.length} dispatches)`, ms: whole.ms });
  releaseLaunches(launches);
  return rows;
}
