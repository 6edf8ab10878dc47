import { layersOf, type LayerSpec } from './spec';

/**
 * The parameters of a model that takes features multiplied by gains g and reconstructs them
 * multiplied by the same gains, computing everything else as the given model does:
 *
 *   first layer  W₁[:, f] ← W₁[:, f] / g_f     (so W₁ · (g ⊙ x) = W₁ · x before)
 *   last layer   W_L[f, :] ← g_f · W_L[f, :],  b_L[f] ← g_f · b_L[f]   (so the output is g ⊙ ŷ)
 *
 * Its squared error on row f is then g_f² (x_f − ŷ_f)²: a per-feature weight g_f² in the score
 * without any change to the kernels. Needs an identity output (a sigmoid's output cannot be
 * rescaled by its weights).
 */
export function withGains(spec: LayerSpec, params: Float32Array, gains: ArrayLike<number>): Float32Array {
  const layers = layersOf(spec);
  const [first, last] = [layers[0], layers[layers.length - 1]];
  if (gains.length !== first.inputs) throw new Error(`${gains.length} gains for a model of ${first.inputs} features`);
  if (last.activation !== 'identity') throw new Error(`per-feature gains need an identity output, not ${last.activation}`);
  const out = params.slice();
  for (let o = 0; o < first.outputs; o++) {
    for (let f = 0; f < first.inputs; f++) out[first.weightOffset + o * first.inputs + f] /= gains[f];
  }
  for (let f = 0; f < last.outputs; f++) {
    for (let i = 0; i < last.inputs; i++) out[last.weightOffset + f * last.inputs + i] *= gains[f];
    out[last.biasOffset + f] *= gains[f];
  }
  return out;
}
