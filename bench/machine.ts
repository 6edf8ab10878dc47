import { cpus, release, totalmem } from 'node:os';
import { adapterName, type Gpu } from '../src/gpu/device';
import { isCpuAdapter } from '../src/gpu/tuning';

export interface Machine {
  readonly adapter: {
    readonly name: string;
    readonly description: string;
    readonly vendor: string;
    readonly architecture: string;
    readonly device: string;
    readonly backend: string;
    readonly isCpuAdapter: boolean;
    readonly timestamps: boolean;
  };
  readonly cpu: { readonly model: string; readonly cores: number };
  readonly memoryGiB: number;
  readonly node: string;
  readonly os: string;
}

export function describeMachine(gpu: Gpu): Machine {
  const a = gpu.adapter;
  const cores = cpus();
  return {
    adapter: {
      name: adapterName(a), description: a.description, vendor: a.vendor, architecture: a.architecture,
      device: a.device, backend: a.backend, isCpuAdapter: isCpuAdapter(gpu), timestamps: gpu.timestamps,
    },
    cpu: { model: cores[0]?.model.trim() ?? 'unknown', cores: cores.length },
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${process.platform} ${release()}`,
  };
}

/** A name for files: the adapter's short name in lower case, e.g. `llvmpipe`, `nvidia-h100-80gb-hbm3`. */
export function adapterSlug(machine: Machine): string {
  return machine.adapter.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'unknown-adapter';
}
