import { decodeSafetensors, encodeSafetensors, type F32Tensor } from './safetensors';
import { checkSpec, layerNames, layersOf, parameterCount, parseSpec, type LayerSpec } from './spec';
import type { Activation } from '../gpu/activation';
import { quote } from '../pipeline/errors';
import { parseRowScore, SQUARED, type RowScore } from './row-score';

/**
 * The model format written. Format 2 added a schema's `attack` labels and `*` in label values:
 * a reader of format 1 would take every other label for an attack, and `*` as itself, so it is
 * told the file is newer. Format 1 files read as they always did.
 */
export const MODEL_VERSION = 2;

/** The model formats read. */
const READ_VERSIONS: readonly number[] = [1, 2];

export interface Threshold {
  readonly value: number;
  /**
   * How it was chosen: to flag a fraction of held-out normal rows (`fpr`), a percentile or
   * median + k·MAD of their scores, the best F1 on the training labels, given (`fixed`), or
   * chosen by hand on the netae page with its histogram and metrics in view (`chosen`).
   */
  readonly mode: 'fpr' | 'percentile' | 'mad' | 'best-f1' | 'fixed' | 'chosen';
  readonly percentile?: number;
  /** `mad`: the k of median + k·MAD. */
  readonly k?: number;
  /**
   * The fraction of new normal rows it flags: asked for (`fpr` mode), expected from the held-out
   * rows it was set on, and that fraction's 95 % interval (see `src/pipeline/thresholds.ts`).
   */
  readonly rate?: { readonly target?: number; readonly expected: number; readonly low: number; readonly high: number; readonly rows: number };
}

/**
 * The highest scores of the held-out normal rows, at ranks 1, 2, … (dense, then spaced 1 % apart):
 * enough to set a threshold for another false-positive rate without the training data.
 */
export interface HeldOutScores {
  readonly rows: number;
  readonly ranks: readonly number[];
  readonly scores: readonly number[];
}

/** What netae keeps beside the weights: all a model file needs to score raw records. */
export interface ModelMeta {
  /** The fitted feature pipeline, as `src/pipeline` serializes it. */
  readonly features?: unknown;
  readonly threshold?: Threshold;
  readonly heldOut?: HeldOutScores;
  readonly training?: Readonly<Record<string, unknown>>;
  /** How rows are scored (see row-score.ts); a file without it scores by the mean squared error. */
  readonly score?: RowScore;
}

export interface Model {
  readonly spec: LayerSpec;
  /** Layer by layer, W [out × in] then b, as `layersOf(spec)` lays them out. */
  readonly params: Float32Array;
  readonly meta: ModelMeta;
}

interface NetaeHeader extends ModelMeta {
  readonly format: 'netae';
  readonly version: number;
  readonly spec: LayerSpec;
}

/** One `.safetensors` file: PyTorch `state_dict` names and layout, netae's JSON in `__metadata__`. */
export function encodeModel(model: Model): Uint8Array {
  checkSpec(model.spec);
  if (model.params.length !== parameterCount(model.spec)) {
    throw new Error(`the model has ${model.params.length} parameters, its spec ${parameterCount(model.spec)}`);
  }
  const tensors = new Map<string, F32Tensor>();
  const names = layerNames(model.spec);
  for (const layer of layersOf(model.spec)) {
    const name = names[layer.index];
    tensors.set(`${name}.weight`, { shape: [layer.outputs, layer.inputs], data: model.params.subarray(layer.weightOffset, layer.biasOffset) });
    tensors.set(`${name}.bias`, { shape: [layer.outputs], data: model.params.subarray(layer.biasOffset, layer.biasOffset + layer.outputs) });
  }
  const header: NetaeHeader = { format: 'netae', version: MODEL_VERSION, spec: model.spec, ...model.meta };
  return encodeSafetensors(tensors, { format: 'netae', netae: JSON.stringify(header) });
}

export interface DecodeOptions {
  /** The layer spec of a file without netae's header (a PyTorch `state_dict`): text or parsed. */
  readonly spec?: string | LayerSpec;
  /** Names the file in error messages. */
  readonly source?: string;
}

/** Reads a model written by netae, or a PyTorch autoencoder of `nn.Linear` layers. */
export function decodeModel(bytes: Uint8Array, options: DecodeOptions = {}): Model {
  const source = options.source ?? 'model file';
  const file = decodeSafetensors(bytes, source);
  const netae = file.metadata.netae;
  if (netae !== undefined) return fromNetae(file.tensors, netae, source);
  return fromStateDict(file.tensors, options.spec, source);
}

