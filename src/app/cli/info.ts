import { createRequire } from 'node:module';
import { acquireGpu, adapterTitle } from '../../gpu/device';
import packageJson from '../../../package.json';

const SHOWN_LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupsPerDimension', 'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupStorageSize', 'maxStorageBuffersPerShaderStage',
  'minStorageBufferOffsetAlignment', 'minUniformBufferOffsetAlignment',
] as const;

function webgpuVersion(): string {
  try {
    return (createRequire(import.meta.url)('webgpu/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export async function infoCommand(flags: { json?: boolean }): Promise<void> {
  const gpu = await acquireGpu({ timing: true });
  try {
    const limits = Object.fromEntries(SHOWN_LIMITS.map((k) => [k, gpu.limits[k]]));
    const info = {
      adapter: gpu.adapter,
      limits,
      features: gpu.features,
      versions: { netae: packageJson.version, node: process.versions.node, webgpu: webgpuVersion(), platform: `${process.platform}-${process.arch}` },
    };
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
      return;
    }
    const a = gpu.adapter;
    const lines = [
      `adapter    ${adapterTitle(a)}`,
      `vendor     ${a.vendor || '—'} (${a.architecture || '—'})${a.isFallbackAdapter ? ', a software (fallback) adapter' : ''}`,
      `backend    ${a.backend}`,
      `versions   netae ${info.versions.netae}, Node ${info.versions.node}, webgpu (Dawn) ${info.versions.webgpu}, ${info.versions.platform}`,
      'limits',
      ...Object.entries(limits).map(([k, v]) => `  ${k.padEnd(36)} ${Number(v).toLocaleString('en-US')}`),
      `features   ${gpu.features.join(', ')}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    gpu.release();
  }
}
