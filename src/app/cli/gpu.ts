import { acquireGpu, type AcquireOptions, type Gpu } from '../../gpu/device';

/** Runs `work` with a GPU and always releases it, so the process can exit. */
export async function withGpu<T>(work: (gpu: Gpu) => Promise<T>, options: AcquireOptions = {}): Promise<T> {
  const gpu = await acquireGpu(options);
  try {
    return await work(gpu);
  } finally {
    gpu.release();
  }
}
