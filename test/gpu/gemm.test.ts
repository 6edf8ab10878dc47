import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, type Activation } from '../../src/gpu/activation';
import { fastest, tuningRecords } from '../../src/gpu/autotune';
import { acquireGpu } from '../../src/gpu/device';
import {
  forceGemmTiling, linearBackwardInput, linearBackwardWeight, linearForward, linearForwardNaive,
} from '../../src/gpu/gemm';
import { releaseLaunches, submitLaunches, type Launch } from '../../src/gpu/launch';
import { createTensor, readTensor, viewTensor, type Tensor } from '../../src/gpu/tensor';
import { BLOCK_TILINGS, DIRECT_TILES, ROWS_TILINGS, type GemmTiling } from '../../src/gpu/tuning';
import { backwardInputCase, backwardWeightCase, forwardCase, type Expected } from './gemm-cases';
import { expectWithin, outOfBounds, runLaunches, testGpu } from './helpers';

const gpu = await testGpu();
const SUBGROUPS = gpu.features.includes('subgroups');

function run(...launches: Launch[]): Promise<void> {
  return runLaunches(gpu, ...launches);
}

/** `values` placed `offset` floats into a buffer of their own. */
function tensorAt(rows: number, cols: number, label: string, values: Float32Array | null, offset = 0): Tensor {
  const base = createTensor(gpu, 1, offset + rows * cols + 3, `${label} buffer`);
  const t = viewTensor(base, offset, rows, cols, label);
  if (values) gpu.device.queue.writeBuffer(base.buffer, offset * 4, values);
  return t;
}

/** W [n×k] followed by b [n] in one buffer, as a model's parameters are kept. */
function paramsAt(w: Float32Array, b: Float32Array, n: number, k: number, offset = 0) {
  const flat = new Float32Array(n * k + n);
  flat.set(w);
  flat.set(b, n * k);
  const all = tensorAt(1, flat.length, 'params', flat, offset);
  return { w: viewTensor(all, offset, n, k, 'W'), b: viewTensor(all, offset + n * k, 1, n, 'b') };
}

async function expectTensor(t: Tensor, e: Expected): Promise<void> {
  expectWithin(await readTensor(gpu, t), e.values, e.bound);
}

/** Backward to the weights on one shape: dW and db. */
async function checkBackwardWeight(M: number, K: number, N: number, tiles: GemmTiling | undefined, offset = 0) {
  const bw = backwardWeightCase(M, K, N, 3 * M + N + 5 * K);
  const grads = tensorAt(1, N * K + N, 'grads', null, offset);
  const dw = viewTensor(grads, offset, N, K, 'dW');
  const db = viewTensor(grads, offset + N * K, 1, N, 'db');
  await run(await linearBackwardWeight(gpu, {
    dz: tensorAt(M, N, 'dZ', bw.dz.f32, offset), x: tensorAt(M, K, 'X', bw.x.f32, offset), dw, db, tiles,
  }));
  await expectTensor(dw, bw.dw);
  await expectTensor(db, bw.db);
}

/** Forward, backward to the input (every activation, or `acts`) and to the weights on one shape. */
async function checkProducts(M: number, K: number, N: number, tiles: GemmTiling | undefined, offset = 0, acts: readonly Activation[] = ACTIVATIONS) {
  const f = forwardCase(M, K, N, M * 31 + K + N);
  const x = tensorAt(M, K, 'X', f.x.f32, offset);
  const p = paramsAt(f.w.f32, f.b.f32, N, K, offset);
  for (const act of acts) {
    const y = tensorAt(M, N, 'Y', null, offset);
    await run(await linearForward(gpu, { x, w: p.w, b: p.b, y, act, tiles }));
    await expectTensor(y, f.expected(act));
  }

  const bi = backwardInputCase(M, K, N, M + 7 * N + K);
  const dz = tensorAt(M, N, 'dZ', bi.dz.f32, offset);
  const w = tensorAt(N, K, 'W', bi.w.f32, offset);
  for (const act of acts) {
    const prev = tensorAt(M, K, 'Y_prev', bi.prev(act), offset);
    const dx = tensorAt(M, K, 'dX', null, offset);
    await run(await linearBackwardInput(gpu, { dz, w, prev, dx, act, tiles }));
    await expectTensor(dx, bi.expected(act));
  }
  await checkBackwardWeight(M, K, N, tiles, offset);
}

