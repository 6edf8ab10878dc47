import { DeviceError } from './device';
import { SHADERS, type ShaderFamily } from './shaders';

/** How a kernel sees one binding: a uniform, a read-only or a writable storage buffer. */
export interface BindingSpec {
  readonly kind: 'uniform' | 'read' | 'write';
  /** Bound with a dynamic offset, so one bind group serves every batch of an epoch. */
  readonly dynamic?: boolean;
}

export interface KernelSpec {
  readonly family: ShaderFamily;
  readonly entry: string;
  readonly bindings: readonly BindingSpec[];
}

const U: BindingSpec = { kind: 'uniform' };
const R: BindingSpec = { kind: 'read' };
const W: BindingSpec = { kind: 'write' };
const RD: BindingSpec = { kind: 'read', dynamic: true };
const WD: BindingSpec = { kind: 'write', dynamic: true };

export const KERNELS = {
  linearForward: { family: 'gemm', entry: 'forward', bindings: [U, RD, RD, W] },
  linearForwardNaive: { family: 'gemm', entry: 'forward_naive', bindings: [U, RD, RD, W] },
  linearBackwardInput: { family: 'gemm', entry: 'backward_input', bindings: [U, RD, RD, W, R] },
  linearBackwardWeight: { family: 'gemm', entry: 'backward_weight', bindings: [U, RD, RD, W] },
  mse: { family: 'mse', entry: 'mse', bindings: [U, R, RD, W, W, WD] },
  rowError: { family: 'score', entry: 'row_error', bindings: [U, R, R, W] },
  adam: { family: 'adam', entry: 'adam', bindings: [U, W, R, W, W, W] },
  sum: { family: 'reduce', entry: 'sum', bindings: [U, R, W] },
  gather: { family: 'rows', entry: 'gather', bindings: [U, R, R, W] },
} as const satisfies Record<string, KernelSpec>;

export type KernelName = keyof typeof KERNELS;
export type Constants = Readonly<Record<string, number>>;

export interface Compiled {
  readonly name: KernelName;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  readonly label: string;
}

interface DeviceCache {
  modules: Map<ShaderFamily, GPUShaderModule>;
  pipelines: Map<string, Promise<Compiled>>;
  layouts: Map<KernelName, GPUBindGroupLayout>;
}

const caches = new WeakMap<GPUDevice, DeviceCache>();

function cacheOf(device: GPUDevice): DeviceCache {
  let cache = caches.get(device);
  if (!cache) {
    cache = { modules: new Map(), pipelines: new Map(), layouts: new Map() };
    caches.set(device, cache);
  }
  return cache;
}

function layoutOf(device: GPUDevice, cache: DeviceCache, name: KernelName): GPUBindGroupLayout {
  let layout = cache.layouts.get(name);
  if (!layout) {
    const spec: KernelSpec = KERNELS[name];
    layout = device.createBindGroupLayout({
      label: name,
      entries: spec.bindings.map((b, binding) => ({
        binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: {
          type: b.kind === 'uniform' ? 'uniform' : b.kind === 'read' ? 'read-only-storage' : 'storage',
          hasDynamicOffset: b.dynamic ?? false,
        },
      })),
    });
    cache.layouts.set(name, layout);
  }
  return layout;
}

function moduleOf(device: GPUDevice, cache: DeviceCache, family: ShaderFamily): GPUShaderModule {
  let module = cache.modules.get(family);
  if (!module) {
    module = device.createShaderModule({ label: family, code: SHADERS[family] });
    cache.modules.set(family, module);
  }
  return module;
}

function constantsText(constants: Constants): string {
  return Object.keys(constants).sort().map((k) => `${k}=${constants[k]}`).join(',');
}

/** The compute pipeline of a kernel with these override constants, compiled once per device. */
export function compile(device: GPUDevice, name: KernelName, constants: Constants = {}): Promise<Compiled> {
  const cache = cacheOf(device);
  const label = `${name}(${constantsText(constants)})`;
  let compiled = cache.pipelines.get(label);
  if (!compiled) {
    const spec: KernelSpec = KERNELS[name];
    const layout = layoutOf(device, cache, name);
    compiled = device
      .createComputePipelineAsync({
        label,
        layout: device.createPipelineLayout({ label, bindGroupLayouts: [layout] }),
        compute: { module: moduleOf(device, cache, spec.family), entryPoint: spec.entry, constants: { ...constants } },
      })
      .then(
        (pipeline) => ({ name, pipeline, layout, label }),
        (error: unknown) => {
          cache.pipelines.delete(label);
          throw new DeviceError(`kernel ${label} did not compile: ${error instanceof Error ? error.message : String(error)}`);
        },
      );
    cache.pipelines.set(label, compiled);
  }
  return compiled;
}
