import type { Gpu } from '../src/gpu/device';
import { formatSpec, parameterCount } from '../src/model/spec';
import { netaeContender, type NetaePath } from './contenders/netae';
import { FULL_ROWS } from './contenders/rows';
import type { Row } from './report';
import { measureScoring, measureTraining } from './suite';
import { canonicalData, canonicalSpecs } from './workload';

const PATHS: readonly NetaePath[] = ['fused', 'per-layer'];

/** netae alone on the suite's training measurement, fused and per-layer: one epoch of the canonical rows after a warm-up. */
export async function benchTrain(gpu: Gpu, quick = false): Promise<Row[]> {
  const data = canonicalData(FULL_ROWS(quick).train);
  const rows: Row[] = [];
  for (const { name, spec } of canonicalSpecs()) {
    for (const path of PATHS) {
      const t = await measureTraining(netaeContender(gpu, path), spec, data);
      rows.push({ model: `${name} ${formatSpec(spec)}`, path, params: parameterCount(spec), rows: t.rows, 'samples/s': t.samplesPerSecond, 'ms/step': t.msPerStep });
    }
  }
  return rows;
}

/** netae alone on the suite's scoring measurement, fused and per-layer. */
export async function benchScore(gpu: Gpu, quick = false): Promise<Row[]> {
  const data = canonicalData(FULL_ROWS(quick).score);
  const rows: Row[] = [];
  for (const { name, spec } of canonicalSpecs()) {
    for (const path of PATHS) {
      const s = await measureScoring(netaeContender(gpu, path), spec, data);
      rows.push({ model: `${name} ${formatSpec(spec)}`, path, rows: s.rows, 'rows/s': s.rowsPerSecond });
    }
  }
  return rows;
}