/** M × K × N. Edges of every kind: below, at and across the block sizes; K within one slice, on slice boundaries and past them; widths that are and are not multiples of 4. */
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [7, 13, 5],
  [3, 6, 7],
  [33, 10, 18],
  [130, 9, 131],
  [68, 36, 72],
  [256, 122, 64],
];

const TILINGS: GemmTiling[] = [DIRECT_TILES, { ...DIRECT_TILES, name: 'direct TM=3 WGX=4', TM: 3, WGX: 4 }, ...BLOCK_TILINGS];
const named = TILINGS.map((t) => [t.name, t] as const);

describe.each(named)('GEMM kernels, %s tiles', (_name, tiles) => {
  it.each(SHAPES)('%i×%i×%i: forward, backward to the input and to the weights are within float32 error of the reference', async (M, K, N) => {
    await checkProducts(M, K, N, tiles);
  });

  it.each([1, 4])('operands %i floats into their buffers give the same products', async (offset) => {
    await checkProducts(68, 36, 72, tiles, offset, ['tanh']);
    await checkProducts(33, 10, 18, tiles, offset, ['relu']);
  });
});

/** The rows kernels compute dW alone; the subgroup ones only where the device has subgroups. */
const ROWS = ROWS_TILINGS.filter((t) => !t.subgroups || SUBGROUPS).map((t) => [t.name, t] as const);

describe.each(ROWS)('backward to the weights, %s tiles', (_name, tiles) => {
  it.each([...SHAPES, [4096, 9, 70], [3000, 64, 122]])('%i×%i×%i is within float32 error of the reference', async (M, K, N) => {
    await checkBackwardWeight(M, K, N, tiles);
  });

  it.each([1, 4])('operands %i floats into their buffers give the same products', async (offset) => {
    await checkBackwardWeight(68, 36, 72, tiles, offset);
    await checkBackwardWeight(33, 10, 18, tiles, offset);
  });

  it('refuses the other products', async () => {
    const f = forwardCase(4, 4, 4, 1);
    const p = paramsAt(f.w.f32, f.b.f32, 4, 4);
    await expect(linearForward(gpu, { x: tensorAt(4, 4, 'X', f.x.f32), w: p.w, b: p.b, y: tensorAt(4, 4, 'Y', null), act: 'relu', tiles }))
      .rejects.toThrow(`linearForward: tiling ${tiles.name}: it computes only linearBackwardWeight`);
  });
});

it.each(SHAPES)('the naive baseline forward %i×%i×%i is within float32 error of the reference', async (M, K, N) => {
  const f = forwardCase(M, K, N, M + 2 * K);
  const p = paramsAt(f.w.f32, f.b.f32, N, K);
  const y = tensorAt(M, N, 'Y', null);
  await run(await linearForwardNaive(gpu, { x: tensorAt(M, K, 'X', f.x.f32), w: p.w, b: p.b, y, act: 'tanh' }));
  await expectTensor(y, f.expected('tanh'));
});

describe('no product writes outside its output', () => {
  const SENTINEL = 1234.5;
  const PAD = 64;
  /** A view of rows × cols in the middle of a buffer whose other floats hold a sentinel. */
  function guarded(rows: number, cols: number, label: string) {
    const base = createTensor(gpu, 1, 2 * PAD + rows * cols, `${label} buffer`, new Float32Array(2 * PAD + rows * cols).fill(SENTINEL));
    return { base, view: viewTensor(base, PAD, rows, cols, label) };
  }
  async function expectUntouched(g: { base: Tensor }): Promise<void> {
    const all = await readTensor(gpu, g.base);
    const outside = [...all.subarray(0, PAD), ...all.subarray(all.length - PAD)];
    expect(outside.filter((v) => v !== SENTINEL)).toEqual([]);
  }

  const all = [...TILINGS, ...ROWS.map(([, t]) => t)];
  it.each(all.map((t) => [t.name, t] as const))('%s tiles, 33×10×18: the floats either side of the output keep their values', async (_name, tiles) => {
    const [M, K, N] = [33, 10, 18];
    const bw = backwardWeightCase(M, K, N, 4);
    const grads = guarded(1, N * K + N, 'grads');
    await run(await linearBackwardWeight(gpu, {
      dz: tensorAt(M, N, 'dZ', bw.dz.f32), x: tensorAt(M, K, 'X', bw.x.f32),
      dw: viewTensor(grads.base, PAD, N, K, 'dW'), db: viewTensor(grads.base, PAD + N * K, 1, N, 'db'), tiles,
    }));
    await expectUntouched(grads);
    if (tiles.kind === 'rows') return;
    const f = forwardCase(M, K, N, 5);
    const p = paramsAt(f.w.f32, f.b.f32, N, K);
    const y = guarded(M, N, 'Y');
    await run(await linearForward(gpu, { x: tensorAt(M, K, 'X', f.x.f32), w: p.w, b: p.b, y: y.view, act: 'relu', tiles }));
    await expectUntouched(y);
    const bi = backwardInputCase(M, K, N, 6);
    const dx = guarded(M, K, 'dX');
    await run(await linearBackwardInput(gpu, {
      dz: tensorAt(M, N, 'dZ', bi.dz.f32), w: tensorAt(N, K, 'W', bi.w.f32), prev: tensorAt(M, K, 'Y_prev', bi.prev('tanh')), dx: dx.view, act: 'tanh', tiles,
    }));
    await expectUntouched(dx);
  });
});

