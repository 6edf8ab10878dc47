import type { Gpu } from './device';
import { ShapeError } from './errors';
import { compile, kernelName, type Constants, type KernelSpec } from './kernels';
import type { Tensor } from './tensor';

/** One kernel dispatch, ready to encode as often as needed: pipeline, bind group and grid. */
export interface Launch {
  readonly label: string;
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly grid: readonly [number, number];
  /** How many dynamic offsets `encodeLaunch` must pass. */
  readonly dynamic: number;
  /** The launch's own parameters; ops that change between steps rewrite it. */
  readonly uniform: GPUBuffer;
  /** Buffers the op made for this launch alone (partial sums), destroyed with it. */
  readonly scratch: readonly GPUBuffer[];
}

/**
 * Lays `workgroups` out as an x × y grid within the per-dimension limit (65,535 on most
 * adapters). Kernels recover the flat index as `wid.x + wid.y * num_workgroups.x`.
 */
export function gridOf(gpu: Gpu, op: string, workgroups: number): [number, number] {
  const max = gpu.limits.maxComputeWorkgroupsPerDimension;
  const x = Math.max(1, Math.min(workgroups, max));
  const y = Math.ceil(workgroups / x);
  if (y > max) {
    throw new ShapeError(op, `needs ${workgroups} workgroups, more than ${max}×${max}`);
  }
  return [x, y];
}

function bindingOf(t: Tensor, dynamic: boolean): GPUBufferBinding {
  if (!dynamic || t.window === undefined) return { buffer: t.buffer };
  return { buffer: t.buffer, offset: 0, size: t.window };
}

export interface LaunchPlan {
  readonly kernel: KernelSpec;
  readonly constants: Constants;
  /** The kernel's uniform struct, as laid out in WGSL. */
  readonly params: ArrayBuffer;
  /** Tensors for bindings 1, 2, … in order; binding 0 is always the uniform. */
  readonly tensors: readonly Tensor[];
  readonly scratch?: readonly GPUBuffer[];
  readonly workgroups: number;
  readonly label: string;
}

export async function makeLaunch(gpu: Gpu, plan: LaunchPlan): Promise<Launch> {
  const spec = plan.kernel;
  if (plan.tensors.length !== spec.bindings.length - 1) {
    throw new Error(`${kernelName(spec)} takes ${spec.bindings.length - 1} tensors, given ${plan.tensors.length}`);
  }
  writesAlone(plan, spec);
  const grid = gridOf(gpu, plan.label, plan.workgroups);
  const compiled = await compile(gpu.device, spec, plan.constants);
  const uniform = gpu.device.createBuffer({
    label: `${kernelName(spec)} params`,
    size: Math.ceil(plan.params.byteLength / 16) * 16,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  gpu.device.queue.writeBuffer(uniform, 0, plan.params);
  const bindGroup = gpu.device.createBindGroup({
    label: plan.label,
    layout: compiled.layout,
    entries: [
      { binding: 0, resource: { buffer: uniform } },
      ...plan.tensors.map((t, i) => ({ binding: i + 1, resource: bindingOf(t, spec.bindings[i + 1].dynamic ?? false) })),
    ],
  });
  const dynamic = spec.bindings.filter((b) => b.dynamic).length;
  return { label: plan.label, pipeline: compiled.pipeline, bindGroup, grid, dynamic, uniform, scratch: plan.scratch ?? [] };
}

/** WebGPU forbids a buffer that one binding writes from being bound a second time in the dispatch. */
function writesAlone(plan: LaunchPlan, spec: KernelSpec): void {
  plan.tensors.forEach((t, i) => {
    if (spec.bindings[i + 1].kind !== 'write') return;
    plan.tensors.forEach((other, j) => {
      if (j !== i && other.buffer === t.buffer && spec.bindings[j + 1].kind !== 'write') {
        throw new ShapeError(plan.label, `${t.label} is written while ${other.label}, in the same buffer, is read`);
      }
    });
  });
}

/** A kernel's uniform struct of u32 fields, in WGSL field order. */
export function u32s(values: readonly number[]): ArrayBuffer {
  return new Uint32Array(values).buffer;
}

const ZEROS: readonly number[] = [0, 0, 0, 0];

export function encodeLaunch(pass: GPUComputePassEncoder, launch: Launch, offsets?: readonly number[]): void {
  pass.setPipeline(launch.pipeline);
  pass.setBindGroup(0, launch.bindGroup, offsets ?? ZEROS.slice(0, launch.dynamic));
  pass.dispatchWorkgroups(launch.grid[0], launch.grid[1]);
}

/** Encodes the launches in order in one compute pass and submits them. */
export function submitLaunches(gpu: Gpu, launches: readonly Launch[], label = 'netae'): void {
  const encoder = gpu.device.createCommandEncoder({ label });
  const pass = encoder.beginComputePass({ label });
  for (const launch of launches) encodeLaunch(pass, launch);
  pass.end();
  gpu.submit([encoder.finish()], launches.map((l) => l.label));
}

export function releaseLaunches(launches: readonly Launch[]): void {
  for (const launch of launches) {
    launch.uniform.destroy();
    for (const buffer of launch.scratch) buffer.destroy();
  }
}
