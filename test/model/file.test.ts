import { describe, expect, it } from 'vitest';
import { initParams } from '../../src/model/init';
import { decodeModel, encodeModel, rowScoreOf, type Model } from '../../src/model/model';
import { seededRandom } from '../../src/model/random';
import { encodeSafetensors, type F32Tensor } from '../../src/model/safetensors';
import { Scorer } from '../../src/model/scorer';
import { MAX_PARAMETERS, checkSpecText, defaultSpec, layerNames, parameterCount, parseSpec, seedSpec } from '../../src/model/spec';
import { testGpu } from '../gpu/helpers';

const gpu = await testGpu();

function model(): Model {
  const spec = defaultSpec(12);
  return {
    spec,
    params: initParams(spec, 3),
    meta: { features: { kind: 'test', columns: ['a', 'b'] }, threshold: { value: 0.25, mode: 'percentile', percentile: 99 }, training: { epochs: 3 } },
  };
}

/** The file with its JSON header changed by `edit`, padded back to the same length. */
function patchHeader(bytes: Uint8Array, edit: (header: Record<string, { dtype?: string; data_offsets?: number[] }>) => void): Uint8Array {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  expect(json.length).toBeLessThanOrEqual(length);
  const out = new Uint8Array(bytes);
  out.fill(0x20, 8, 8 + length);
  out.set(json, 8);
  return out;
}

const rows = (n: number, cols: number) => {
  const random = seededRandom(11);
  return Float32Array.from({ length: n * cols }, () => random());
};