describe('the error bounds', () => {
  it('reject an output halved, zeroed where it is largest, or with two columns swapped', async () => {
    const [M, K, N] = [256, 122, 64];
    const f = forwardCase(M, K, N, 1);
    const p = paramsAt(f.w.f32, f.b.f32, N, K);
    const y = tensorAt(M, N, 'Y', null);
    await run(await linearForward(gpu, { x: tensorAt(M, K, 'X', f.x.f32), w: p.w, b: p.b, y, act: 'tanh' }));
    const got = await readTensor(gpu, y);
    const e = f.expected('tanh');
    expect(outOfBounds(got, e.values, e.bound)).toBeNull();
    expect(outOfBounds(got.map((v) => v / 2), e.values, e.bound)).not.toBeNull();
    const largest = e.values.reduce((best, v, i) => (Math.abs(v) > Math.abs(e.values[best]) ? i : best), 0);
    expect(outOfBounds(got.map((v, i) => (i === largest ? 0 : v)), e.values, e.bound)).not.toBeNull();
    const swapped = got.map((v, i) => (i % N === 0 ? got[i + 1] : i % N === 1 ? got[i - 1] : v));
    expect(outOfBounds(swapped, e.values, e.bound)).not.toBeNull();

    const bw = backwardWeightCase(M, K, N, 2);
    for (const e of [bw.dw, bw.db]) {
      expect(outOfBounds(e.values.map((v) => v / 2), e.values, e.bound)).not.toBeNull();
      expect(outOfBounds(e.values.map((v) => v * (1 + 1e-4)), e.values, e.bound)).not.toBeNull();
    }
  });
});

