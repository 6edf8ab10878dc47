import { table } from 'arquero';
import { describe, expect, it } from 'vitest';
import { createExpandTables, destroyExpandTables, expand } from '../../src/gpu/expand';
import { createTensor, readTensor, viewTensor } from '../../src/gpu/tensor';
import { seededRandom } from '../../src/model/random';
import { fitFeatures } from '../../src/pipeline/features';
import { expandRows, NO_SLOT, packedLayout, type PackedLayout } from '../../src/pipeline/packed-rows';
import { runLaunches, testGpu } from './helpers';

const gpu = await testGpu();

/** Features of 3 numeric and 2 categorical columns (4 and 6 categories, each with its unseen place): 15 in all. */
function fitted(weighted: boolean) {
  const fit = table({
    a: Float64Array.from([1, 2, 3, 4, 5, 6]),
    b: Float64Array.from([0.5, 0.25, 8, 2, 1, 3]),
    c: Float64Array.from([10, 20, 30, 10, 20, 30]),
    proto: ['tcp', 'udp', 'icmp', 'gre', 'tcp', 'udp'],
    service: ['http', 'dns', 'ssh', 'ftp', 'smtp', 'ntp'],
  });
  const features = fitFeatures(fit, { numeric: ['a', 'b', 'c'], categorical: ['proto', 'service'] });
  return weighted ? features.weighted(Array.from({ length: features.width }, (_, f) => 0.3 + f / 7)) : features;
}

/**
 * Random packed rows: numeric words any f32 (signed zeros, NaN and subnormals among them), each
 * category word one of its column's places (its unseen place included) or NO_SLOT, and now and
 * then a word no decoder writes (a place of another column, a numeric feature's, one past the
 * row), which sets nothing.
 */
function packedRows(layout: PackedLayout, rows: number, seed: number): Uint32Array {
  const next = seededRandom(seed);
  const words = new Uint32Array(rows * layout.words);
  const values = new Float32Array(words.buffer);
  const special = [0, -0, NaN, 1e-42, -3.5, Infinity];
  const places: number[][] = Array.from({ length: layout.words - layout.numeric }, () => []);
  for (let c = layout.numeric; c < layout.width; c++) places[layout.wordOf[c] - layout.numeric].push(c);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < layout.numeric; c++) {
      values[r * layout.words + c] = next() < 0.1 ? special[Math.floor(next() * special.length)] : (next() * 2 - 1) * 4;
    }
    places.forEach((column, k) => {
      const pick = Math.floor(next() * (column.length + 1));
      const stray = [places[(k + 1) % places.length][0], 1, layout.width][Math.floor(next() * 3)];
      words[r * layout.words + layout.numeric + k] = next() < 0.05 ? stray : pick === column.length ? NO_SLOT : column[pick];
    });
  }
  return words;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  const [x, y] = [new Uint32Array(a.buffer, a.byteOffset, a.length), new Uint32Array(b.buffer, b.byteOffset, b.length)];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

describe('expand', () => {
  it('the CPU expansion sets each present category to its value, a column of no category to zeros, and copies numeric words', () => {
    const features = fitted(true);
    const layout = packedLayout(features);
    expect([layout.width, layout.numeric, layout.words]).toEqual([15, 3, 5]);
    const [proto, service] = features.categorical;
    const row = new Uint32Array([0x3f80_0000, 0x8000_0000, 0x7fc0_0001, proto.base + proto.unseen, NO_SLOT]);
    const dense = expandRows(row, 1, layout);
    expect(Array.from(new Uint32Array(dense.buffer, 0, 3))).toEqual([0x3f80_0000, 0x8000_0000, 0x7fc0_0001]);
    expect(Array.from(dense.subarray(proto.base, proto.base + proto.hot.length))).toEqual([0, 0, 0, 0, proto.hot[proto.unseen]]);
    expect(proto.hot[proto.unseen]).not.toBe(1);
    expect(Array.from(dense.subarray(service.base, service.base + service.hot.length))).toEqual(new Array(service.hot.length).fill(0));
  });

  it.each([[1, false], [7, true], [1000, true], [4099, false]])(
    'on %i packed rows of 15 features (weighted: %s), rows not a multiple of the workgroup, gives the CPU expansion to the bit',
    async (rows, weighted) => {
      const layout = packedLayout(fitted(weighted));
      const words = packedRows(layout, rows, rows);
      const tables = createExpandTables(gpu, layout);
      const packed = createTensor(gpu, rows, layout.words, 'packed', new Float32Array(words.buffer));
      const out = createTensor(gpu, rows, layout.width, 'X', new Float32Array(rows * layout.width).fill(9));
      await runLaunches(gpu, await expand(gpu, { packed, tables, out }));
      const expected = expandRows(words, rows, layout);
      expect(sameBits(await readTensor(gpu, out), expected)).toBe(true);
      destroyExpandTables(tables);
      packed.buffer.destroy();
      out.buffer.destroy();
    },
  );

  it('writes its rows at the output tensor\'s offset and nothing else', async () => {
    const layout = packedLayout(fitted(false));
    const rows = 33;
    const words = packedRows(layout, rows, 5);
    const tables = createExpandTables(gpu, layout);
    const packed = createTensor(gpu, rows, layout.words, 'packed', new Float32Array(words.buffer));
    const base = createTensor(gpu, 1, (rows + 2) * layout.width, 'buffer', new Float32Array((rows + 2) * layout.width).fill(9));
    const out = viewTensor(base, layout.width, rows, layout.width, 'X');
    await runLaunches(gpu, await expand(gpu, { packed, tables, out }));
    const all = await readTensor(gpu, base);
    expect(sameBits(all.subarray(layout.width, (rows + 1) * layout.width), expandRows(words, rows, layout))).toBe(true);
    expect([...all.subarray(0, layout.width), ...all.subarray((rows + 1) * layout.width)].every((v) => v === 9)).toBe(true);
    destroyExpandTables(tables);
  });
});
