import type { Entry } from './compare';
import type { GemmResult } from './gemm';

/** A performance target of the benchmark issues, checked where this run has the figures. */
export interface Target {
  readonly name: string;
  readonly goal: string;
  readonly value: string | null;
  /** null: not measured in this run. */
  readonly met: boolean | null;
}

type Task = Entry['task'];

function netae(entries: readonly Entry[], task: Task, model: string): Entry | undefined {
  return entries.find((e) => e.task === task && e.model === model && e.implementation === 'netae');
}

/** netae's rate over a peer's on a task and model (above 1: netae is faster). */
function ratioTo(entries: readonly Entry[], task: Task, model: string, implementation: string): number | null {
  return entries.find((e) => e.task === task && e.model === model && e.implementation === implementation)?.ratio ?? null;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const times = (x: number) => `${x.toFixed(2)}×`;
const rate = (x: number) => Math.round(x).toLocaleString('en-US');

function atLeast(name: string, goal: string, value: number | null, bound: number, show: (x: number) => string): Target {
  return { name, goal, value: value === null ? null : show(value), met: value === null ? null : value >= bound };
}

/** GPU machines (H100, H200): the fused path against PyTorch on CUDA, and the GEMM's share of peak. */
function gpuTargets(gemm: readonly GemmResult[], entries: readonly Entry[]): Target[] {
  const big = gemm.filter((g) => g.shape.every((d) => d === 4096) && g.kernel.startsWith('netae') && g.peakFraction !== null);
  const bestFraction = big.length ? Math.max(...big.map((g) => g.peakFraction as number)) : null;
  return [
    atLeast('Training (deep), samples/s', '≥ 2,000,000', netae(entries, 'train', 'deep')?.rate ?? null, 2_000_000, rate),
    atLeast('Training (deep), netae ÷ PyTorch CUDA graphs', '≥ 2×', ratioTo(entries, 'train', 'deep', 'pytorch-cuda-graph'), 2, times),
    atLeast('Training (seed), samples/s', '≥ 4,000,000', netae(entries, 'train', 'seed')?.rate ?? null, 4_000_000, rate),
    atLeast('Scoring (deep), netae ÷ PyTorch CUDA eager', '≥ 1×', ratioTo(entries, 'score', 'deep', 'pytorch-cuda-eager'), 1, times),
    atLeast('Training (deep), netae ÷ PyTorch CUDA eager', '≥ 1×', ratioTo(entries, 'train', 'deep', 'pytorch-cuda-eager'), 1, times),
    atLeast('GEMM 4,096³, share of FP32 peak', '≥ 30%', bestFraction, 0.3, pct),
  ];
}

/**
 * CPU adapters (lavapipe on the project's 2-core machine): ratios to PyTorch on the CPU in
 * the same run, since the machine's speed varies from day to day, and the absolute figures
 * they stand for on a quiet day.
 */
function cpuTargets(entries: readonly Entry[]): Target[] {
  return [
    atLeast('Training (deep), netae ÷ PyTorch CPU', '≥ 0.37×', ratioTo(entries, 'train', 'deep', 'pytorch-cpu-eager'), 0.37, times),
    atLeast('Scoring (deep), netae ÷ PyTorch CPU', '≥ 0.6×', ratioTo(entries, 'score', 'deep', 'pytorch-cpu-eager'), 0.6, times),
    atLeast('Training (deep), samples/s', '≥ 160,000', netae(entries, 'train', 'deep')?.rate ?? null, 160_000, rate),
    atLeast('Scoring (deep), rows/s', '≥ 600,000', netae(entries, 'score', 'deep')?.rate ?? null, 600_000, rate),
  ];
}

export function checkTargets(gemm: readonly GemmResult[], entries: readonly Entry[], cpuAdapter: boolean): Target[] {
  return cpuAdapter ? cpuTargets(entries) : gpuTargets(gemm, entries);
}

export function targetLine(t: Target): string {
  const verdict = t.met === null ? 'not measured' : t.met ? 'met' : 'NOT met';
  return `${t.name.padEnd(46)} ${t.goal.padEnd(12)} ${(t.value ?? '—').padStart(11)}  ${verdict}`;
}