describe('GEMM kernels at scale, every tiling', () => {
  const SCALE: [number, number, number][] = [[65_536, 122, 64], [1000, 1000, 200]];

  /** Inputs, references and bounds of a shape, made once and kept for every tiling. */
  const cases = new Map<string, ReturnType<typeof scaleCase>>();
  function scaleCase(M: number, K: number, N: number) {
    const f = forwardCase(M, K, N, 11);
    const bi = backwardInputCase(M, K, N, 12);
    const bw = backwardWeightCase(M, K, N, 13);
    const p = paramsAt(f.w.f32, f.b.f32, N, K);
    return {
      f, bi, bw, fe: f.expected('relu'), bie: bi.expected('sigmoid'),
      x: tensorAt(M, K, 'X', f.x.f32), w: p.w, b: p.b,
      dz: tensorAt(M, N, 'dZ', bi.dz.f32), wi: tensorAt(N, K, 'W', bi.w.f32), prev: tensorAt(M, K, 'Y_prev', bi.prev('sigmoid')),
      bwDz: tensorAt(M, N, 'dZ', bw.dz.f32), bwX: tensorAt(M, K, 'X', bw.x.f32),
    };
  }
  const caseOf = (M: number, K: number, N: number) => {
    const key = `${M}×${K}×${N}`;
    if (!cases.has(key)) cases.set(key, scaleCase(M, K, N));
    return cases.get(key) as ReturnType<typeof scaleCase>;
  };

  const all = [...TILINGS, ...ROWS.map(([, t]) => t)];
  it.each(SCALE.flatMap(([M, K, N]) => all.map((t) => [M, K, N, t.name, t] as const)))(
    '%i×%i×%i with %s tiles: every product the tiling computes', async (M, K, N, _name, tiles) => {
      const c = caseOf(M, K, N);
      const grads = tensorAt(1, N * K + N, 'grads', null);
      const dw = viewTensor(grads, 0, N, K, 'dW');
      const db = viewTensor(grads, N * K, 1, N, 'db');
      await run(await linearBackwardWeight(gpu, { dz: c.bwDz, x: c.bwX, dw, db, tiles }));
      await expectTensor(dw, c.bw.dw);
      await expectTensor(db, c.bw.db);
      grads.buffer.destroy();
      if (tiles.kind === 'rows') return;
      const y = tensorAt(M, N, 'Y', null);
      await run(await linearForward(gpu, { x: c.x, w: c.w, b: c.b, y, act: 'relu', tiles }));
      await expectTensor(y, c.fe);
      const dx = tensorAt(M, K, 'dX', null);
      await run(await linearBackwardInput(gpu, { dz: c.dz, w: c.wi, prev: c.prev, dx, act: 'sigmoid', tiles }));
      await expectTensor(dx, c.bie);
      for (const t of [y, dx]) t.buffer.destroy();
    }, 600_000);

  it.each([
    ['direct TM=1', { ...DIRECT_TILES, name: 'direct TM=1', TM: 1 }, 65_536, 122, 64],
    ['block16x16, 16 invocations', { kind: 'block', name: 'block16x16', BM: 16, BN: 16, BK: 4, TM: 4, TN: 4 } as GemmTiling, 16 * 65_536 + 16, 1, 4],
  ] as const)('a grid of more than 65,535 workgroups (%s) is split over two dimensions', async (_name, tiles, M, K, N) => {
    const f = forwardCase(M, K, N, 14);
    const p = paramsAt(f.w.f32, f.b.f32, N, K);
    const y = tensorAt(M, N, 'Y', null);
    const launch = await linearForward(gpu, { x: tensorAt(M, K, 'X', f.x.f32), w: p.w, b: p.b, y, act: 'identity', tiles });
    expect(launch.grid[1]).toBeGreaterThan(1);
    await run(launch);
    await expectTensor(y, f.expected('identity'));
  });
});

