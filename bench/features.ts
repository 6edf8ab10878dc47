import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tableDataset, type Dataset } from '../src/pipeline/dataset';
import { DEFAULT_SCALING } from '../src/pipeline/features';
import { readDatasetFile } from '../src/pipeline/io-node';
import { fitPipeline } from '../src/pipeline/pipeline';
import { normalRows } from '../src/pipeline/schema';
import { generateTraffic } from '../src/pipeline/synthetic';
import { printTable, writeWhole } from './report';

const TARGET_ROWS_PER_SECOND = 1_000_000;
const REPEATS = 15;
const kddTrain = process.env.NETAE_NSL_KDD
  ? `${process.env.NETAE_NSL_KDD}/KDDTrain+.txt`
  : fileURLToPath(new URL('../../shared/data/nsl-kdd/KDDTrain+.txt', import.meta.url));

async function load(): Promise<{ name: string; data: Dataset }> {
  if (existsSync(kddTrain)) return { name: 'NSL-KDD KDDTrain+', data: await readDatasetFile(kddTrain, { preset: 'nsl-kdd' }) };
  console.warn(`${kddTrain} not found: benchmarking synthetic conn.log rows instead`);
  const table = generateTraffic({ rows: 125_973, seed: 1, attackFraction: 0.1 });
  return { name: 'synthetic conn.log', data: tableDataset(table, { preset: 'zeek-conn' }, 'synthetic', 'zeek') };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const t0 = performance.now();
const { name, data } = await load();
const readMs = performance.now() - t0;
const rows = data.table.numRows();

const t1 = performance.now();
const normal = normalRows(data.table, data.schema, data);
const pipeline = fitPipeline(data.schema, normal.table, { scaling: DEFAULT_SCALING });
const fitMs = performance.now() - t1;

const times: number[] = [];
for (let k = 0; k < REPEATS; k++) {
  const start = performance.now();
  pipeline.transform(data.table, data);
  times.push(performance.now() - start);
}
const medianMs = median(times);
const bestMs = Math.min(...times);
const rowsPerSecond = rows / (medianMs / 1000);

const result = {
  bench: 'features',
  date: new Date().toISOString(),
  node: process.version,
  data: name,
  rows,
  scaling: DEFAULT_SCALING,
  width: pipeline.width,
  fitRows: normal.table.numRows(),
  readMs: Math.round(readMs),
  fitMs: Math.round(fitMs),
  transform: { repeats: REPEATS, medianMs: +medianMs.toFixed(2), bestMs: +bestMs.toFixed(2), rowsPerSecond: Math.round(rowsPerSecond) },
  target: { rowsPerSecond: TARGET_ROWS_PER_SECOND, met: rowsPerSecond >= TARGET_ROWS_PER_SECOND },
};

printTable('Feature transform', [
  { measure: 'data', value: name },
  { measure: 'rows', value: rows },
  { measure: 'scaling', value: DEFAULT_SCALING },
  { measure: 'output width', value: pipeline.width },
  { measure: 'read (ms)', value: result.readMs },
  { measure: `fit on ${result.fitRows.toLocaleString('en-US')} normal rows (ms)`, value: result.fitMs },
  { measure: 'transform median (ms)', value: result.transform.medianMs },
  { measure: 'transform best (ms)', value: result.transform.bestMs },
  { measure: 'transform rows/s (median)', value: result.transform.rowsPerSecond },
  { measure: `target ≥ ${TARGET_ROWS_PER_SECOND.toLocaleString('en-US')} rows/s`, value: result.target.met ? 'met' : 'NOT met' },
]);

const dir = new URL('results/', import.meta.url);
await mkdir(dir, { recursive: true });
const out = fileURLToPath(new URL(`features-${result.date.slice(0, 10)}.json`, dir));
writeWhole(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${out}`);
