import type { Gpu } from '../src/gpu/device';
import { releaseLaunches, type Launch } from '../src/gpu/launch';
import { linearForward, linearForwardNaive } from '../src/gpu/gemm';
import { createTensor, viewTensor } from '../src/gpu/tensor';
import { timeLaunches } from '../src/gpu/timing';
import { DIRECT_TILES, STAGED_TILES, gemmTiles, isCpuAdapter, type GemmTiles } from '../src/gpu/tuning';
import { peakFor } from './peaks';
import type { Row } from './report';

export type GemmShape = readonly [M: number, K: number, N: number];

/** M × K × N: rows of X, input width, output width. */
const GEMM_SHAPES: readonly GemmShape[] = [
  [256, 122, 64],
  [4096, 122, 64],
  [65_536, 122, 64],
  [1024, 1024, 1024],
];

/** 4,096³ only on GPUs: on a CPU adapter it takes minutes. */
export function gemmShapes(gpu: Gpu): readonly GemmShape[] {
  return isCpuAdapter(gpu) ? GEMM_SHAPES : [...GEMM_SHAPES, [4096, 4096, 4096]];
}

export interface GemmResult {
  readonly shape: GemmShape;
  readonly kernel: string;
  readonly isDefault: boolean;
  readonly ms: number;
  readonly gflops: number;
  /** GFLOP/s over the adapter's FP32 peak, where the peak table knows the adapter. */
  readonly peakFraction: number | null;
  readonly timer: 'timestamp' | 'wall';
}

export function formatShape([M, K, N]: GemmShape): string {
  return M === K && K === N ? `${M.toLocaleString('en-US')}³` : `${M.toLocaleString('en-US')}×${K}×${N}`;
}

type Variant = { name: string; tiles: GemmTiles | null };

/** Deterministic inputs in [-0.5, 0.5), the same for every implementation measured. */
export function gemmFill(n: number, prime: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => ((i * prime) % 1000) / 1000 - 0.5);
}

/** Runs per measurement: about 10 GFLOP of work (2 with `quick`), 2 to 50 runs. */
export function gemmReps(flop: number, quick: boolean): number {
  return Math.max(2, Math.min(50, Math.round((quick ? 2e9 : 1e10) / flop)));
}

async function forwardLaunch(gpu: Gpu, M: number, K: number, N: number, variant: Variant): Promise<Launch> {
  const x = createTensor(gpu, M, K, 'X', gemmFill(M * K, 7919));
  const params = createTensor(gpu, 1, N * K + N, 'params', gemmFill(N * K + N, 104_729));
  const args = {
    x, w: viewTensor(params, 0, N, K, 'W'), b: viewTensor(params, N * K, 1, N, 'b'),
    y: createTensor(gpu, M, N, 'Y'), act: 'identity' as const,
  };
  return variant.tiles ? linearForward(gpu, { ...args, tiles: variant.tiles }) : linearForwardNaive(gpu, args);
}

/** Every kernel variant on every shape: GFLOP/s and the fraction of the adapter's FP32 peak. */
export async function measureGemm(gpu: Gpu, quick = false, onResult?: (r: GemmResult) => void): Promise<GemmResult[]> {
  const variants: Variant[] = [
    { name: 'netae direct', tiles: DIRECT_TILES },
    { name: 'netae staged', tiles: STAGED_TILES },
    { name: 'naive', tiles: null },
  ];
  const peak = peakFor(gpu.adapter);
  const results: GemmResult[] = [];
  for (const shape of gemmShapes(gpu)) {
    const [M, K, N] = shape;
    const flop = 2 * M * K * N;
    const reps = gemmReps(flop, quick);
    for (const variant of variants) {
      const launch = await forwardLaunch(gpu, M, K, N, variant);
      const timing = await timeLaunches(gpu, [launch], reps);
      releaseLaunches([launch]);
      const gflops = flop / timing.ms / 1e6;
      const result = {
        shape, kernel: variant.name, isDefault: variant.tiles === gemmTiles(gpu), ms: timing.ms, gflops,
        peakFraction: peak ? gflops / (peak.fp32Tflops * 1000) : null, timer: timing.method,
      };
      results.push(result);
      onResult?.(result);
    }
  }
  return results;
}

function gemmRows(results: readonly GemmResult[]): Row[] {
  return results.map((r) => ({
    shape: formatShape(r.shape),
    kernel: r.kernel + (r.isDefault ? ' (default)' : ''),
    ms: r.ms,
    'GFLOP/s': r.gflops,
    ...(r.peakFraction === null ? {} : { '% of peak': 100 * r.peakFraction }),
    timer: r.timer,
  }));
}

export async function benchGemm(gpu: Gpu, quick = false): Promise<Row[]> {
  return gemmRows(await measureGemm(gpu, quick));
}
