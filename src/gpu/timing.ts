import type { Gpu } from './device';
import { encodeLaunch, type Launch } from './launch';
import { settle } from './settle';
import { readBytes } from './tensor';

export interface Timing {
  /** Milliseconds per run of the launches. */
  readonly ms: number;
  /** `timestamp`: GPU timestamps around the pass; `wall`: host clock from submit to done. */
  readonly method: 'timestamp' | 'wall';
}

/**
 * Runs the launches `reps` times in one pass, after one warm-up run, and returns the time
 * per run: from GPU timestamps where the device has `timestamp-query`, else the wall clock.
 */
export async function timeLaunches(gpu: Gpu, launches: readonly Launch[], reps: number): Promise<Timing> {
  await runTimed(gpu, launches, 1, null);
  if (!gpu.timestamps) {
    const start = performance.now();
    await runTimed(gpu, launches, reps, null);
    return { ms: (performance.now() - start) / reps, method: 'wall' };
  }
  const querySet = gpu.device.createQuerySet({ type: 'timestamp', count: 2 });
  const resolved = gpu.device.createBuffer({
    size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
  });
  try {
    await runTimed(gpu, launches, reps, { querySet, resolved });
    const [begin, end] = new BigInt64Array(await readBytes(gpu, resolved, 0, 16));
    return { ms: Number(end - begin) / 1e6 / reps, method: 'timestamp' };
  } finally {
    querySet.destroy();
    resolved.destroy();
  }
}

async function runTimed(
  gpu: Gpu, launches: readonly Launch[], reps: number,
  timestamps: { querySet: GPUQuerySet; resolved: GPUBuffer } | null,
): Promise<void> {
  const encoder = gpu.device.createCommandEncoder({ label: 'timed' });
  const pass = encoder.beginComputePass({
    label: 'timed',
    ...(timestamps ? { timestampWrites: { querySet: timestamps.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {}),
  });
  for (let r = 0; r < reps; r++) for (const launch of launches) encodeLaunch(pass, launch);
  pass.end();
  if (timestamps) encoder.resolveQuerySet(timestamps.querySet, 0, 2, timestamps.resolved, 0);
  gpu.submit([encoder.finish()], launches.map((l) => l.label));
  await settle(gpu.device.queue.onSubmittedWorkDone());
  await gpu.check();
}
