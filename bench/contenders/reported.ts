/**
 * Figures given in the benchmark issue for the project's 2-core machine, measured elsewhere.
 * They are shown as reported, never as measurements of this run, and only where this run
 * measured no PyTorch of its own on a CPU adapter's machine.
 */
export interface ReportedFigure {
  readonly task: 'train' | 'score';
  readonly model: 'deep' | 'seed';
  readonly implementation: string;
  readonly label: string;
  readonly rate: number;
  readonly source: string;
}

const SOURCE = 'benchmark issue: measured outside this run on the project\'s 2-core machine';

export const REPORTED: readonly ReportedFigure[] = [
  { task: 'train', model: 'deep', implementation: 'pytorch-cpu', label: 'PyTorch, CPU, eager', rate: 177_000, source: SOURCE },
  { task: 'score', model: 'deep', implementation: 'pytorch-cpu', label: 'PyTorch, CPU, eager', rate: 500_000, source: SOURCE },
  { task: 'train', model: 'deep', implementation: 'tfjs-webgpu', label: 'TensorFlow.js, WebGPU backend on lavapipe', rate: 6_800, source: SOURCE },
];
