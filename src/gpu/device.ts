export { adapterName, adapterTitle, type AdapterReport } from './adapter';
import { withoutDawnNotices, type DescriptorFs } from './dawn-notices';
import { runsOnCpu, type AdapterReport } from './adapter';
import { isNode } from './runtime';
import { pauseBetweenPolls, settle } from './settle';

export interface Gpu {
  readonly device: GPUDevice;
  readonly adapter: AdapterReport;
  readonly limits: GPUSupportedLimits;
  readonly features: readonly string[];
  readonly timestamps: boolean;
  /** Invocations in a subgroup where the device has subgroups of one fixed size, else null. */
  readonly subgroupSize: number | null;
  /** Submits command buffers, remembering which kernels they hold for error messages. */
  submit(commands: GPUCommandBuffer[], kernels: readonly string[]): void;
  /** Waits for submitted work, then throws the first device error since the last check, naming the kernels of the submits around it. */
  check(): Promise<void>;
  /** Destroys the device and drops the runtime so that a Node process can exit. */
  release(): void;
  /** Settles once the runtime has reported the device gone, after `release`: then a process may exit. */
  readonly closed: Promise<void>;
}

export interface AcquireOptions {
  /** Ask for `timestamp-query` and, in Node, unquantized timestamps. */
  timing?: boolean;
  /** Ask for `subgroups` where the adapter offers it (the default); false leaves it off. */
  subgroups?: boolean;
  powerPreference?: GPUPowerPreference;
}

export class NoAdapterError extends Error {
  constructor(detail: string) {
    super(`no WebGPU adapter: ${detail}`);
    this.name = 'NoAdapterError';
  }
}

export class DeviceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeviceError';
  }
}

interface GpuEntry {
  gpu: GPU;
  backend: string;
  /** Runs the call that discovers adapters (synchronous inside the first `requestAdapter`). */
  discover<T>(work: () => T): T;
  release(): void;
}

const NODE_TIMING_FLAGS = [
  'enable-dawn-features=allow_unsafe_apis',
  'disable-dawn-features=timestamp_quantization',
];

/** Dawn's Node bindings (npm `webgpu`): `create` makes a WebGPU entry point with Dawn's toggles. */
export interface Dawn {
  create(flags: string[]): GPU;
}

/**
 * Loads Dawn's Node bindings and installs the WebGPU globals they define (`GPUBufferUsage`, …)
 * where absent. The module's name is computed so that no bundler resolves it for the page.
 */
export async function loadDawn(): Promise<Dawn> {
  const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
  if (env && !env.XDG_RUNTIME_DIR) env.XDG_RUNTIME_DIR = '/tmp';
  const modName = 'webgpu';
  const mod = (await import(/* @vite-ignore */ modName)) as Dawn & { globals: Record<string, unknown> };
  for (const [key, value] of Object.entries(mod.globals)) {
    if (!(key in globalThis)) (globalThis as Record<string, unknown>)[key] = value;
  }
  return mod;
}

async function nodeGpu(timing: boolean): Promise<GpuEntry> {
  const mod = await loadDawn();
  const builtin = (name: string) => import(/* @vite-ignore */ `node:${name}`);
  const fs = (await builtin('fs')) as DescriptorFs;
  const os = (await builtin('os')) as { tmpdir(): string };
  const { pid, platform } = (globalThis as unknown as { process: { pid: number; platform: string } }).process;
  const scratch = `${os.tmpdir()}/netae-dawn-${pid}-${Date.now()}.log`;
  let gpu: GPU | null = mod.create(timing ? NODE_TIMING_FLAGS : []);
  return {
    get gpu() {
      if (!gpu) throw new DeviceError('the WebGPU runtime was released');
      return gpu;
    },
    backend: 'dawn/vulkan',
    discover: (work) => withoutDawnNotices(fs, platform, scratch, work),
    release() {
      if (gpu) retired.push(gpu);
      gpu = null;
    },
  };
}

/**
 * Dawn instances already released, kept referenced until the process ends: collected, an
 * instance is destroyed from the garbage collector, and one destroyed while the process exits
 * crashed it natively (SIGSEGV or an abort, about 1 `netae info` in 25 on lavapipe). Kept, it
 * is never destroyed before the exit; a released instance does not keep the process alive.
 */
const retired: GPU[] = [];

function browserGpu(): GpuEntry | null {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (!nav?.gpu) return null;
  return { gpu: nav.gpu, backend: 'browser', discover: (work) => work(), release() {} };
}

function describeAdapter(adapter: GPUAdapter, backend: string): AdapterReport {
  const info = adapter.info;
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    backend,
    isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter),
  };
}

const LIMITS_WE_RAISE = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxStorageBuffersPerShaderStage'] as const;

export async function acquireGpu(options: AcquireOptions = {}): Promise<Gpu> {
  const entry = isNode() ? await nodeGpu(options.timing ?? false) : browserGpu();
  if (!entry) {
    throw new NoAdapterError('this browser has no navigator.gpu; enable WebGPU (Chrome/Edge 113+, or chrome://flags/#enable-unsafe-webgpu)');
  }
  const adapter = await entry.discover(() => entry.gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' }));
  if (!adapter) {
    entry.release();
    throw new NoAdapterError(isNode()
      ? 'Dawn found no Vulkan device; install a Vulkan driver (on Debian: apt-get install libvulkan1 mesa-vulkan-drivers, 25.x from bookworm-backports)'
      : 'the browser offered no adapter; check that hardware acceleration is on');
  }
  const timestamps = (options.timing ?? false) && adapter.features.has('timestamp-query');
  const subgroups = (options.subgroups ?? true) && adapter.features.has('subgroups');
  const sizes = adapter.info as { subgroupMinSize?: number; subgroupMaxSize?: number };
  const subgroupSize = subgroups && sizes.subgroupMinSize && sizes.subgroupMinSize === sizes.subgroupMaxSize ? sizes.subgroupMinSize : null;
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMITS_WE_RAISE) requiredLimits[name] = adapter.limits[name];
  const requiredFeatures: GPUFeatureName[] = [];
  if (timestamps) requiredFeatures.push('timestamp-query');
  if (subgroups) requiredFeatures.push('subgroups');
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  const errors: string[] = [];
  const recent: string[][] = [];
  let lost: string | null = null;
  const context = () => {
    const kernels = [...new Set(recent.flat())];
    return kernels.length ? `\n  in work that ran: ${kernels.join('; ')}` : '';
  };
  device.addEventListener('uncapturederror', (event) => {
    const error = (event as GPUUncapturedErrorEvent).error;
    errors.push(`${error.message.trim()}${context()}`);
    event.preventDefault();
  });
  let released = false;
  const report = describeAdapter(adapter, entry.backend);
  pauseBetweenPolls(runsOnCpu(report));
  const closed = device.lost.then((info) => {
    if (!released) lost = `${info.reason}: ${info.message}`;
  });
  return {
    device,
    adapter: report,
    limits: device.limits,
    features: [...device.features].sort(),
    timestamps,
    closed,
    subgroupSize,
    submit(commands, kernels) {
      recent.push([...kernels]);
      if (recent.length > 2) recent.shift();
      device.queue.submit(commands);
    },
    async check() {
      await settle(device.queue.onSubmittedWorkDone());
      if (lost) throw new DeviceError(`the GPU device was lost (${lost})`);
      const first = errors.shift();
      if (first) {
        errors.length = 0;
        throw new DeviceError(`GPU error: ${first}`);
      }
    },
    release() {
      if (released) return;
      released = true;
      device.destroy();
      entry.release();
    },
  };
}