function fromNetae(tensors: ReadonlyMap<string, F32Tensor>, text: string, source: string): Model {
  let header: NetaeHeader;
  try {
    header = JSON.parse(text) as NetaeHeader;
  } catch {
    throw new Error(`${source}: its netae header is not JSON`);
  }
  if (typeof header !== 'object' || header === null || header.format !== 'netae' || typeof header.version !== 'number') {
    throw new Error(`${source}: its netae header has no format and version`);
  }
  if (!READ_VERSIONS.includes(header.version)) {
    const reads = `this one reads formats ${READ_VERSIONS.join(' and ')}`;
    throw new Error(Number.isInteger(header.version) && header.version > MODEL_VERSION
      ? `${source}: written by a newer netae (model format ${header.version}; ${reads})`
      : `${source}: model format ${header.version} is not one netae writes (${reads})`);
  }
  try {
    checkSpec(header.spec);
  } catch (error) {
    throw new Error(`${source}: ${(error as Error).message}`);
  }
  const layers = layersOf(header.spec);
  const names = layerNames(header.spec);
  const params = new Float32Array(parameterCount(header.spec));
  const expected = new Set<string>();
  for (const layer of layers) {
    const w = take(tensors, `${names[layer.index]}.weight`, [layer.outputs, layer.inputs], source);
    const b = take(tensors, `${names[layer.index]}.bias`, [layer.outputs], source);
    params.set(w, layer.weightOffset);
    params.set(b, layer.biasOffset);
    expected.add(`${names[layer.index]}.weight`).add(`${names[layer.index]}.bias`);
  }
  const extra = [...tensors.keys()].filter((k) => !expected.has(k));
  if (extra.length) throw new Error(`${source}: tensors ${extra.slice(0, 8).map((n) => quote(n)).join(', ')}${extra.length > 8 ? ', …' : ''} belong to no layer of ${names.join(', ')}`);
  const { features, threshold, heldOut, training } = header;
  if (threshold !== undefined) checkThreshold(threshold, source);
  if (heldOut !== undefined) checkHeldOut(heldOut, source);
  const score = header.score === undefined ? undefined : parseRowScore(header.score);
  if (score === null) throw new Error(`${source}: score must be {"kind": "squared"} or {"kind": "student-t", "nu": ν, "unit": u} with ν and u > 0 and ν·u within float32's normal range`);
  return { spec: header.spec, params, meta: { features, threshold, heldOut, training, ...(score === undefined ? {} : { score }) } };
}

/** An Error naming `source` unless the model's file holds a feature pipeline, as netae writes it: without one it cannot read raw records. */
export function requireFeatures(model: Model, source: string): void {
  if (model.meta.features === undefined) {
    throw new Error(`${source} holds weights but no feature pipeline (not trained by netae), so it cannot read raw records`);
  }
}

/** How a model scores rows: as its file says, else by the mean squared error. */
export function rowScoreOf(model: Pick<Model, 'meta'>): RowScore {
  return model.meta.score ?? SQUARED;
}

const THRESHOLD_MODES: readonly string[] = ['fpr', 'percentile', 'mad', 'best-f1', 'fixed', 'chosen'];

/** A threshold is a reconstruction error: a finite number ≥ 0 (0 flags every row). */
function checkThreshold(threshold: Threshold, source: string): void {
  const t = threshold as Partial<Threshold> | null;
  if (typeof t !== 'object' || t === null || typeof t.value !== 'number' || !Number.isFinite(t.value)) {
    throw new Error(`${source}: threshold.value must be a finite number`);
  }
  if (t.value < 0) throw new Error(`${source}: threshold.value is ${t.value}; a threshold on reconstruction errors cannot be negative`);
  if (typeof t.mode !== 'string' || !THRESHOLD_MODES.includes(t.mode)) {
    throw new Error(`${source}: threshold.mode must be one of ${THRESHOLD_MODES.join(', ')}`);
  }
}

/**
 * Held-out scores, as `netae train` keeps them for `--fpr`: of `rows` rows, the score at each kept
 * rank (k-th highest), ranks rising from 1 to at most `rows`, scores finite, ≥ 0 and not rising.
 */
function checkHeldOut(heldOut: HeldOutScores, source: string): void {
  const h = heldOut as Partial<HeldOutScores> | null;
  const fail = (field: string, why: string): never => {
    throw new Error(`${source}: heldOut${field} ${why}`);
  };
  if (typeof h !== 'object' || h === null || !Array.isArray(h.ranks) || !Array.isArray(h.scores)) fail('', 'must hold rows, ranks and scores');
  const { rows, ranks, scores } = h as HeldOutScores;
  if (!Number.isSafeInteger(rows) || rows < 1) fail('.rows', 'must be a whole number ≥ 1');
  if (ranks.length === 0 || ranks.length !== scores.length) fail('.ranks and .scores', 'must be as many, and at least one');
  ranks.forEach((k, i) => {
    if (!Number.isSafeInteger(k) || k < 1 || k > rows || (i > 0 && k <= ranks[i - 1])) fail('.ranks', `must rise, whole numbers from 1 to rows (${rows}); found ${JSON.stringify(k)} at ${i}`);
  });
  scores.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (i > 0 && v > scores[i - 1])) fail('.scores', `must be finite, ≥ 0 and not rising with the ranks; found ${JSON.stringify(v)} at ${i}`);
  });
}

