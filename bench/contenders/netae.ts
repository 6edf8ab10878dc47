import { adapterTitle, type Gpu } from '../../src/gpu/device';
import { Scorer } from '../../src/model/scorer';
import type { LayerSpec } from '../../src/model/spec';
import type { Matrix32 } from '../../src/model/matrix';
import { train } from '../../src/model/trainer';
import { CANONICAL } from '../workload';
import { FULL_ROWS } from './rows';
import { timeScoring } from './scoring';
import type { Contender, ScoreFigure, TrainFigure } from './types';

export type NetaePath = 'fused' | 'per-layer';

/**
 * netae itself on the adapter the suite acquired: `fused` is what it runs by default (the
 * fused kernels where the model fits, src/shaders/fused.wgsl), `per-layer` the kernels a
 * layer at a time, the fallback for models that do not fit and the baseline of the fused ones.
 */
export function netaeContender(gpu: Gpu, path: NetaePath = 'fused'): Contender {
  const fused = path === 'fused' ? undefined : (false as const);
  const options = (spec: LayerSpec, initial?: Float32Array) => ({
    spec, epochs: 1, batchSize: CANONICAL.batch, lr: CANONICAL.lr, validation: 0, seed: 1, patience: 0, initial, fused,
  });
  return {
    id: path === 'fused' ? 'netae' : 'netae-per-layer',
    label: path === 'fused' ? 'netae, fused kernels (WGSL, Dawn)' : 'netae, per-layer kernels (WGSL, Dawn)',
    rows: FULL_ROWS,
    async train(spec, data, init): Promise<TrainFigure> {
      const result = await train(gpu, data, options(spec, init));
      if (result.path !== path) throw new Error(`the ${path} path was asked for, the trainer took the ${result.path} path`);
      return {
        rows: result.trainRows, samplesPerSecond: result.samplesPerSecond, msPerStep: result.msPerStep,
        loss: result.history[0]?.trainLoss ?? NaN,
      };
    },
    async score(spec, params, data: Matrix32): Promise<ScoreFigure> {
      const scorer = Scorer.create(gpu, spec, params, { fused });
      try {
        if (scorer.path !== path) throw new Error(`the ${path} path was asked for, the scorer took the ${scorer.path} path`);
        return await timeScoring(data, scorer.chunk, (values) => scorer.score(values));
      } finally {
        scorer.release();
      }
    },
    describe: () => adapterTitle(gpu.adapter),
    release() {},
  };
}
