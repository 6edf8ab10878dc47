import type { Gpu } from '../gpu/device';
import type { Launch } from '../gpu/launch';
import { linearBackwardInput, linearBackwardWeight, linearForward } from '../gpu/gemm';
import { mse } from '../gpu/loss';
import type { Tensor } from '../gpu/tensor';
import type { LayerTensors } from './network';
import type { Layer } from './spec';

/** A launch and the dynamic offsets it takes for a batch: its rows' and its loss slot's. */
export interface StepLaunch {
  readonly launch: Launch;
  readonly offsets: (batchBytes: number, lossBytes: number) => readonly number[];
}

const NO_OFFSETS = () => [0, 0];

export interface StepTensors {
  /** The batch, bound at a dynamic offset into the shuffled epoch. */
  readonly x: Tensor;
  readonly outputs: readonly Tensor[];
  readonly dz: readonly Tensor[];
  readonly rowErr: Tensor;
  /** One loss per step, bound at a dynamic offset. */
  readonly loss: Tensor;
}

/**
 * One training step but the optimiser: L forward GEMMs, the fused loss, and for each layer
 * from the last the weight gradient and (but for the first) the input gradient.
 */
export async function planStep(gpu: Gpu, layers: readonly Layer[], params: LayerTensors, grads: LayerTensors, t: StepTensors): Promise<StepLaunch[]> {
  const list: StepLaunch[] = [];
  const inputOf = (l: number) => (l === 0 ? t.x : t.outputs[l - 1]);
  for (const layer of layers) {
    const l = layer.index;
    const launch = await linearForward(gpu, { x: inputOf(l), w: params.w[l], b: params.b[l], y: t.outputs[l], act: layer.activation });
    list.push({ launch, offsets: l === 0 ? (xb) => [xb, 0] : NO_OFFSETS });
  }
  const last = layers[layers.length - 1];
  list.push({
    launch: await mse(gpu, {
      y: t.outputs[last.index], target: t.x, dz: t.dz[last.index], rowErr: t.rowErr, loss: t.loss, act: last.activation,
    }),
    offsets: (xb, lb) => [xb, lb],
  });
  for (let l = layers.length - 1; l >= 0; l--) {
    const launch = await linearBackwardWeight(gpu, { dz: t.dz[l], x: inputOf(l), dw: grads.w[l], db: grads.b[l] });
    list.push({ launch, offsets: l === 0 ? (xb) => [0, xb] : NO_OFFSETS });
    if (l > 0) {
      list.push({
        launch: await linearBackwardInput(gpu, { dz: t.dz[l], w: params.w[l], prev: t.outputs[l - 1], dx: t.dz[l - 1], act: layers[l - 1].activation }),
        offsets: NO_OFFSETS,
      });
    }
  }
  return list;
}