function take(tensors: ReadonlyMap<string, F32Tensor>, name: string, shape: number[], source: string): Float32Array {
  const t = tensors.get(name);
  if (!t) throw new Error(`${source}: tensor ${quote(name)} is missing`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${source}: tensor ${quote(name)} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
  }
  return finite(t.data, name, source);
}

/** A tensor's values, refused when one is NaN or infinite: such a model scores every row NaN. */
function finite(data: Float32Array, name: string, source: string): Float32Array {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new Error(`${source}: tensor ${quote(name)} holds ${data[i]} at index ${i}; a model's weights must be finite`);
  }
  return data;
}

interface LinearEntry {
  readonly prefix: string;
  readonly weight: F32Tensor;
  readonly bias: F32Tensor | undefined;
}

/** `encoder` before `decoder`, numbered segments by number: the order a model runs its layers. */
function compareModulePaths(a: string, b: string): number {
  const rank = (s: string) => (s === 'encoder' ? 0 : s === 'decoder' ? 1 : 0.5);
  const [pa, pb] = [a.split('.'), b.split('.')];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] === pb[i]) continue;
    const [na, nb] = [Number(pa[i]), Number(pb[i])];
    if (Number.isInteger(na) && Number.isInteger(nb)) return na - nb;
    if (rank(pa[i]) !== rank(pb[i])) return rank(pa[i]) - rank(pb[i]);
    return pa[i] < pb[i] ? -1 : 1;
  }
  return pa.length - pb.length;
}

function linearEntries(tensors: ReadonlyMap<string, F32Tensor>, source: string): LinearEntry[] {
  const prefixes = new Set<string>();
  for (const name of tensors.keys()) {
    const m = /^(.*)\.(weight|bias)$/.exec(name);
    if (!m) throw new Error(`${source}: tensor ${quote(name)} is not the weight or bias of a layer; netae reads autoencoders of nn.Linear layers`);
    prefixes.add(m[1]);
  }
  const entries = [...prefixes].sort(compareModulePaths).map((prefix) => {
    const weight = tensors.get(`${prefix}.weight`);
    if (!weight || weight.shape.length !== 2) {
      throw new Error(`${source}: ${quote(prefix)} has no 2-D weight; netae reads autoencoders of nn.Linear layers`);
    }
    const bias = tensors.get(`${prefix}.bias`);
    if (bias && (bias.shape.length !== 1 || bias.shape[0] !== weight.shape[0])) {
      throw new Error(`${source}: ${quote(`${prefix}.bias`)} has shape [${bias.shape.join(', ')}], expected [${weight.shape[0]}]`);
    }
    return { prefix, weight, bias };
  });
  if (!entries.length) throw new Error(`${source}: no tensors`);
  return entries;
}

/**
 * Activations a PyTorch `state_dict` does not record: ReLU after each hidden layer, unless
 * the next Linear directly follows in the same `nn.Sequential` (no module between them);
 * identity after the last.
 */
function inferActivations(entries: readonly LinearEntry[]): Activation[] {
  return entries.map((entry, i) => {
    if (i === entries.length - 1) return 'identity';
    const [here, next] = [entry.prefix, entries[i + 1].prefix];
    const [parentHere, indexHere] = splitIndex(here);
    const [parentNext, indexNext] = splitIndex(next);
    const adjacent = parentHere !== null && parentHere === parentNext && indexNext === indexHere + 1;
    return adjacent ? 'identity' : 'relu';
  });
}

function splitIndex(prefix: string): [string | null, number] {
  const m = /^(.*?)\.?(\d+)$/.exec(prefix);
  return m ? [m[1], Number(m[2])] : [null, -1];
}

function fromStateDict(tensors: ReadonlyMap<string, F32Tensor>, given: string | LayerSpec | undefined, source: string): Model {
  const entries = linearEntries(tensors, source);
  const widths = [entries[0].weight.shape[1], ...entries.map((e) => e.weight.shape[0])];
  entries.forEach((e, i) => {
    if (i > 0 && e.weight.shape[1] !== entries[i - 1].weight.shape[0]) {
      throw new Error(`${source}: ${e.prefix} takes ${e.weight.shape[1]} inputs but ${entries[i - 1].prefix} gives ${entries[i - 1].weight.shape[0]}`);
    }
  });
  let spec: LayerSpec;
  try {
    spec = given === undefined
      ? { widths, activations: inferActivations(entries) }
      : typeof given === 'string' ? parseSpec(given, widths[0]) : given;
    checkSpec(spec);
  } catch (error) {
    throw new Error(`${source}: ${(error as Error).message}`);
  }
  if (spec.widths.join('-') !== widths.join('-')) {
    throw new Error(`${source}: the layer spec ${spec.widths.join('-')} does not match the file's layers ${widths.join('-')}`);
  }
  const params = new Float32Array(parameterCount(spec));
  for (const layer of layersOf(spec)) {
    const e = entries[layer.index];
    params.set(finite(e.weight.data, `${e.prefix}.weight`, source), layer.weightOffset);
    if (e.bias) params.set(finite(e.bias.data, `${e.prefix}.bias`, source), layer.biasOffset);
  }
  return { spec, params, meta: {} };
}
