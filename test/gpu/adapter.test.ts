import { describe, expect, it } from 'vitest';
import { runsOnCpu, type AdapterReport } from '../../src/gpu/adapter';

const report = (fields: Partial<AdapterReport>): AdapterReport => ({
  vendor: '', architecture: '', device: '', description: '', backend: 'dawn/vulkan', isFallbackAdapter: false, ...fields,
});

describe('runsOnCpu', () => {
  it('knows the CPU adapters netae meets: lavapipe, SwiftShader, a fallback adapter', () => {
    expect(runsOnCpu(report({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }))).toBe(true);
    expect(runsOnCpu(report({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)' }))).toBe(true);
    expect(runsOnCpu(report({ vendor: 'microsoft', description: 'Microsoft Basic Render Driver', isFallbackAdapter: true }))).toBe(true);
  });

  it('takes a GPU for a GPU', () => {
    expect(runsOnCpu(report({ vendor: 'nvidia', description: 'NVIDIA: 580.159.04 580.159.4.0' }))).toBe(false);
    expect(runsOnCpu(report({ vendor: 'amd', architecture: 'rdna-3', description: 'AMD Radeon RX 7900 XTX' }))).toBe(false);
  });
});
