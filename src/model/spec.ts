import { ACTIVATIONS, type Activation } from '../gpu/activation';

/**
 * The shape of an autoencoder: widths from input to output and the activation after each
 * dense layer. `widths[0] === widths[widths.length - 1]`, the number of features.
 */
export interface LayerSpec {
  readonly widths: readonly number[];
  readonly activations: readonly Activation[];
}

export interface Layer {
  readonly index: number;
  readonly inputs: number;
  readonly outputs: number;
  readonly activation: Activation;
  /** Where W [outputs × inputs] and then b [outputs] start in the flat parameter vector. */
  readonly weightOffset: number;
  readonly biasOffset: number;
}

export function layersOf(spec: LayerSpec): Layer[] {
  const layers: Layer[] = [];
  let offset = 0;
  for (let i = 0; i + 1 < spec.widths.length; i++) {
    const [inputs, outputs] = [spec.widths[i], spec.widths[i + 1]];
    layers.push({
      index: i, inputs, outputs, activation: spec.activations[i],
      weightOffset: offset, biasOffset: offset + inputs * outputs,
    });
    offset += inputs * outputs + outputs;
  }
  return layers;
}

export function parameterCount(spec: LayerSpec): number {
  return layersOf(spec).reduce((n, l) => n + l.inputs * l.outputs + l.outputs, 0);
}

export function checkSpec(spec: LayerSpec): void {
  const { widths, activations } = spec;
  if (widths.length < 2) throw new Error(`a layer spec needs at least two widths, got ${widths.join('-') || 'none'}`);
  for (const w of widths) {
    if (!Number.isInteger(w) || w < 1) throw new Error(`layer widths must be whole numbers ≥ 1, got ${widths.join('-')}`);
  }
  if (widths[0] !== widths[widths.length - 1]) {
    throw new Error(`an autoencoder's output width must equal its input width, got ${widths.join('-')}`);
  }
  if (activations.length !== widths.length - 1) {
    throw new Error(`${widths.length - 1} layers need ${widths.length - 1} activations, got ${activations.length}`);
  }
  for (const a of activations) {
    if (!ACTIVATIONS.includes(a)) throw new Error(`unknown activation "${a}"; expected one of ${ACTIVATIONS.join(', ')}`);
  }
}

/** The layers between the two ends: ReLU after each hidden layer, `output` after the last. */
export function withActivations(widths: readonly number[], hidden: Activation = 'relu', output: Activation = 'identity'): LayerSpec {
  const activations = widths.slice(1).map((_, i) => (i === widths.length - 2 ? output : hidden));
  const spec = { widths: [...widths], activations };
  checkSpec(spec);
  return spec;
}

function powerOfTwoAtLeast(x: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, x)));
}

/**
 * The default for `inputs` features: three layers down to a code a quarter of the first
 * hidden width and back, the first hidden width being the smallest power of two at least
 * half the input (122 → 122-64-32-16-32-64-122, 78 → 78-64-32-16-32-64-78).
 */
export function defaultSpec(inputs: number): LayerSpec {
  const h1 = Math.max(4, powerOfTwoAtLeast(inputs / 2));
  const h2 = Math.max(2, h1 / 2);
  const code = Math.max(2, h1 / 4);
  return withActivations([inputs, h1, h2, code, h2, h1, inputs]);
}

/** The seed's model: one linear encoder to half the input width and one linear decoder. */
export function seedSpec(inputs: number): LayerSpec {
  return withActivations([inputs, Math.max(1, Math.floor(inputs / 2)), inputs]);
}

export const PRESETS = ['deep', 'seed'] as const;

/**
 * A spec from text: a preset name (`deep`, `seed`), or widths joined by `-`, each hidden
 * width optionally followed by `:activation` and the output by one too, e.g.
 * `122-64-32-16-32-64-122`, `122-64:tanh-122:sigmoid`. Unnamed activations are ReLU for
 * hidden layers and identity for the output. `auto` as the first width takes `inputs`.
 */
export function parseSpec(text: string, inputs: number): LayerSpec {
  const trimmed = text.trim();
  if (trimmed === 'deep') return defaultSpec(inputs);
  if (trimmed === 'seed') return seedSpec(inputs);
  const parts = trimmed.split('-').map((p) => p.trim());
  const widths: number[] = [];
  const activations: Activation[] = [];
  parts.forEach((part, i) => {
    const [w, act] = part.split(':');
    const width = w === 'auto' ? inputs : Number(w);
    if (!/^\d+$/.test(w) && w !== 'auto') {
      throw new Error(`layer spec "${text}": "${part}" is not a width; expected e.g. 122-64-32-16-32-64-122 or a preset (${PRESETS.join(', ')})`);
    }
    widths.push(width);
    if (i === 0) {
      if (act) throw new Error(`layer spec "${text}": the input width takes no activation`);
      return;
    }
    if (act && !ACTIVATIONS.includes(act as Activation)) {
      throw new Error(`layer spec "${text}": unknown activation "${act}"; expected one of ${ACTIVATIONS.join(', ')}`);
    }
    activations.push((act as Activation | undefined) ?? (i === parts.length - 1 ? 'identity' : 'relu'));
  });
  const spec = { widths, activations };
  checkSpec(spec);
  if (widths[0] !== inputs) {
    throw new Error(`layer spec "${text}" starts at ${widths[0]} features but the data has ${inputs}`);
  }
  return spec;
}

export function formatSpec(spec: LayerSpec): string {
  return spec.widths
    .map((w, i) => {
      if (i === 0) return String(w);
      const act = spec.activations[i - 1];
      const isDefault = act === (i === spec.widths.length - 1 ? 'identity' : 'relu');
      return isDefault ? String(w) : `${w}:${act}`;
    })
    .join('-');
}

/**
 * PyTorch `state_dict` names: the layers up to the narrowest width form `encoder`, the rest
 * `decoder`, each an `nn.Sequential` of `nn.Linear` and activation modules, so a Linear is
 * numbered after the activations before it (`encoder.0`, `encoder.2`, …).
 */
export function layerNames(spec: LayerSpec): string[] {
  const layers = layersOf(spec);
  const hidden = spec.widths.slice(1, -1);
  const bottleneck = hidden.length ? spec.widths.indexOf(Math.min(...hidden), 1) : 1;
  const names: string[] = [];
  let part = 'encoder';
  let position = 0;
  for (const layer of layers) {
    if (layer.index === bottleneck) {
      part = 'decoder';
      position = 0;
    }
    names.push(`${part}.${position}`);
    position += layer.activation === 'identity' ? 1 : 2;
  }
  return names;
}
