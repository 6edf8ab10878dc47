import { seededRandom } from './random';
import { layersOf, parameterCount, type LayerSpec } from './spec';

/**
 * Parameters as PyTorch's `nn.Linear` initialises them: W by Kaiming-uniform with a = √5 and
 * b uniform, which both come to U(−1/√fan_in, 1/√fan_in). Laid out layer by layer, W
 * [out × in] then b, from one seeded generator.
 */
export function initParams(spec: LayerSpec, seed: number): Float32Array {
  const random = seededRandom(seed);
  const params = new Float32Array(parameterCount(spec));
  for (const layer of layersOf(spec)) {
    const bound = 1 / Math.sqrt(layer.inputs);
    const end = layer.biasOffset + layer.outputs;
    for (let i = layer.weightOffset; i < end; i++) params[i] = (random() * 2 - 1) * bound;
  }
  return params;
}
