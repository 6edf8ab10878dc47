import { adapterTitle, type Gpu } from '../../src/gpu/device';
import { Scorer } from '../../src/model/scorer';
import type { LayerSpec } from '../../src/model/spec';
import { train, type Matrix32 } from '../../src/model/trainer';
import { CANONICAL } from '../workload';
import { FULL_ROWS } from './rows';
import { timeScoring } from './scoring';
import type { Contender, ScoreFigure, TrainFigure } from './types';

/** netae itself: the WGSL trainer and scorer on the adapter the suite acquired. */
export function netaeContender(gpu: Gpu): Contender {
  const options = (spec: LayerSpec, initial?: Float32Array) => ({
    spec, epochs: 1, batchSize: CANONICAL.batch, lr: CANONICAL.lr, validation: 0, seed: 1, patience: 0, initial,
  });
  return {
    id: 'netae',
    label: 'netae (WGSL, Dawn)',
    rows: FULL_ROWS,
    async train(spec, data, init): Promise<TrainFigure> {
      const result = await train(gpu, data, options(spec, init));
      return {
        rows: result.trainRows, samplesPerSecond: result.samplesPerSecond, msPerStep: result.msPerStep,
        loss: result.history[0]?.trainLoss ?? NaN,
      };
    },
    async score(spec, params, data: Matrix32): Promise<ScoreFigure> {
      const scorer = Scorer.create(gpu, spec, params);
      try {
        return await timeScoring(data, scorer.chunk, (values) => scorer.score(values));
      } finally {
        scorer.release();
      }
    },
    describe: () => adapterTitle(gpu.adapter),
    release() {},
  };
}