describe('choosing a tiling', () => {
  async function forwardTiling(M: number, K: number, N: number): Promise<string> {
    const f = forwardCase(M, K, N, 21);
    const p = paramsAt(f.w.f32, f.b.f32, N, K);
    const y = tensorAt(M, N, 'Y', null);
    const launch = await linearForward(gpu, { x: tensorAt(M, K, 'X', f.x.f32), w: p.w, b: p.b, y, act: 'relu' });
    await run(launch);
    await expectTensor(y, f.expected('relu'));
    return /\[(\S+)\]$/.exec(launch.label)?.[1] ?? '';
  }

  it('a CPU adapter uses the direct tiles; a forced tiling replaces them until reset, a forced rows tiling for dW alone', async () => {
    expect(await forwardTiling(40, 20, 30)).toBe('direct');
    forceGemmTiling(gpu, 'block64x128');
    try {
      expect(await forwardTiling(40, 20, 30)).toBe('block64x128');
    } finally {
      forceGemmTiling(gpu, null);
    }
    expect(await forwardTiling(40, 20, 30)).toBe('direct');
    forceGemmTiling(gpu, 'rows8x8');
    try {
      expect(await forwardTiling(40, 20, 30)).toBe('direct');
      const grads = tensorAt(1, 30 * 20 + 30, 'grads', null);
      const launch = await linearBackwardWeight(gpu, {
        dz: tensorAt(40, 30, 'dZ', null), x: tensorAt(40, 20, 'X', null),
        dw: viewTensor(grads, 0, 30, 20, 'dW'), db: viewTensor(grads, 600, 1, 30, 'db'),
      });
      releaseLaunches([launch]);
      expect(launch.label).toMatch(/\[rows8x8\]$/);
    } finally {
      forceGemmTiling(gpu, null);
    }
    expect(() => forceGemmTiling(gpu, 'block7x7')).toThrow(/unknown GEMM tiling "block7x7"; expected tune or one of direct, block128x128/);
  });

  it('tuning times every tiling that computes the product, once per product and size class, and keeps the fastest', async () => {
    forceGemmTiling(gpu, 'tune');
    try {
      const before = tuningRecords(gpu).length;
      const first = await forwardTiling(24, 16, 12);
      const records = tuningRecords(gpu).slice(before);
      expect(records).toHaveLength(1);
      const [record] = records;
      expect(record.chosen).toBe(first);
      expect(record.candidates.map((c) => c.name)).toEqual([DIRECT_TILES, ...BLOCK_TILINGS].map((t) => t.name));
      for (const c of record.candidates) expect(c.ms).toBeGreaterThan(0);
      const fastest = record.candidates.reduce((a, b) => ((b.ms as number) < (a.ms as number) ? b : a));
      expect(first).toBe(fastest.name);

      expect(await forwardTiling(28, 12, 16)).toBe(first);
      expect(tuningRecords(gpu).length).toBe(before + 1);
      await forwardTiling(5, 16, 12);
      expect(tuningRecords(gpu).length).toBe(before + 2);
    } finally {
      forceGemmTiling(gpu, null);
    }
  });

  it('a candidate that cannot be built is recorded with its error and passed over', async () => {
    const f = forwardCase(8, 8, 8, 3);
    const p = paramsAt(f.w.f32, f.b.f32, 8, 8);
    const args = { x: tensorAt(8, 8, 'X', f.x.f32), w: p.w, b: p.b, y: tensorAt(8, 8, 'Y', null), act: 'relu' as const };
    const key = 'test: the first candidate fails';
    const chosen = await fastest(gpu, {
      key, reps: 2, candidates: [{ name: 'broken' }, { name: 'working' }],
      launches: async ({ name }) => {
        if (name === 'broken') throw new Error('no such kernel');
        return [await linearForward(gpu, { ...args, tiles: DIRECT_TILES })];
      },
    });
    expect(chosen.name).toBe('working');
    const record = tuningRecords(gpu).find((r) => r.key === key);
    expect(record?.chosen).toBe('working');
    expect(record?.candidates[0]).toEqual({ name: 'broken', ms: null, error: 'no such kernel' });
    expect(record?.candidates[1].ms).toBeGreaterThan(0);
  });

  it('without the subgroups feature the subgroup tiles are refused and the plain ones run', async () => {
    const plain = await acquireGpu({ subgroups: false });
    try {
      expect(plain.features).not.toContain('subgroups');
      const [M, K, N] = [300, 20, 24];
      const bw = backwardWeightCase(M, K, N, 9);
      const grads = createTensor(plain, 1, N * K + N, 'grads');
      const args = {
        dz: createTensor(plain, M, N, 'dZ', bw.dz.f32), x: createTensor(plain, M, K, 'X', bw.x.f32),
        dw: viewTensor(grads, 0, N, K, 'dW'), db: viewTensor(grads, N * K, 1, N, 'db'),
      };
      const [withSubgroups, without] = ['rows4x4-subgroups', 'rows4x4'].map((n) => ROWS_TILINGS.find((t) => t.name === n) as GemmTiling);
      await expect(linearBackwardWeight(plain, { ...args, tiles: withSubgroups }))
        .rejects.toThrow('linearBackwardWeight: tiling rows4x4-subgroups: this device was not given the subgroups feature');
      const launch = await linearBackwardWeight(plain, { ...args, tiles: without });
      submitLaunches(plain, [launch]);
      releaseLaunches([launch]);
      expectWithin(await readTensor(plain, args.dw), bw.dw.values, bw.dw.bound);
      expectWithin(await readTensor(plain, args.db), bw.db.values, bw.db.bound);
      await plain.check();
    } finally {
      plain.release();
    }
  });

  it('a tiling the device cannot run is refused before any GPU work, saying why', async () => {
    const f = forwardCase(8, 8, 8, 1);
    const p = paramsAt(f.w.f32, f.b.f32, 8, 8);
    const args = { x: tensorAt(8, 8, 'X', f.x.f32), w: p.w, b: p.b, y: tensorAt(8, 8, 'Y', null), act: 'relu' as const };
    await expect(linearForward(gpu, { ...args, tiles: { kind: 'block', name: 'huge', BM: 256, BN: 256, BK: 32, TM: 8, TN: 8 } }))
      .rejects.toThrow(/linearForward: tiling huge: (needs 133120 bytes of workgroup memory, more than this device's \d+|32×32 invocations exceed this device's workgroup limits)/);
    await expect(linearForward(gpu, { ...args, tiles: { kind: 'block', name: 'odd', BM: 48, BN: 64, BK: 8, TM: 6, TN: 4 } }))
      .rejects.toThrow(/tiling odd: TM and TN must be 4 or 8/);
  });
});
