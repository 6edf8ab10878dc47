import { createRequire } from 'node:module';
import { adapterTitle } from '../../gpu/device';
import packageJson from '../../../package.json';
import { withGpu } from './gpu';
import { standardOutput } from './output';

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
  const stdout = standardOutput();
  const text = await withGpu(async (gpu) => {
    const limits = Object.fromEntries(SHOWN_LIMITS.map((k) => [k, gpu.limits[k]]));
    const info = {
      adapter: gpu.adapter,
      limits,
      features: gpu.features,
      versions: { netae: packageJson.version, node: process.versions.node, webgpu: webgpuVersion(), platform: `${process.platform}-${process.arch}` },
    };
    if (flags.json) return `${JSON.stringify(info, null, 2)}\n`;
    const a = gpu.adapter;
    return [
      `adapter    ${adapterTitle(a)}`,
      `vendor     ${a.vendor || '—'} (${a.architecture || '—'})${a.isFallbackAdapter ? ', a software (fallback) adapter' : ''}`,
      `backend    ${a.backend}`,
      `versions   netae ${info.versions.netae}, Node ${info.versions.node}, webgpu (Dawn) ${info.versions.webgpu}, ${info.versions.platform}`,
      'limits',
      ...Object.entries(limits).map(([k, v]) => `  ${k.padEnd(36)} ${Number(v).toLocaleString('en-US')}`),
      `features   ${gpu.features.join(', ')}`,
    ].join('\n') + '\n';
  }, { timing: true });
  await stdout.write(text);
}