describe('the model file', () => {
  it('save, load and score give bit-identical scores, and the metadata comes back', async () => {
    const m = model();
    const loaded = decodeModel(encodeModel(m));
    expect(loaded.spec).toEqual(m.spec);
    expect(loaded.meta).toEqual(m.meta);
    const pooled = Buffer.concat([Buffer.from('padding'), encodeModel(m)]).subarray(7);
    expect(decodeModel(pooled).params).toEqual(m.params);
    const data = rows(1000, 12);
    const [a, b] = [Scorer.create(gpu, m.spec, m.params), Scorer.create(gpu, loaded.spec, loaded.params)];
    const [sa, sb] = [await a.score(data), await b.score(data)];
    a.release();
    b.release();
    expect(Buffer.from(sb.buffer).equals(Buffer.from(sa.buffer))).toBe(true);
  });

  it("keeps how the model scores rows: Student's t with its ν and unit, or the mean squared error where a file says none", async () => {
    const m = model();
    expect(rowScoreOf(decodeModel(encodeModel(m)))).toEqual({ kind: 'squared' });
    const student = { ...m, meta: { ...m.meta, score: { kind: 'student-t', nu: 20, unit: 0.004 } as const } };
    const loaded = decodeModel(encodeModel(student));
    expect(rowScoreOf(loaded)).toEqual({ kind: 'student-t', nu: 20, unit: 0.004 });
    const data = rows(300, 12);
    const [a, b] = [Scorer.create(gpu, m.spec, m.params, { score: rowScoreOf(loaded) }), Scorer.create(gpu, m.spec, m.params)];
    const [sa, sb] = [await a.score(data), await b.score(data)];
    a.release();
    b.release();
    // log(1 + e/τ) < e/τ: the Student-t score is below the mean squared error over τ, row by row
    sa.forEach((s, i) => expect(s).toBeLessThan(sb[i] / 0.08));
    const tiny = { kind: 'student-t', nu: 1e-20, unit: 1e-20 };
    for (const score of [{ kind: 'student-t', nu: 0, unit: 1 }, { kind: 'student-t', nu: 20 }, { kind: 'cauchy' }, 'squared', tiny]) {
      const bad = patchMetadata(encodeModel(m), (netae) => ({ ...netae, score }));
      expect(() => decodeModel(bad, { source: 'm.st' })).toThrow('m.st: score must be {"kind": "squared"} or {"kind": "student-t", "nu": ν, "unit": u} with ν and u > 0 and ν·u within float32\'s normal range');
    }
  });

  it('uses PyTorch state_dict names and layouts', () => {
    const bytes = encodeModel(model());
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(Object.keys(header).filter((k) => k !== '__metadata__')).toEqual([
      'encoder.0.weight', 'encoder.0.bias', 'encoder.2.weight', 'encoder.2.bias', 'encoder.4.weight', 'encoder.4.bias',
      'decoder.0.weight', 'decoder.0.bias', 'decoder.2.weight', 'decoder.2.bias', 'decoder.4.weight', 'decoder.4.bias',
    ]);
    expect(header['encoder.0.weight']).toMatchObject({ dtype: 'F32', shape: [8, 12] });
    expect(header['decoder.4.bias']).toMatchObject({ dtype: 'F32', shape: [12] });
  });

  it('a truncated file is refused', () => {
    const bytes = encodeModel(model());
    expect(() => decodeModel(bytes.subarray(0, 5), { source: 'm.safetensors' })).toThrow(/m.safetensors: not a safetensors file/);
    expect(() => decodeModel(bytes.subarray(0, 40))).toThrow(/truncated/);
    expect(() => decodeModel(bytes.subarray(0, bytes.length - 4))).toThrow(/point past the end of the data.*truncated/);
  });

  it('a file with a wrong dtype is refused', () => {
    const swapped = patchHeader(encodeModel(model()), (h) => {
      h['encoder.0.weight'].dtype = 'F16';
    });
    expect(() => decodeModel(swapped)).toThrow(/tensor "encoder.0.weight" has dtype "F16"; netae reads F32 tensors only/);
  });

  it('a header pointing past the end is refused', () => {
    const tensors = new Map<string, F32Tensor>([['0.weight', { shape: [2, 2], data: new Float32Array(4) }]]);
    const bytes = encodeSafetensors(tensors);
    const past = patchHeader(bytes, (h) => {
      h['0.weight'].data_offsets = [0, 64];
    });
    expect(() => decodeModel(past)).toThrow(/data_offsets \[0, 64\] point past the end of the data \(16 bytes\)/);
    const long = new Uint8Array(bytes);
    new DataView(long.buffer).setBigUint64(0, 1n << 40n, true);
    expect(() => decodeModel(long)).toThrow(/its header claims \d+ bytes but only \d+ follow/);
  });

  it('a file that is not ours or not an autoencoder is refused', () => {
    expect(() => decodeModel(new TextEncoder().encode('name,label\nx,normal\n'))).toThrow(/not a safetensors file/);
    const conv = new Map<string, F32Tensor>([['conv.weight', { shape: [1, 1, 3, 3], data: new Float32Array(9) }]]);
    expect(() => decodeModel(encodeSafetensors(conv))).toThrow(/"conv" has no 2-D weight; netae reads autoencoders of nn.Linear layers/);
    const running = new Map<string, F32Tensor>([['bn.running_mean', { shape: [4], data: new Float32Array(4) }]]);
    expect(() => decodeModel(encodeSafetensors(running))).toThrow(/"bn.running_mean" is not the weight or bias of a layer/);
  });

  it('loads a PyTorch nn.Sequential autoencoder, inferring the activations from the module numbers', () => {
    const random = seededRandom(1);
    const t = (shape: number[]): F32Tensor => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => random()) });
    // nn.Sequential(Linear(10, 4), ReLU(), Linear(4, 2), Linear(2, 10)) saved with save_file(model.state_dict())
    const tensors = new Map([
      ['0.weight', t([4, 10])], ['0.bias', t([4])], ['2.weight', t([2, 4])], ['2.bias', t([2])], ['3.weight', t([10, 2])], ['3.bias', t([10])],
    ]);
    const loaded = decodeModel(encodeSafetensors(tensors));
    expect(loaded.spec).toEqual({ widths: [10, 4, 2, 10], activations: ['relu', 'identity', 'identity'] });
    expect(Array.from(loaded.params.subarray(0, 40))).toEqual(Array.from(tensors.get('0.weight')!.data));
    const given = decodeModel(encodeSafetensors(tensors), { spec: '10-4:tanh-2-10:sigmoid' });
    expect(given.spec.activations).toEqual(['tanh', 'relu', 'sigmoid']);
    expect(() => decodeModel(encodeSafetensors(tensors), { spec: '10-5-10' })).toThrow(/does not match the file's layers 10-4-2-10/);
  });

  it("loads the seed's encoder/decoder pair", () => {
    const spec = seedSpec(8);
    const params = initParams(spec, 2);
    const tensors = new Map<string, F32Tensor>([
      ['decoder.bias', { shape: [8], data: params.subarray(36 + 4 * 8, 36 + 4 * 8 + 8) }],
      ['decoder.weight', { shape: [8, 4], data: params.subarray(36, 36 + 32) }],
      ['encoder.bias', { shape: [4], data: params.subarray(32, 36) }],
      ['encoder.weight', { shape: [4, 8], data: params.subarray(0, 32) }],
    ]);
    const loaded = decodeModel(encodeSafetensors(tensors));
    expect(loaded.spec).toEqual(spec);
    expect(Array.from(loaded.params)).toEqual(Array.from(params));
    expect(layerNames(parseSpec('8-4-8', 8))).toEqual(['encoder.0', 'decoder.0']);
  });

  it('refuses a model that would score wrong, naming the file and the tensor or field', () => {
    const m = model();
    const nan = { ...m, params: Float32Array.from(m.params, (v, i) => (i === 5 ? Number.NaN : v)) };
    expect(() => decodeModel(encodeModel(nan), { source: 'm.st' })).toThrow('m.st: tensor "encoder.0.weight" holds NaN at index 5; a model\'s weights must be finite');
    const inf = { ...m, params: Float32Array.from(m.params, (v, i) => (i === m.params.length - 1 ? -Infinity : v)) };
    expect(() => decodeModel(encodeModel(inf), { source: 'm.st' })).toThrow(/m\.st: tensor "decoder\.4\.bias" holds -Infinity at index 11/);
    const negative = { ...m, meta: { ...m.meta, threshold: { value: -5, mode: 'fixed' as const } } };
    expect(() => decodeModel(encodeModel(negative), { source: 'm.st' })).toThrow('m.st: threshold.value is -5; a threshold on reconstruction errors cannot be negative');
    const bytes = encodeModel(m);
    for (const version of [0, -1, 1.5]) {
      const other = patchMetadata(bytes, (netae) => ({ ...netae, version }));
      expect(() => decodeModel(other, { source: 'm.st' })).toThrow(`m.st: model format ${version} is not one netae writes (this one reads formats 1 and 2)`);
    }
    expect(() => decodeModel(patchMetadata(bytes, (netae) => ({ ...netae, version: 3 })), { source: 'm.st' })).toThrow('written by a newer netae (model format 3; this one reads formats 1 and 2)');
    expect(decodeModel(patchMetadata(bytes, (netae) => ({ ...netae, version: 1 })), { source: 'm.st' }).params, 'format 1 reads as it did').toEqual(decodeModel(bytes).params);
    const state = new Map<string, F32Tensor>([['0.weight', { shape: [2, 2], data: new Float32Array([1, Infinity, 0, 0]) }]]);
    expect(() => decodeModel(encodeSafetensors(state), { source: 'pt.st', spec: '2-2' })).toThrow('pt.st: tensor "0.weight" holds Infinity at index 1');
  });

  it('limits the parameters of a spec before anything is allocated, and scales the default with width', () => {
    expect(() => checkSpecText('66-100000000-66')).toThrow(/make 13,300,000,066 parameters; netae builds at most 268,435,456/);
    expect(() => checkSpecText('122-0-122')).toThrow('layer widths must be whole numbers ≥ 1, got 122-0-122');
    expect(() => checkSpecText('garbage')).toThrow('"garbage" is not a width');
    expect(() => checkSpecText('auto-64-auto')).not.toThrow();
    expect(() => checkSpecText('auto-200000000-auto')).toThrow(/netae builds at most/);
    expect(() => parseSpec('auto-200000000-auto', 10)).toThrow(/netae builds at most/);
    expect(defaultSpec(122).widths).toEqual([122, 64, 32, 16, 32, 64, 122]);
    const wide = defaultSpec(20_000);
    expect(wide.widths).toEqual([20_000, 512, 256, 128, 256, 512, 20_000]);
    expect(parameterCount(wide)).toBeLessThan(MAX_PARAMETERS / 10);
  });
});

/** The file with its netae metadata replaced by `edit`'s result. */
function patchMetadata(bytes: Uint8Array, edit: (netae: Record<string, unknown>) => Record<string, unknown>): Uint8Array {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  const tensors = new Map<string, F32Tensor>();
  for (const [name, info] of Object.entries(header as Record<string, { shape: number[]; data_offsets: [number, number] }>)) {
    if (name === '__metadata__') continue;
    const [begin, end] = info.data_offsets;
    tensors.set(name, { shape: info.shape, data: new Float32Array(bytes.slice(8 + length + begin, 8 + length + end).buffer) });
  }
  const metadata = header.__metadata__ as Record<string, string>;
  return encodeSafetensors(tensors, { ...metadata, netae: JSON.stringify(edit(JSON.parse(metadata.netae))) });
}
