import { acquireGpu, type AcquireOptions, type Gpu } from '../../gpu/device';
import { settle } from '../../gpu/settle';

/** GPUs being acquired or in use, so that every way out of the process can release them. */
const acquiring = new Set<Promise<Gpu>>();
const held = new Set<Gpu>();

/** How long an exit waits for Dawn to report a device gone before it goes anyway. */
const CLOSE_WAIT_MS = 2000;

/** Runs `work` with a GPU and always releases it, so the process can exit. */
export async function withGpu<T>(work: (gpu: Gpu) => Promise<T>, options: AcquireOptions = {}): Promise<T> {
  const pending = acquireGpu(options);
  acquiring.add(pending);
  let gpu: Gpu;
  try {
    gpu = await pending;
  } finally {
    acquiring.delete(pending);
  }
  held.add(gpu);
  try {
    return await work(gpu);
  } finally {
    await close(gpu);
  }
}

/**
 * Destroys the device and waits until Dawn has reported it gone: a process that exits while
 * Dawn's threads still work on a device can crash natively (SIGSEGV, or an abort from a C++
 * exception) instead of exiting with its code.
 */
async function close(gpu: Gpu): Promise<void> {
  held.delete(gpu);
  gpu.release();
  await settle(withTimeout(gpu.closed));
}

/** Settles with `promise`, or after CLOSE_WAIT_MS, whichever is first. */
function withTimeout(promise: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, CLOSE_WAIT_MS);
  });
  return Promise.race([promise.then(() => undefined, () => undefined), timeout]).finally(() => clearTimeout(timer));
}

/** Releases every GPU, those still being acquired included (for a signal or a fatal error). */
export async function releaseGpus(): Promise<void> {
  await withTimeout(Promise.all([...acquiring].map((p) => p.then((gpu) => held.add(gpu), () => undefined))));
  await Promise.all([...held].map(close));
}
