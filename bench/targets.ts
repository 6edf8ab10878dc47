import type { Entry } from './compare';
import type { TfGemm } from './contenders/tfjs';
import { formatShape, forwardResults, type GemmResult, type GemmShape } from './gemm-common';

/** A performance target of the benchmark issues, checked where this run has the figures. */
export interface Target {
  readonly name: string;
  readonly goal: string;
  readonly value: string | null;
  /** null: not measured, or not judged on this kind of adapter. */
  readonly met: boolean | null;
}

export interface TargetInputs {
  readonly gemm: readonly GemmResult[];
  readonly tfjs: readonly TfGemm[];
  readonly entries: readonly Entry[];
  readonly cpuAdapter: boolean;
}

type Task = Entry['task'];

function netae(entries: readonly Entry[], task: Task, model: string): Entry | undefined {
  return entries.find((e) => e.task === task && e.model === model && e.implementation === 'netae');
}

/** netae's rate over a peer's on a task and model (above 1: netae is faster). */
function ratioTo(entries: readonly Entry[], task: Task, model: string, implementation: string): number | null {
  return entries.find((e) => e.task === task && e.model === model && e.implementation === implementation)?.ratio ?? null;
}

const same = (a: GemmShape, b: GemmShape) => a.every((v, i) => v === b[i]);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const times = (x: number) => `${x.toFixed(2)}×`;
const count = (x: number) => Math.round(x).toLocaleString('en-US');
const flops = (gflops: number) => (gflops >= 1000 ? `${(gflops / 1000).toFixed(2)} TFLOP/s` : `${gflops.toFixed(1)} GFLOP/s`);

function atLeast(name: string, goal: string, value: number | null, bound: number, show: (x: number) => string): Target {
  return { name, goal, value: value === null ? null : show(value), met: value === null ? null : value >= bound };
}

/** A target for GPUs: on a CPU adapter its figure is shown but not judged. */
function onGpu(target: Target, cpuAdapter: boolean): Target {
  return cpuAdapter && target.value !== null ? { ...target, value: `${target.value} (CPU adapter)`, met: null } : target;
}

/** The forward product with the tiling the device chose by itself, on each shape measured. */
function defaults(gemm: readonly GemmResult[]): GemmResult[] {
  return forwardResults(gemm).filter((g) => g.isDefault);
}

/** GEMM at scale: shares of peak and rates on GPUs, against TF.js everywhere, against the direct tiles on CPU adapters. */
function gemmTargets({ gemm, tfjs, cpuAdapter }: TargetInputs): Target[] {
  const chosen = defaults(gemm);
  const at = (shape: GemmShape) => chosen.find((g) => same(g.shape, shape)) ?? null;
  const versusTf = chosen
    .map((g) => ({ g, tf: tfjs.find((t) => same(t.shape, g.shape)) }))
    .filter((x): x is { g: GemmResult; tf: TfGemm } => x.tf !== undefined)
    .map(({ g, tf }) => ({ shape: g.shape, ratio: g.gflops / tf.gflops }));
  const worstTf = versusTf.length ? versusTf.reduce((a, b) => (b.ratio < a.ratio ? b : a)) : null;
  const versusDirect = chosen.map((g) => {
    const direct = forwardResults(gemm).find((d) => d.kernel === 'netae direct' && same(d.shape, g.shape));
    return direct ? g.gflops / direct.gflops : null;
  }).filter((x): x is number => x !== null);
  return [
    onGpu(atLeast('GEMM 4,096³, share of FP32 peak', '≥ 30%', at([4096, 4096, 4096])?.peakFraction ?? null, 0.3, pct), cpuAdapter),
    onGpu(atLeast('GEMM 1,024³', '≥ 15 TFLOP/s', at([1024, 1024, 1024])?.gflops ?? null, 15_000, flops), cpuAdapter),
    onGpu(atLeast('GEMM 65,536×122×64', '≥ 20 TFLOP/s', at([65_536, 122, 64])?.gflops ?? null, 20_000, flops), cpuAdapter),
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
  ];
}

/** GPU machines (H100, H200): the fused path against PyTorch on CUDA in the same run. */
function gpuTrainingTargets(entries: readonly Entry[]): Target[] {
  return [
    atLeast('Training (deep), samples/s', '≥ 2,000,000', netae(entries, 'train', 'deep')?.rate ?? null, 2_000_000, count),
    atLeast('Training (deep), netae ÷ PyTorch CUDA graphs', '≥ 2×', ratioTo(entries, 'train', 'deep', 'pytorch-cuda-graph'), 2, times),
    atLeast('Training (seed), samples/s', '≥ 4,000,000', netae(entries, 'train', 'seed')?.rate ?? null, 4_000_000, count),
    atLeast('Training (deep), netae ÷ PyTorch CUDA eager', '≥ 1×', ratioTo(entries, 'train', 'deep', 'pytorch-cuda-eager'), 1, times),
    atLeast('Scoring (deep), netae ÷ PyTorch CUDA eager', '≥ 1×', ratioTo(entries, 'score', 'deep', 'pytorch-cuda-eager'), 1, times),
  ];
}

/**
 * CPU adapters (lavapipe on the project's 2-core machine): ratios to PyTorch on the CPU in
 * the same run, since the machine's speed varies from day to day, and the absolute figures
 * they stand for on a quiet day.
 */
function cpuTrainingTargets(entries: readonly Entry[]): Target[] {
  return [
    atLeast('Training (deep), netae ÷ PyTorch CPU', '≥ 0.37×', ratioTo(entries, 'train', 'deep', 'pytorch-cpu-eager'), 0.37, times),
    atLeast('Scoring (deep), netae ÷ PyTorch CPU', '≥ 0.6×', ratioTo(entries, 'score', 'deep', 'pytorch-cpu-eager'), 0.6, times),
    atLeast('Training (deep), samples/s', '≥ 160,000', netae(entries, 'train', 'deep')?.rate ?? null, 160_000, count),
    atLeast('Scoring (deep), rows/s', '≥ 600,000', netae(entries, 'score', 'deep')?.rate ?? null, 600_000, count),
  ];
}

export function checkTargets(inputs: TargetInputs): Target[] {
  return [
    ...(inputs.cpuAdapter ? cpuTrainingTargets(inputs.entries) : gpuTrainingTargets(inputs.entries)),
    ...gemmTargets(inputs),
  ];
}

/** The targets as lines for a log: met, missed, or not judged in this run. */
export function targetLines(targets: readonly Target[]): string[] {
  return targets.map((t) => {
    const verdict = t.met === null ? (t.value === null ? 'not measured' : 'not judged') : t.met ? 'met' : 'NOT MET';
    return `  ${t.name.padEnd(62)} ${t.goal.padEnd(22)} ${(t.value ?? '—').padEnd(34)} ${verdict}`;
  });
}
