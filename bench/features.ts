import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { join, resolve } from 'node:path';
import { toCSV } from 'arquero';
import { defaultThreads, parallelDecoding } from '../src/pipeline/decode-pool-node';
import { DEFAULT_SCALING } from '../src/pipeline/features';
import { readTable } from '../src/pipeline/io';
import { readDatasetFile } from '../src/pipeline/io-node';
import { fitFeaturizer, type Featurizer } from '../src/pipeline/featurizer';
import { readRecords } from '../src/pipeline/records';
import type { BlockDecoding } from '../src/pipeline/text-blocks';
import type { Dataset } from '../src/pipeline/dataset';
import { fitNormal, putNormalRows } from '../src/app/detector/fit';
import { normalRows, presetColumns, resolveSchema } from '../src/pipeline/schema';
import { generateTraffic } from '../src/synthetic/traffic';
import { printTable, RESULTS_DIR, writeWhole, type Row } from './report';

const TARGET_ROWS_PER_SECOND = 1_000_000;
const TARGET_TRAIN_READ_SECONDS = 0.5;
const REPEATS = 7;
const NSL_KDD = process.env.NETAE_NSL_KDD
  ? join(process.env.NETAE_NSL_KDD, 'KDDTrain+.txt')
  : resolve(process.cwd(), '..', 'shared', 'data', 'nsl-kdd', 'KDDTrain+.txt');

interface Workload {
  name: string;
  bytes: Uint8Array;
  /** Reads the file as `netae train --threads N` does, for the time reading takes. */
  readForTraining: (threads: number) => Promise<Dataset>;
  pipeline: Featurizer;
  fileName: string;
  /** The header line's bytes, newline included (0 for a file without one). */
  headerBytes: number;
}

/** NSL-KDD's KDDTrain+ where it is at hand, else synthetic conn.log rows written as CSV. */
async function workload(): Promise<Workload> {
  if (existsSync(NSL_KDD)) {
    const data = await readDatasetFile(NSL_KDD, { preset: 'nsl-kdd' });
    const pipeline = fitFeaturizer(data.schema, normalRows(data.table, data.schema, data).table, { scaling: DEFAULT_SCALING });
    return { name: 'NSL-KDD KDDTrain+', bytes: readFileSync(NSL_KDD), readForTraining: (threads) => readDatasetFile(NSL_KDD, { preset: 'nsl-kdd' }, { select: presetColumns({ preset: 'nsl-kdd' }), threads }), pipeline, fileName: NSL_KDD, headerBytes: 0 };
  }
  console.warn(`${NSL_KDD} not found: benchmarking synthetic conn.log rows as CSV instead`);
  const bytes = new TextEncoder().encode(toCSV(generateTraffic({ rows: 125_973, seed: 1, attackFraction: 0.1 })));
  const read = await readTable(bytes, { fileName: 'synthetic.csv' });
  const schema = resolveSchema(read.table, { preset: 'zeek-conn' }, 'synthetic.csv');
  const pipeline = fitFeaturizer(schema, normalRows(read.table, schema, read).table, { scaling: DEFAULT_SCALING });
  const readForTraining = (threads: number) => readDatasetFile(Readable.from([bytes]), { preset: 'zeek-conn' }, { fileName: 'synthetic.csv', select: presetColumns({ preset: 'zeek-conn' }), threads });
  return { name: 'synthetic conn.log as CSV', bytes, readForTraining, pipeline, fileName: 'synthetic.csv', headerBytes: bytes.indexOf(0x0a) + 1 };
}

/** The input `copies` times over, as one buffer: its first `headerBytes` (a header line, if any) once. */
function repeated(bytes: Uint8Array, copies: number, headerBytes: number): Uint8Array {
  const body = bytes.subarray(headerBytes);
  const out = new Uint8Array(headerBytes + body.length * copies);
  out.set(bytes.subarray(0, headerBytes));
  for (let k = 0; k < copies; k++) out.set(body, headerBytes + k * body.length);
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function time<T>(run: () => Promise<T>): Promise<number> {
  const start = performance.now();
  await run();
  return (performance.now() - start) / 1000;
}

/** Seconds of `times` runs, one after another. */
async function repeat<T>(times: number, run: () => Promise<T>): Promise<number[]> {
  const seconds: number[] = [];
  for (let k = 0; k < times; k++) seconds.push(await time(run));
  return seconds;
}

/** Bytes → feature rows (dense, or packed as netae score sends them to the GPU) through readRecords, all rows consumed; returns the rows. */
async function decode(bytes: Uint8Array, w: Workload, decoding?: BlockDecoding, packed = false): Promise<number> {
  let rows = 0;
  for await (const batch of readRecords(bytes, w.pipeline, { ...w.pipeline.readOptions(w.fileName), decoding, packed })) rows += batch.rows;
  return rows;
}

/** A plain loop counting line feeds: how fast this machine runs a byte loop right now, to read the other figures against. */
function calibrate(bytes: Uint8Array): number {
  const start = performance.now();
  let n = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) n++;
  return n >= 0 ? bytes.length / 1e6 / ((performance.now() - start) / 1000) : 0;
}

