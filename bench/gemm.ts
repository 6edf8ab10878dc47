import type { Gpu } from '../src/gpu/device';
import { releaseLaunches, type Launch } from '../src/gpu/launch';
import { linearForward, linearForwardNaive } from '../src/gpu/ops';
import { createTensor, viewTensor } from '../src/gpu/tensor';
import { timeLaunches } from '../src/gpu/timing';
import { DIRECT_TILES, STAGED_TILES, gemmTiles, type GemmTiles } from '../src/gpu/tuning';
import type { Row } from './report';

/** M × K × N: rows of X, input width, output width. */
export const GEMM_SHAPES: [number, number, number][] = [
  [256, 122, 64],
  [4096, 122, 64],
  [65_536, 122, 64],
  [1024, 1024, 1024],
];

type Variant = { name: string; tiles: GemmTiles | null };

async function forwardLaunch(gpu: Gpu, M: number, K: number, N: number, variant: Variant): Promise<Launch> {
  const x = createTensor(gpu, M, K, 'X', Float32Array.from({ length: M * K }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5));
  const params = createTensor(gpu, 1, N * K + N, 'params', Float32Array.from({ length: N * K + N }, (_, i) => ((i * 104_729) % 1000) / 1000 - 0.5));
  const args = {
    x, w: viewTensor(params, 0, N, K, 'W'), b: viewTensor(params, N * K, 1, N, 'b'),
    y: createTensor(gpu, M, N, 'Y'), act: 'identity' as const,
  };
  return variant.tiles ? linearForward(gpu, { ...args, tiles: variant.tiles }) : linearForwardNaive(gpu, args);
}

export async function benchGemm(gpu: Gpu, quick = false): Promise<Row[]> {
  const variants: Variant[] = [
    { name: 'netae direct', tiles: DIRECT_TILES },
    { name: 'netae staged', tiles: STAGED_TILES },
    { name: 'naive', tiles: null },
  ];
  const rows: Row[] = [];
  for (const [M, K, N] of GEMM_SHAPES) {
    const flop = 2 * M * K * N;
    const reps = Math.max(2, Math.min(50, Math.round((quick ? 2e9 : 1e10) / flop)));
    for (const variant of variants) {
      const launch = await forwardLaunch(gpu, M, K, N, variant);
      const timing = await timeLaunches(gpu, [launch], reps);
      releaseLaunches([launch]);
      rows.push({
        shape: `${M}×${K}×${N}`,
        kernel: variant.name + (variant.tiles === gemmTiles(gpu) ? ' (default)' : ''),
        ms: timing.ms,
        'GFLOP/s': flop / timing.ms / 1e6,
        timer: timing.method,
      });
    }
  }
  return rows;
}
