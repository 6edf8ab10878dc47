import { describe, expect, it } from 'vitest';
import { releaseLaunches, submitLaunches, type Launch } from '../../src/gpu/launch';
import { ACTIVATIONS } from '../../src/gpu/activation';
import { ADAM_DEFAULTS, adam, adamGroups } from '../../src/gpu/adam';
import { linearBackwardInput, linearForward } from '../../src/gpu/gemm';
import { mse, rowError } from '../../src/gpu/loss';
import { sum } from '../../src/gpu/reduce';
import { gather } from '../../src/gpu/rows';
import { createBuffer, createTensor, readTensor, viewTensor } from '../../src/gpu/tensor';
import * as ref from '../../src/model/reference';
import { AdamBound, mseBounds, rowErrorBounds } from './bounds';
import { expectTight, expectWithin, gamma, outOfBounds, randomMatrix, runLaunches, testGpu } from './helpers';

const gpu = await testGpu();

it('the adapter is reported with its name, backend and limits', () => {
  expect(gpu.adapter.description || gpu.adapter.device || gpu.adapter.vendor).not.toBe('');
  expect(gpu.adapter.backend).not.toBe('');
  expect(gpu.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
  expect(gpu.limits.maxComputeWorkgroupsPerDimension).toBeGreaterThanOrEqual(65_535);
});

function run(...launches: Launch[]): Promise<void> {
  return runLaunches(gpu, ...launches);
}

/** W [n×k] followed by b [n] in one buffer, as a model's parameters are kept. */
function linearParams(n: number, k: number, seed: number) {
  const w = randomMatrix(n, k, seed, 1 / Math.sqrt(k));
  const b = randomMatrix(1, n, seed + 1, 0.5);
  const flat = new Float32Array(n * k + n);
  flat.set(w.f32);
  flat.set(b.f32, n * k);
  const all = createTensor(gpu, 1, flat.length, 'params', flat);
  return {
    w: viewTensor(all, 0, n, k, 'W'),
    b: viewTensor(all, n * k, 1, n, 'b'),
    ref: { w: w.ref, b: Array.from(b.f32) },
  };
}

describe('loss, score, reduction and gather kernels', () => {
  it.each([[1, 1], [7, 13], [256, 122], [1000, 5]])('mse on %i×%i gives row errors, loss and dZ of the reference', async (M, N) => {
    for (const act of ACTIVATIONS) {
      const y = randomMatrix(M, N, M + N + 1);
      const yValues = act === 'sigmoid' ? y.f32.map((v) => (v + 1) / 2) : act === 'relu' ? y.f32.map(Math.abs) : y.f32;
      const t = randomMatrix(M, N, M + N + 2);
      const dz = createTensor(gpu, M, N, 'dZ');
      const rowErr = createTensor(gpu, M, 1, 'row errors');
      const loss = createTensor(gpu, 1, 1, 'loss');
      await run(await mse(gpu, {
        y: createTensor(gpu, M, N, 'Y', yValues), target: createTensor(gpu, M, N, 'T', t.f32), dz, rowErr, loss, act,
      }));
      const exact = { values: Float64Array.from(yValues), bound: new Float64Array(M * N) };
      const expected = mseBounds(exact, t.ref, act);
      expectWithin(await readTensor(gpu, rowErr), expected.rowErr.values, expected.rowErr.bound);
      expectWithin(await readTensor(gpu, loss), [expected.loss.value], [expected.loss.bound]);
      expectWithin(await readTensor(gpu, dz), expected.dz.values, expected.dz.bound);
      expectTight(expected.rowErr.values, expected.rowErr.bound);
      expectTight(expected.dz.values, expected.dz.bound);
      expectTight([expected.loss.value], [expected.loss.bound]);
      expect(outOfBounds(expected.dz.values.map((v) => v * 1.001), expected.dz.values, expected.dz.bound)).not.toBeNull();
    }
  });

  it.each([[1, 1], [3, 7], [65_536, 122]])('row error on %i×%i equals the reference', async (M, N) => {
    const y = randomMatrix(M, N, 21);
    const x = randomMatrix(M, N, 22);
    const out = createTensor(gpu, M, 1, 'scores');
    await run(await rowError(gpu, { y: createTensor(gpu, M, N, 'Y', y.f32), x: createTensor(gpu, M, N, 'X', x.f32), out }));
    const expected = rowErrorBounds({ values: y.ref.data, bound: new Float64Array(M * N) }, x.ref);
    expectWithin(await readTensor(gpu, out), expected.values, expected.bound);
    expectTight(expected.values, expected.bound);
  });

  it.each([1, 5, 4096, 4097, 300_000])('sum of %i values equals the reference', async (n) => {
    const x = randomMatrix(1, n, n);
    const out = createTensor(gpu, 1, 1, 'total');
    const launches = await sum(gpu, { x: createTensor(gpu, 1, n, 'x', x.f32), out });
    await run(...launches);
    // A sum of n terms in any order: γ_{n−1} Σ|x| would allow 1.8 % of Σ|x| at 300,000 values,
    // more than the sum itself. The kernel's chains are shorter: each value passes through
    // ITEMS = 16 additions in its invocation and log2(WG) = 8 in the workgroup's tree, per
    // level, and a level shrinks the vector 4096-fold.
    const levels = Math.max(1, Math.ceil(Math.log(n) / Math.log(4096)));
    const magnitude = x.f32.reduce((s, v) => s + Math.abs(v), 0);
    const bound = [gamma(levels * (16 + 8)) * magnitude];
    expectWithin(await readTensor(gpu, out), [ref.sum(x.f32)], bound);
    expectTight([ref.sum(x.f32)], bound);
  });

  it('gather copies rows in the given order into aligned batch slots', async () => {
    const [rows, cols, batch, slot] = [10, 3, 4, 16];
    const x = randomMatrix(rows, cols, 5);
    const order = [9, 2, 4, 0, 1, 8, 7, 3, 6, 5];
    const index = createBuffer(gpu, rows * 4, 'index');
    gpu.device.queue.writeBuffer(index, 0, new Uint32Array(order));
    const out = createBuffer(gpu, 3 * slot * 4, 'batches');
    await run(await gather(gpu, { x: createTensor(gpu, rows, cols, 'X', x.f32), index, rows, out, batch, slot }));
    const got = await readTensor(gpu, { buffer: out, offset: 0, rows: 1, cols: 3 * slot, label: 'batches' });
    order.forEach((source, r) => {
      const at = Math.floor(r / batch) * slot + (r % batch) * cols;
      expect(Array.from(got.slice(at, at + cols))).toEqual(Array.from(x.f32.slice(source * cols, source * cols + cols)));
    });
  });
});

describe('Adam', () => {
  it.each([
    ['defaults', ADAM_DEFAULTS],
    ['weight decay and a larger rate', { ...ADAM_DEFAULTS, lr: 0.01, weightDecay: 0.01 }],
  ])('10 steps with %s equal torch.optim.Adam step by step', async (_name, hyper) => {
    const n = 1000;
    const p0 = randomMatrix(1, n, 1);
    const params = createTensor(gpu, 1, n, 'θ', p0.f32);
    const grads = createTensor(gpu, 1, n, 'grad');
    const steps = createBuffer(gpu, adamGroups(n) * 4, 'steps');
    const launch = await adam(gpu, {
      params, grads, m: createTensor(gpu, 1, n, 'm'), v: createTensor(gpu, 1, n, 'v'), steps, hyper,
    });
    const expected = new AdamBound(p0.f32, hyper);
    for (let step = 1; step <= 10; step++) {
      const g = randomMatrix(1, n, 100 + step, step % 3 === 0 ? 1e-3 : 1);
      gpu.device.queue.writeBuffer(grads.buffer, 0, g.f32);
      submitLaunches(gpu, [launch]);
      expected.step(g.f32, new Float64Array(n));
      expectWithin(await readTensor(gpu, params), expected.theta, expected.thetaBound);
    }
    // The bound is far below a step: an update of lr/2 instead of lr would be outside it.
    const largest = expected.thetaBound.reduce((a, b) => Math.max(a, b));
    expect(largest).toBeLessThan(hyper.lr / 100);
    const counts = await readTensor(gpu, { buffer: steps, offset: 0, rows: 1, cols: adamGroups(n), label: 'steps' });
    expect(Array.from(new Uint32Array(counts.buffer))).toEqual(new Array(adamGroups(n)).fill(10));
    releaseLaunches([launch]);
  });
});

describe('bad input is refused before any GPU work', () => {
  it('mismatched shapes name the op and both shapes', async () => {
    const x = createTensor(gpu, 8, 10, 'X');
    const p = linearParams(4, 9, 1);
    const y = createTensor(gpu, 8, 4, 'Y');
    await expect(linearForward(gpu, { x, w: p.w, b: p.b, y, act: 'relu' })).rejects.toThrow(/linearForward: W \[4×9\] should be \[4×10\].*X \[8×10\]/);
    const dz = createTensor(gpu, 8, 5, 'dZ');
    await expect(linearBackwardInput(gpu, { dz, w: p.w, prev: x, dx: x, act: 'relu' })).rejects.toThrow(/linearBackwardInput: W \[4×9\]/);
    await expect(mse(gpu, { y, target: x, dz: y, rowErr: createTensor(gpu, 8, 1, 'e'), loss: createTensor(gpu, 1, 1, 'l'), act: 'identity' }))
      .rejects.toThrow(/mse: X \[8×10\] should be \[8×4\]/);
  });

  it('a zero-size tensor is refused', () => {
    expect(() => createTensor(gpu, 0, 122, 'X')).toThrow(/createTensor: X \[0×122\] is empty/);
    expect(() => createTensor(gpu, 10, 0, 'X')).toThrow(/X \[10×0\] is empty/);
  });

  it('a batch larger than one binding allows is refused, naming the limit', () => {
    const rows = Math.floor(gpu.limits.maxStorageBufferBindingSize / (122 * 4)) + 1;
    expect(() => createTensor(gpu, rows, 122, 'batch')).toThrow(new RegExp(`batch \\[${rows}×122\\] needs \\d+ bytes, more than the ${gpu.limits.maxStorageBufferBindingSize} bytes`));
  });

  it('a tensor written and read in one dispatch is refused', async () => {
    const x = createTensor(gpu, 4, 4, 'X');
    const p = linearParams(4, 4, 2);
    await expect(linearForward(gpu, { x, w: p.w, b: p.b, y: x, act: 'identity' })).rejects.toThrow(/X is written while X/);
  });

  it('an error the device reports later is thrown by check, naming the kernel and shapes', async () => {
    const x = createTensor(gpu, 4, 3, 'X');
    const p = linearParams(2, 3, 3);
    const y = createTensor(gpu, 4, 2, 'Y');
    const launch = await linearForward(gpu, { x, w: p.w, b: p.b, y, act: 'identity' });
    x.buffer.destroy();
    submitLaunches(gpu, [launch]);
    await expect(gpu.check()).rejects.toThrow(/Buffer "X"[^]*in work that ran: .*linearForward X \[4×3\] · W \[2×3\]ᵀ/);
    await gpu.check();
  });
});