/**
 * The feature side of netae on NSL-KDD-shaped CSV: reading the training file as `netae train` does;
 * transforming columns already in memory; and the byte decoder, bytes straight to feature rows, on
 * this thread and on worker threads on all cores. Medians of several runs, with the rate of a plain
 * byte loop taken in the same run (the cores here are shared: compare within a run).
 */
export async function benchFeatures(outDir: string = RESULTS_DIR): Promise<Row[]> {
  const w = await workload();
  const rows = (await readTable(w.bytes, w.pipeline.readOptions(w.fileName))).table.numRows();
  const threads = availableParallelism();
  const tableRead = median(await repeat(3, () => w.readForTraining(defaultThreads())));
  const trainRead = median(await repeat(3, async () => trainingRowsOf(await w.readForTraining(defaultThreads()))));
  const data = await w.readForTraining(defaultThreads());
  const trainRows = trainingRowsOf(data);
  const transform = median(await repeat(REPEATS, async () => w.pipeline.transform(data.table)));
  const copies = 8;
  const big = repeated(w.bytes, copies, w.headerBytes);
  const one: number[] = [];
  const onePacked: number[] = [];
  const calibration: number[] = [];
  for (let k = 0; k < REPEATS; k++) {
    calibration.push(calibrate(big));
    one.push(await time(() => decode(w.bytes, w)));
    onePacked.push(await time(() => decode(w.bytes, w, undefined, true)));
  }
  const tableReadAll = median(await repeat(3, () => w.readForTraining(threads)));
  const pool = parallelDecoding(threads);
  const all = await repeat(3, () => decode(big, w, pool));
  const mb = w.bytes.length / 1e6;
  const decodeOne = median(one);
  const decodePacked = median(onePacked);
  const decodeAll = median(all) / copies;
  const table: Row[] = [
    { measure: 'data', value: `${w.name}, ${rows.toLocaleString('en-US')} rows, ${mb.toFixed(1)} MB, ${w.pipeline.width} features` },
    { measure: 'byte loop (calibration), MB/s', value: Math.round(median(calibration)) },
    { measure: 'train read: the file to the normal rows\' features, as netae train does (s)', value: +trainRead.toFixed(3) },
    { measure: 'train read, rows of the file/s', value: Math.round(rows / trainRead) },
    { measure: `train read, of which the table (s); ${trainRows.toLocaleString('en-US')} normal rows fitted and transformed in the rest`, value: +tableRead.toFixed(3) },
    { measure: `train read, the table alone with --threads ${threads} (s)`, value: +tableReadAll.toFixed(3) },
    { measure: `target ≤ ${TARGET_TRAIN_READ_SECONDS} s`, value: trainRead <= TARGET_TRAIN_READ_SECONDS ? 'met' : 'NOT met' },
    { measure: 'transform of columns in memory, rows/s', value: Math.round(rows / transform) },
    { measure: 'decode + transform, bytes → rows, 1 thread, rows/s', value: Math.round(rows / decodeOne) },
    { measure: 'decode + transform, 1 thread, MB/s', value: +(mb / decodeOne).toFixed(1) },
    { measure: 'decode + transform into packed rows (netae score\'s path; the GPU expands them), 1 thread, rows/s', value: Math.round(rows / decodePacked) },
    { measure: `decode + transform, ${threads} worker threads, rows/s`, value: Math.round(rows / decodeAll) },
    { measure: `decode + transform, ${threads} worker threads, MB/s`, value: +(mb / decodeAll).toFixed(1) },
    { measure: `target ≥ ${TARGET_ROWS_PER_SECOND.toLocaleString('en-US')} rows/s on 1 thread, dense`, value: rows / decodeOne >= TARGET_ROWS_PER_SECOND ? 'met' : 'NOT met' },
    { measure: `target ≥ ${TARGET_ROWS_PER_SECOND.toLocaleString('en-US')} rows/s on 1 thread, packed`, value: rows / decodePacked >= TARGET_ROWS_PER_SECOND ? 'met' : 'NOT met' },
  ];
  printTable('Features: reading, transforming, decoding bytes straight into feature rows', table);
  const date = new Date().toISOString();
  await mkdir(outDir, { recursive: true });
  const out = join(outDir, `features-${date.slice(0, 10)}.json`);
  await writeWhole(out, `${JSON.stringify({ bench: 'features', date, node: process.version, scaling: DEFAULT_SCALING, results: table }, null, 2)}\n`);
  console.log(`wrote ${out}`);
  return table;
}

/**
 * Fits the features on a dataset's normal rows and transforms those rows block by block, as
 * `netae train` puts them on the GPU (here into a store that only counts them); how many there were.
 */
function trainingRowsOf(data: Dataset): number {
  const { featurizer, normal } = fitNormal(data, {});
  let rows = 0;
  putNormalRows(featurizer, normal, null, { put: () => void rows++ });
  return rows;
}
