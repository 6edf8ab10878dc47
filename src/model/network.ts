import type { Gpu } from '../gpu/device';
import { createTensor, viewTensor, type Tensor } from '../gpu/tensor';
import { layersOf, parameterCount, type Layer, type LayerSpec } from './spec';

/** A flat vector laid out like the parameters, with a W and b view per layer. */
export interface LayerTensors {
  readonly all: Tensor;
  readonly w: readonly Tensor[];
  readonly b: readonly Tensor[];
}

/** Views W1, b1, W2, … of a flat vector, labelled with `prefix` (`d` for gradients). */
export function layerTensors(all: Tensor, layers: readonly Layer[], prefix: string): LayerTensors {
  return {
    all,
    w: layers.map((l) => viewTensor(all, l.weightOffset, l.outputs, l.inputs, `${prefix}W${l.index + 1}`)),
    b: layers.map((l) => viewTensor(all, l.biasOffset, 1, l.outputs, `${prefix}b${l.index + 1}`)),
  };
}

/** A flat vector the size of the parameters on the GPU, zero or holding `values`. */
export function createLayerTensors(gpu: Gpu, spec: LayerSpec, name: string, prefix: string, values?: Float32Array): LayerTensors {
  const n = parameterCount(spec);
  if (values && values.length !== n) {
    throw new Error(`${name}: the layer spec has ${n} parameters, given ${values.length}`);
  }
  return layerTensors(createTensor(gpu, 1, n, name, values), layersOf(spec), prefix);
}

/** Activation buffers for `rows` rows: one [rows × width] tensor per layer output. */
export function createOutputs(gpu: Gpu, layers: readonly Layer[], rows: number, name: string): Tensor[] {
  return layers.map((l) => createTensor(gpu, rows, l.outputs, `${name}${l.index + 1}`));
}

/** The first `rows` rows of each tensor. */
export function firstRows(tensors: readonly Tensor[], rows: number): Tensor[] {
  return tensors.map((t) => (t.rows === rows ? t : viewTensor(t, t.offset, rows, t.cols, t.label)));
}

export function destroyTensors(tensors: readonly Tensor[]): void {
  for (const t of new Set(tensors.map((x) => x.buffer))) t.destroy();
}
