import { expect, it } from 'vitest';
import { ADAM_DEFAULTS, adam, adamGroups } from '../../src/gpu/adam';
import { releaseLaunches } from '../../src/gpu/launch';
import { createBuffer, createTensor, readTensor } from '../../src/gpu/tensor';
import { timeLaunches } from '../../src/gpu/timing';
import { testGpu } from './helpers';

const gpu = await testGpu({ timing: true });

it('times the launches run once to warm up and then reps times, per run, within the time the call took', async () => {
  // Adam counts its own steps on the GPU: the count shows how many times the launch ran.
  const n = 100_000;
  const steps = createBuffer(gpu, adamGroups(n) * 4, 'steps');
  const launch = await adam(gpu, {
    params: createTensor(gpu, 1, n, 'θ'), grads: createTensor(gpu, 1, n, 'grad', new Float32Array(n).fill(1)),
    m: createTensor(gpu, 1, n, 'm'), v: createTensor(gpu, 1, n, 'v'), steps, hyper: ADAM_DEFAULTS,
  });
  const started = performance.now();
  const timing = await timeLaunches(gpu, [launch], 5);
  const elapsed = performance.now() - started;
  releaseLaunches([launch]);
  const counts = await readTensor(gpu, { buffer: steps, offset: 0, rows: 1, cols: adamGroups(n), label: 'steps' });
  expect(Array.from(new Uint32Array(counts.buffer))).toEqual(new Array(adamGroups(n)).fill(1 + 5));
  expect(timing.method).toBe(gpu.timestamps ? 'timestamp' : 'wall');
  expect(timing.ms).toBeGreaterThan(0);
  expect(timing.ms * 5).toBeLessThanOrEqual(elapsed);
});
