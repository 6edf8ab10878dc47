import { expect, it } from 'vitest';
import { releaseLaunches } from '../../src/gpu/launch';
import { rowError } from '../../src/gpu/loss';
import { createTensor } from '../../src/gpu/tensor';
import { timeLaunches } from '../../src/gpu/timing';
import { testGpu } from './helpers';

const gpu = await testGpu({ timing: true });

it('times a kernel with GPU timestamps where the adapter has them', async () => {
  const [M, N] = [4096, 122];
  const y = createTensor(gpu, M, N, 'Y', new Float32Array(M * N).fill(1));
  const launch = await rowError(gpu, { y, x: createTensor(gpu, M, N, 'X'), out: createTensor(gpu, M, 1, 'scores') });
  const timing = await timeLaunches(gpu, [launch], 5);
  releaseLaunches([launch]);
  expect(timing.method).toBe(gpu.timestamps ? 'timestamp' : 'wall');
  expect(timing.ms).toBeGreaterThan(0);
  expect(timing.ms).toBeLessThan(10_000);
});
