import type { Gpu } from '../gpu/device';
import type { Launch } from '../gpu/launch';
import { linearForward } from '../gpu/gemm';
import { rowError } from '../gpu/loss';
import { BYTES, maxBindingBytes, type Tensor } from '../gpu/tensor';
import type { LayerTensors } from './network';
import type { Layer } from './spec';

const MAX_CHUNK = 65_536;

/** The most rows one chunk may hold: every layer's output for them must fit one binding. */
export function chunkRows(gpu: Gpu, layers: readonly Layer[]): number {
  const widest = Math.max(...layers.flatMap((l) => [l.inputs, l.outputs]));
  return Math.max(1, Math.min(MAX_CHUNK, Math.floor(maxBindingBytes(gpu) / (widest * BYTES))));
}

/**
 * The launches that score rows: every layer's forward, then each row's score (`tail`: τ of
 * row-score.ts, 0 for the mean squared error), L + 1 dispatches. `outputs` and `scores` are
 * written; the input is read.
 */
export async function planScoring(
  gpu: Gpu, layers: readonly Layer[], params: LayerTensors, input: Tensor, outputs: readonly Tensor[], scores: Tensor, tail = 0,
): Promise<Launch[]> {
  const launches: Launch[] = [];
  let x = input;
  for (const layer of layers) {
    const y = outputs[layer.index];
    launches.push(await linearForward(gpu, {
      x, w: params.w[layer.index], b: params.b[layer.index], y, act: layer.activation,
    }));
    x = y;
  }
  launches.push(await rowError(gpu, { y: x, x: input, out: scores, tail }));
  return launches;
}
