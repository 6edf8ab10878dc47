import type { Gpu } from '../gpu/device';
import { encodeLaunch, releaseLaunches } from '../gpu/launch';
import { BYTES, createTensor, readBytes } from '../gpu/tensor';
import { createLayerTensors, createOutputs, destroyTensors } from './network';
import { planStep } from './step';
import { checkSpec, layersOf, type LayerSpec } from './spec';
import type { Matrix32 } from './matrix';

/**
 * The batch loss and its gradient with respect to every parameter, computed on the GPU by
 * the same launches a training step uses, for checking them against finite differences.
 */
export async function lossAndGradients(gpu: Gpu, spec: LayerSpec, params: Float32Array, data: Matrix32): Promise<{ loss: number; grads: Float32Array }> {
  checkSpec(spec);
  const layers = layersOf(spec);
  const x = createTensor(gpu, data.rows, data.cols, 'X', data.values);
  const p = createLayerTensors(gpu, spec, 'params', '', params);
  const g = createLayerTensors(gpu, spec, 'grads', 'd');
  const outputs = createOutputs(gpu, layers, data.rows, 'Y');
  const dz = createOutputs(gpu, layers, data.rows, 'dZ');
  const rowErr = createTensor(gpu, data.rows, 1, 'row errors');
  const loss = createTensor(gpu, 1, 1, 'loss');
  const steps = await planStep(gpu, layers, p, g, { x, outputs, dz, rowErr, loss });
  try {
    const encoder = gpu.device.createCommandEncoder({ label: 'gradients' });
    const pass = encoder.beginComputePass({ label: 'gradients' });
    for (const s of steps) encodeLaunch(pass, s.launch, s.offsets(0, 0));
    pass.end();
    gpu.submit([encoder.finish()], steps.map((s) => s.launch.label));
    const grads = new Float32Array(await readBytes(gpu, g.all.buffer, 0, params.length * BYTES));
    const [value] = new Float32Array(await readBytes(gpu, loss.buffer, 0, BYTES));
    await gpu.check();
    return { loss: value, grads };
  } finally {
    releaseLaunches(steps.map((s) => s.launch));
    destroyTensors([x, p.all, g.all, ...outputs, ...dz, rowErr, loss]);
  }
}
