import type { Gpu } from '../src/gpu/device';
import { formatSpec, parameterCount } from '../src/model/spec';
import { netaeContender } from './contenders/netae';
import { FULL_ROWS } from './contenders/rows';
import type { Row } from './report';
import { measureScoring, measureTraining } from './suite';
import { canonicalData, canonicalSpecs } from './workload';

/** netae alone on the suite's training measurement: one epoch of the canonical rows after a warm-up. */
export async function benchTrain(gpu: Gpu, quick = false): Promise<Row[]> {
  const netae = netaeContender(gpu);
  const data = canonicalData(FULL_ROWS(quick).train);
  const rows: Row[] = [];
  for (const { name, spec } of canonicalSpecs()) {
    const t = await measureTraining(netae, spec, data);
    rows.push({ model: `${name} ${formatSpec(spec)}`, params: parameterCount(spec), rows: t.rows, 'samples/s': t.samplesPerSecond, 'ms/step': t.msPerStep });
  }
  return rows;
}

/** netae alone on the suite's scoring measurement. */
export async function benchScore(gpu: Gpu, quick = false): Promise<Row[]> {
  const netae = netaeContender(gpu);
  const data = canonicalData(FULL_ROWS(quick).score);
  const rows: Row[] = [];
  for (const { name, spec } of canonicalSpecs()) {
    const s = await measureScoring(netae, spec, data);
    rows.push({ model: `${name} ${formatSpec(spec)}`, rows: s.rows, 'rows/s': s.rowsPerSecond });
  }
  return rows;
}
