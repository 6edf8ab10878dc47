import type { Entry } from './compare';
import type { GemmResult } from './gemm';

/** The performance targets for a GPU machine, checked where this run has the figures. */
export interface Target {
  readonly name: string;
  readonly goal: string;
  readonly value: string | null;
  /** null: not measured in this run. */
  readonly met: boolean | null;
}

function ratioTo(entries: readonly Entry[], implementation: string): number | null {
  return entries.find((e) => e.task === 'train' && e.model === 'deep' && e.implementation === implementation)?.ratio ?? null;
}

export function checkTargets(gemm: readonly GemmResult[], entries: readonly Entry[]): Target[] {
  const big = gemm.filter((g) => g.shape.every((d) => d === 4096) && g.kernel.startsWith('netae') && g.peakFraction !== null);
  const bestFraction = big.length ? Math.max(...big.map((g) => g.peakFraction as number)) : null;
  const eager = ratioTo(entries, 'pytorch-cuda-eager');
  const graph = ratioTo(entries, 'pytorch-cuda-graph');
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const times = (x: number) => `${x.toFixed(2)}×`;
  return [
    {
      name: 'GEMM 4,096³, share of FP32 peak', goal: '≥ 30%',
      value: bestFraction === null ? null : pct(bestFraction), met: bestFraction === null ? null : bestFraction >= 0.3,
    },
    {
      name: 'Training (deep), netae ÷ PyTorch CUDA eager', goal: '> 1×',
      value: eager === null ? null : times(eager), met: eager === null ? null : eager > 1,
    },
    {
      name: 'Training (deep), netae ÷ PyTorch CUDA graphs', goal: '≥ 0.67× (within 1.5×)',
      value: graph === null ? null : times(graph), met: graph === null ? null : graph >= 1 / 1.5,
    },
  ];
}
