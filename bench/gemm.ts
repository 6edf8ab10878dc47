import { tuningRecords } from '../src/gpu/autotune';
import type { Gpu } from '../src/gpu/device';
import {
  blockTilingProblem, linearBackwardInput, linearBackwardWeight, linearForward, linearForwardNaive, rowsTilingProblem, type GemmProduct,
} from '../src/gpu/gemm';
import { releaseLaunches, type Launch } from '../src/gpu/launch';
import { createTensor, viewTensor } from '../src/gpu/tensor';
import { timeLaunches } from '../src/gpu/timing';
import { GEMM_TILINGS, isCpuAdapter, type GemmTiling } from '../src/gpu/tuning';
import { formatShape, gemmFill, gemmReps, type GemmResult, type GemmShape } from './gemm-common';
import { measureTfjsGemm, releaseTfjs, type TfGemm } from './contenders/tfjs';
import { peakFor } from './peaks';
import { checkTargets, targetLines } from './targets';
import type { Row } from './report';

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

/** `default`: no tiling named, so the device chooses (and, on a GPU, tunes first). */
type Variant = GemmTiling | 'default' | 'naive';

interface Measured {
  readonly launch: Launch;
  release(): void;
}

/** One launch of a product on deterministic operands: X [M×K], W [N×K], dZ [M×N]. */
async function productLaunch(gpu: Gpu, product: GemmProduct, [M, K, N]: GemmShape, variant: Variant): Promise<Measured> {
  const tiles = typeof variant === 'object' ? variant : undefined;
  const x = createTensor(gpu, M, K, 'X', gemmFill(M * K, 7919));
  const params = createTensor(gpu, 1, N * K + N, 'params', gemmFill(N * K + N, 104_729));
  const w = viewTensor(params, 0, N, K, 'W');
  const made = [x, params];
  const make = (rows: number, cols: number, label: string, values?: Float32Array) => {
    const t = createTensor(gpu, rows, cols, label, values);
    made.push(t);
    return t;
  };
  let launch: Launch;
  if (product === 'forward') {
    const args = { x, w, b: viewTensor(params, N * K, 1, N, 'b'), y: make(M, N, 'Y'), act: 'identity' as const };
    launch = await (variant === 'naive' ? linearForwardNaive(gpu, args) : linearForward(gpu, { ...args, tiles }));
  } else if (product === 'backward_input') {
    const dz = make(M, N, 'dZ', gemmFill(M * N, 6007));
    launch = await linearBackwardInput(gpu, { dz, w, prev: x, dx: make(M, K, 'dX'), act: 'relu', tiles });
  } else {
    const dz = make(M, N, 'dZ', gemmFill(M * N, 6007));
    const grads = make(1, N * K + N, 'grads');
    launch = await linearBackwardWeight(gpu, { dz, x, dw: viewTensor(grads, 0, N, K, 'dW'), db: viewTensor(grads, N * K, 1, N, 'db'), tiles });
  }
  return {
    launch,
    release() {
      releaseLaunches([launch]);
      for (const t of made) t.buffer.destroy();
    },
  };
}

/** The tiling a launch ran with, from its label's last bracket. */
function tilingOf(launch: Launch): string {
  return /\[([^\]]+)\]$/.exec(launch.label)?.[1] ?? '?';
}

/**
 * Every tiling this device can run (the rows tilings on dW alone), the naive kernel (forward
 * only) and the device's own choice, on every shape: GFLOP/s and the share of FP32 peak.
 */
export async function measureGemm(
  gpu: Gpu, quick = false, onResult?: (r: GemmResult) => void, products: readonly GemmProduct[] = ['forward'],
): Promise<GemmResult[]> {
  const runs = (t: GemmTiling, product: GemmProduct) => (t.kind === 'direct' ? true
    : t.kind === 'block' ? blockTilingProblem(gpu, t) === null
      : product === 'backward_weight' && rowsTilingProblem(gpu, t) === null);
  const peak = peakFor(gpu.adapter);
  const results: GemmResult[] = [];
  for (const product of products) {
    for (const shape of gemmShapes(gpu)) {
      const [M, K, N] = shape;
      const flop = 2 * M * K * N;
      const reps = gemmReps(flop, quick);
      const chosen = await productLaunch(gpu, product, shape, 'default');
      const defaultName = tilingOf(chosen.launch);
      chosen.release();
      const variants: Variant[] = [...GEMM_TILINGS.filter((t) => runs(t, product)), ...(product === 'forward' ? ['naive' as const] : [])];
      for (const variant of variants) {
        const measured = await productLaunch(gpu, product, shape, variant);
        const timing = await timeLaunches(gpu, [measured.launch], reps).finally(() => measured.release());
        const name = typeof variant === 'object' ? variant.name : variant;
        const gflops = flop / timing.ms / 1e6;
        const result: GemmResult = {
          shape, product, kernel: name === 'naive' ? 'naive' : `netae ${name}`, isDefault: name === defaultName,
          ms: timing.ms, gflops, peakFraction: peak ? gflops / (peak.fp32Tflops * 1000) : null, timer: timing.method,
        };
        results.push(result);
        onResult?.(result);
      }
    }
  }
  return results;
}

function gemmRows(results: readonly GemmResult[]): Row[] {
  return results.map((r) => ({
    product: r.product ?? 'forward',
    shape: formatShape(r.shape),
    kernel: r.kernel + (r.isDefault ? ' (default)' : ''),
    ms: r.ms,
    'GFLOP/s': r.gflops,
    ...(r.peakFraction === null ? {} : { '% of peak': 100 * r.peakFraction }),
    timer: r.timer,
  }));
}

/** `bench gemm`: the three products on every shape and tiling, TF.js's forward, the tuner's choices and the GEMM targets. */
export async function benchGemm(gpu: Gpu, quick = false): Promise<Row[]> {
  const results = await measureGemm(gpu, quick, undefined, ['forward', 'backward_input', 'backward_weight']);
  const tuned = tuningRecords(gpu);
  if (tuned.length) {
    console.log('\nTuning at first use, ms per run of each candidate:');
    for (const t of tuned) {
      console.log(`  ${t.key.padEnd(40)} → ${t.chosen.padEnd(18)} ${t.candidates.map((c) => `${c.name} ${c.ms === null ? 'failed' : c.ms.toPrecision(3)}`).join(', ')}`);
    }
  }
  let tfjs: TfGemm[] = [];
  try {
    tfjs = await measureTfjsGemm(gemmShapes(gpu), quick);
  } catch (error) {
    console.log(`\nTensorFlow.js GEMM failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await releaseTfjs('webgpu');
  }
  const targets = checkTargets({ gemm: results, tfjs, entries: [], cpuAdapter: isCpuAdapter(gpu) }).filter((t) => t.name.startsWith('GEMM'));
  console.log(`\nTargets\n${targetLines(targets).join('\n')}`);
  return [
    ...gemmRows(results),
    ...tfjs.map((t) => ({ product: 'forward', shape: formatShape(t.shape), kernel: 'TF.js WebGPU', ms: t.ms, 'GFLOP/s': t.gflops, timer: t.timer })),
  ];
}
