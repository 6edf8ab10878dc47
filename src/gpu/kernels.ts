import { DeviceError } from './device';
import { SHADERS, type ShaderFamily } from './shaders';

/** How a kernel sees one binding: a uniform, a read-only or a writable storage buffer. */
export interface BindingSpec {
  readonly kind: 'uniform' | 'read' | 'write';
  /** Bound with a dynamic offset, so one bind group serves every batch of an epoch. */
  readonly dynamic?: boolean;
}

/** One entry point of a WGSL family and its bindings, in binding order (0 is the uniform). */
export interface KernelSpec {
  readonly family: ShaderFamily;
  readonly entry: string;
  readonly bindings: readonly BindingSpec[];
}

export const U: BindingSpec = { kind: 'uniform' };
export const R: BindingSpec = { kind: 'read' };
export const W: BindingSpec = { kind: 'write' };
export const RD: BindingSpec = { kind: 'read', dynamic: true };
export const WD: BindingSpec = { kind: 'write', dynamic: true };

export type Constants = Readonly<Record<string, number>>;

export interface Compiled {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  readonly label: string;
}

interface DeviceCache {
  modules: Map<ShaderFamily, GPUShaderModule>;
  pipelines: Map<string, Promise<Compiled>>;
  layouts: Map<KernelSpec, GPUBindGroupLayout>;
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

export function kernelName(spec: KernelSpec): string {
  return `${spec.family}.${spec.entry}`;
}

function layoutOf(device: GPUDevice, cache: DeviceCache, spec: KernelSpec): GPUBindGroupLayout {
  let layout = cache.layouts.get(spec);
  if (!layout) {
    layout = device.createBindGroupLayout({
      label: kernelName(spec),
      entries: spec.bindings.map((b, binding) => ({
        binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: {
          type: b.kind === 'uniform' ? 'uniform' : b.kind === 'read' ? 'read-only-storage' : 'storage',
          hasDynamicOffset: b.dynamic ?? false,
        },
      })),
    });
    cache.layouts.set(spec, layout);
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
export function compile(device: GPUDevice, spec: KernelSpec, constants: Constants = {}): Promise<Compiled> {
  const cache = cacheOf(device);
  const label = `${kernelName(spec)}(${constantsText(constants)})`;
  let compiled = cache.pipelines.get(label);
  if (!compiled) {
    const layout = layoutOf(device, cache, spec);
    compiled = device
      .createComputePipelineAsync({
        label,
        layout: device.createPipelineLayout({ label, bindGroupLayouts: [layout] }),
        compute: { module: moduleOf(device, cache, spec.family), entryPoint: spec.entry, constants: { ...constants } },
      })
      .then(
        (pipeline) => ({ pipeline, layout, label }),
        (error: unknown) => {
          cache.pipelines.delete(label);
          throw new DeviceError(`kernel ${label} did not compile: ${error instanceof Error ? error.message : String(error)}`);
        },
      );
    cache.pipelines.set(label, compiled);
  }
  return compiled;
}
