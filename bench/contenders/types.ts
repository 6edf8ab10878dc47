import type { LayerSpec } from '../../src/model/spec';
import type { Matrix32 } from '../../src/model/matrix';

/** One epoch of training: samples per second after a warm-up, and the epoch's mean loss. */
export interface TrainFigure {
  readonly rows: number;
  readonly samplesPerSecond: number;
  readonly msPerStep: number;
  readonly loss: number;
}

/** Scoring (forward and per-row mean squared error), input upload and result read-back included. */
export interface ScoreFigure {
  readonly rows: number;
  readonly rowsPerSecond: number;
}

/** An implementation of the canonical workload that the suite measures in the same run. */
export interface Contender {
  readonly id: string;
  readonly label: string;
  /** Where the suite gives it fewer rows than the canonical workload (a slow peer), why. */
  readonly note?: string;
  /** Rows it trains on and scores, for the full and the quick suite. */
  rows(quick: boolean): { train: number; score: number };
  /** One epoch, batch 256, Adam 1e-3, from `init` (netae's seeded PyTorch-style initialisation). */
  train(spec: LayerSpec, data: Matrix32, init: Float32Array): Promise<TrainFigure>;
  score(spec: LayerSpec, params: Float32Array, data: Matrix32): Promise<ScoreFigure>;
  /** Adapter or device it ran on, where it has its own. */
  describe?(): string;
  release(): void;
}
