import { ACTIVATIONS, type Activation } from '../gpu/activation';
import { quote } from '../pipeline/errors';

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

/** A layer spec that cannot be built: malformed text, widths that do not fit, too many parameters. */
export class LayerSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayerSpecError';
  }
}

/**
 * The most parameters a model may have: 2^28, a GiB of float32 per copy. Training holds five
 * copies (parameters, gradients, Adam's two moments, the best epoch's), so 5 GiB at this limit.
 */
export const MAX_PARAMETERS = 2 ** 28;

export function checkSpec(spec: LayerSpec): void {
  const s = spec as Partial<LayerSpec> | null;
  if (typeof s !== 'object' || s === null || !Array.isArray(s.widths) || !Array.isArray(s.activations)) {
    throw new LayerSpecError('a layer spec needs widths (a list of whole numbers) and activations (a list of names)');
  }
  const { widths, activations } = spec;
  if (widths.length < 2) throw new LayerSpecError(`a layer spec needs at least two widths, got ${widths.join('-') || 'none'}`);
  for (const w of widths) {
    if (!Number.isInteger(w) || w < 1) throw new LayerSpecError(`layer widths must be whole numbers ≥ 1, got ${widths.join('-')}`);
  }
  if (widths[0] !== widths[widths.length - 1]) {
    throw new LayerSpecError(`an autoencoder's output width must equal its input width, got ${widths.join('-')}`);
  }
  if (activations.length !== widths.length - 1) {
    throw new LayerSpecError(`${widths.length - 1} layers need ${widths.length - 1} activations, got ${activations.length}`);
  }
  for (const a of activations) {
    if (!ACTIVATIONS.includes(a)) throw new LayerSpecError(`unknown activation ${quote(a)}; expected one of ${ACTIVATIONS.join(', ')}`);
  }
  const parameters = parameterCount(spec);
  if (parameters > MAX_PARAMETERS) {
    throw new LayerSpecError(`layers ${widths.join('-')} make ${parameters.toLocaleString('en-US')} parameters; netae builds at most ${MAX_PARAMETERS.toLocaleString('en-US')} (a GiB of float32): use narrower layers`);
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

/** The widest first hidden layer of the default spec. */
export const DEFAULT_MAX_HIDDEN = 512;

/**
 * The default for `inputs` features: three layers down to a code a quarter of the first
 * hidden width and back, the first hidden width being the smallest power of two at least
 * half the input (122 → 122-64-32-16-32-64-122, 78 → 78-64-32-16-32-64-78), at most 512, so
 * that parameters grow linearly with a wide input (20,000 → 20000-512-256-128-256-512-20000,
 * 20 million parameters) rather than with its square.
 */
export function defaultSpec(inputs: number): LayerSpec {
  const h1 = Math.min(DEFAULT_MAX_HIDDEN, Math.max(4, powerOfTwoAtLeast(inputs / 2)));
  const h2 = Math.max(2, h1 / 2);
  const code = Math.max(2, h1 / 4);
  return withActivations([inputs, h1, h2, code, h2, h1, inputs]);
}

/** The seed's model: one linear encoder to half the input width and one linear decoder. */
export function seedSpec(inputs: number): LayerSpec {
  return withActivations([inputs, Math.max(1, Math.floor(inputs / 2)), inputs]);
}

export const LAYER_PRESETS = ['deep', 'seed'] as const;

/** Spec text as written: a preset, or widths (`auto` for the input width) and activations. */
type SpecText =
  | { readonly preset: (typeof LAYER_PRESETS)[number] }
  | { readonly widths: readonly (number | 'auto')[]; readonly activations: readonly Activation[] };

function readSpecText(text: string): SpecText {
  const trimmed = text.trim();
  if (trimmed === 'deep' || trimmed === 'seed') return { preset: trimmed };
  const parts = trimmed.split('-').map((p) => p.trim());
  const widths: (number | 'auto')[] = [];
  const activations: Activation[] = [];
  parts.forEach((part, i) => {
    const [w, act] = part.split(':');
    if (!/^\d+$/.test(w) && w !== 'auto') {
      throw new LayerSpecError(`layer spec ${quote(text)}: ${quote(part)} is not a width; expected e.g. 122-64-32-16-32-64-122 or a preset (${LAYER_PRESETS.join(', ')})`);
    }
    widths.push(w === 'auto' ? 'auto' : Number(w));
    if (i === 0) {
      if (act) throw new LayerSpecError(`layer spec ${quote(text)}: the input width takes no activation`);
      return;
    }
    if (act && !ACTIVATIONS.includes(act as Activation)) {
      throw new LayerSpecError(`layer spec ${quote(text)}: unknown activation ${quote(act)}; expected one of ${ACTIVATIONS.join(', ')}`);
    }
    activations.push((act as Activation | undefined) ?? (i === parts.length - 1 ? 'identity' : 'relu'));
  });
  return { widths, activations };
}

/**
 * Checks spec text before the input width is known, so a bad `--layers` is refused before any
 * data is read: the syntax, widths ≥ 1, and the parameter limit when the ends are numbers.
 */
export function checkSpecText(text: string): void {
  const read = readSpecText(text);
  if ('preset' in read) return;
  const [first, last] = [read.widths[0], read.widths[read.widths.length - 1]];
  const inputs = first !== 'auto' ? first : last !== 'auto' ? last : 1;
  checkSpec({ widths: read.widths.map((w) => (w === 'auto' ? inputs : w)), activations: read.activations });
}

/**
 * A spec from text: a preset name (`deep`, `seed`), or widths joined by `-`, each hidden
 * width optionally followed by `:activation` and the output by one too, e.g.
 * `122-64-32-16-32-64-122`, `122-64:tanh-122:sigmoid`. Unnamed activations are ReLU for
 * hidden layers and identity for the output. `auto` as the first width takes `inputs`.
 */
export function parseSpec(text: string, inputs: number): LayerSpec {
  const read = readSpecText(text);
  if ('preset' in read) return read.preset === 'deep' ? defaultSpec(inputs) : seedSpec(inputs);
  const spec = { widths: read.widths.map((w) => (w === 'auto' ? inputs : w)), activations: read.activations };
  checkSpec(spec);
  if (spec.widths[0] !== inputs) {
    throw new LayerSpecError(`layer spec ${quote(text)} starts at ${spec.widths[0]} features but the data has ${inputs}`);
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
