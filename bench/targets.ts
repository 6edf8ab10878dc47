import type { Entry } from './compare';
import type { TfGemm } from './contenders/tfjs';
import { formatShape, forwardResults, type GemmResult, type GemmShape } from './gemm-common';

/** The issues' performance targets, checked where this run has the figures. */
export interface Target {
  readonly name: string;
  readonly goal: string;
  readonly value: string | null;
  /** null: not measured in this run, or a GPU target on a CPU adapter. */
  readonly met: boolean | null;
}

export interface TargetInputs {
  readonly gemm: readonly GemmResult[];
  readonly tfjs: readonly TfGemm[];
  readonly entries: readonly Entry[];
  readonly cpuAdapter: boolean;
}

function ratioTo(entries: readonly Entry[], implementation: string): number | null {
  return entries.find((e) => e.task === 'train' && e.model === 'deep' && e.implementation === implementation)?.ratio ?? null;
}

const same = (a: GemmShape, b: GemmShape) => a.every((v, i) => v === b[i]);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const times = (x: number) => `${x.toFixed(2)}×`;
const rate = (gflops: number) => (gflops >= 1000 ? `${(gflops / 1000).toFixed(2)} TFLOP/s` : `${gflops.toFixed(1)} GFLOP/s`);

/** The forward product with the tiling the device chose by itself, on each shape measured. */
function defaults(gemm: readonly GemmResult[]): GemmResult[] {
  return forwardResults(gemm).filter((g) => g.isDefault);
}

/** A target for a GPU: on a CPU adapter the figure is shown but not judged. */
function gpuTarget(name: string, goal: string, value: number | null, show: (x: number) => string, met: (x: number) => boolean, cpu: boolean): Target {
  if (value === null) return { name, goal, value: null, met: null };
  return { name, goal, value: show(value) + (cpu ? ' (CPU adapter)' : ''), met: cpu ? null : met(value) };
}

export function checkTargets({ gemm, tfjs, entries, cpuAdapter }: TargetInputs): Target[] {
  const chosen = defaults(gemm);
  const at = (shape: GemmShape) => chosen.find((g) => same(g.shape, shape)) ?? null;
  const big = at([4096, 4096, 4096]);
  const cube = at([1024, 1024, 1024]);
  const tall = at([65_536, 122, 64]);
  const versusTf = chosen
    .map((g) => ({ g, tf: tfjs.find((t) => same(t.shape, g.shape)) }))
    .filter((x): x is { g: GemmResult; tf: TfGemm } => x.tf !== undefined)
    .map(({ g, tf }) => ({ shape: g.shape, ratio: g.gflops / tf.gflops }));
  const worstTf = versusTf.length ? versusTf.reduce((a, b) => (b.ratio < a.ratio ? b : a)) : null;
  const versusDirect = chosen.map((g) => {
    const direct = forwardResults(gemm).find((d) => d.kernel === 'netae direct' && same(d.shape, g.shape));
    return direct ? g.gflops / direct.gflops : null;
  }).filter((x): x is number => x !== null);
  const eager = ratioTo(entries, 'pytorch-cuda-eager');
  const graph = ratioTo(entries, 'pytorch-cuda-graph');
  return [
    gpuTarget('GEMM 4,096³, share of FP32 peak', '≥ 30%', big?.peakFraction ?? null, pct, (x) => x >= 0.3, cpuAdapter),
    gpuTarget('GEMM 1,024³', '≥ 15 TFLOP/s', cube?.gflops ?? null, rate, (x) => x >= 15_000, cpuAdapter),
    gpuTarget('GEMM 65,536×122×64', '≥ 20 TFLOP/s', tall?.gflops ?? null, rate, (x) => x >= 20_000, cpuAdapter),
    {
      name: 'GEMM, netae ÷ TF.js WebGPU, every shape', goal: '> 1×',
      value: worstTf ? `${times(worstTf.ratio)} at worst (${formatShape(worstTf.shape)})` : null,
      met: worstTf ? worstTf.ratio > 1 : null,
    },
    {
      name: 'GEMM on a CPU adapter, default ÷ the direct tiles, every shape', goal: '≥ 1×',
      value: cpuAdapter && versusDirect.length ? `${times(Math.min(...versusDirect))} at worst` : null,
      met: cpuAdapter && versusDirect.length ? Math.min(...versusDirect) >= 1 : null,
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

/** The targets as lines for a log: met, missed, or not judged in this run. */
export function targetLines(targets: readonly Target[]): string[] {
  return targets.map((t) => {
    const verdict = t.met === null ? (t.value === null ? 'not measured' : 'not judged') : t.met ? 'met' : 'NOT MET';
    return `  ${t.name.padEnd(62)} ${t.goal.padEnd(22)} ${(t.value ?? '—').padEnd(34)} ${verdict}`;
  });
}
