import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { toDataset, type Dataset } from '../src/pipeline/dataset';
import { readDatasetFile } from '../src/pipeline/io-node';
import { fitPipeline } from '../src/pipeline/pipeline';
import { normalRows } from '../src/pipeline/schema';
import { generateTraffic } from '../src/pipeline/synthetic';

const TARGET_ROWS_PER_SECOND = 1_000_000;
const REPEATS = 15;
const kddTrain = fileURLToPath(new URL('../../shared/data/nsl-kdd/KDDTrain+.txt', import.meta.url));

async function load(): Promise<{ name: string; data: Dataset }> {
  if (existsSync(kddTrain)) return { name: 'NSL-KDD KDDTrain+', data: await readDatasetFile(kddTrain, { preset: 'nsl-kdd' }) };
  console.warn(`${kddTrain} not found: benchmarking synthetic conn.log rows instead`);
  const rows = 125_973;
  const table = generateTraffic({ rows, seed: 1, attackFraction: 0.1 });
  const lines = Int32Array.from({ length: rows }, (_, i) => i + 1);
  return { name: 'synthetic conn.log', data: toDataset({ table, file: 'synthetic', format: 'zeek', lines, unit: 'row', blankRows: 0 }, { preset: 'zeek-conn' }) };
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
const pipeline = fitPipeline(data.schema, normal.table);
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
  width: pipeline.width,
  fitRows: normal.table.numRows(),
  readMs: Math.round(readMs),
  fitMs: Math.round(fitMs),
  transform: { repeats: REPEATS, medianMs: +medianMs.toFixed(2), bestMs: +bestMs.toFixed(2), rowsPerSecond: Math.round(rowsPerSecond) },
  target: { rowsPerSecond: TARGET_ROWS_PER_SECOND, met: rowsPerSecond >= TARGET_ROWS_PER_SECOND },
};

console.table({
  data: { value: name },
  rows: { value: rows.toLocaleString('en-US') },
  'output width': { value: pipeline.width },
  'read (ms)': { value: result.readMs },
  [`fit on ${result.fitRows.toLocaleString('en-US')} normal rows (ms)`]: { value: result.fitMs },
  'transform median (ms)': { value: result.transform.medianMs },
  'transform best (ms)': { value: result.transform.bestMs },
  'transform rows/s (median)': { value: result.transform.rowsPerSecond.toLocaleString('en-US') },
  'target ≥ 1,000,000 rows/s': { value: result.target.met ? 'met' : 'NOT met' },
});

const dir = new URL('results/', import.meta.url);
await mkdir(dir, { recursive: true });
const out = new URL(`features-${result.date.slice(0, 10)}.json`, dir);
await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${fileURLToPath(out)}`);
