import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCSV } from 'arquero';
import { tableDataset } from '../src/pipeline/dataset';
import { DEFAULT_SCALING, mergeReports, type TransformReport } from '../src/pipeline/features';
import { readChunksFile } from '../src/pipeline/io-node';
import { Featurizer, fitFeaturizer } from '../src/pipeline/featurizer';
import { normalRows } from '../src/pipeline/schema';
import { generateTraffic } from '../src/synthetic/traffic';
import { BENCH_BUNDLE } from './bundles';
import { printTable, RESULTS_DIR, writeWhole } from './report';

const TARGET_BYTES = 1024 ** 3;
const RSS_LIMIT_MB = 300;

/** The bench bundle's command for the child that reads. */
export const STREAM_READ_CHILD = 'stream-read-child';

/** The child of `benchStreamRead`: streams the CSV through the fitted pipeline and reports time and peak resident memory. */
export async function streamReadChild(csv: string, pipelineFile: string): Promise<void> {
  const pipeline = Featurizer.fromJSON(JSON.parse(await readFile(pipelineFile, 'utf8')));
  const start = performance.now();
  let chunks = 0;
  let report: TransformReport = { rows: 0, repaired: 0, clipped: 0, unseen: 0, columns: {} };
  for await (const chunk of readChunksFile(csv, pipeline.readOptions(csv))) {
    report = mergeReports(report, pipeline.transform(chunk.table, chunk).report);
    chunks++;
  }
  const seconds = (performance.now() - start) / 1000;
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
  process.stdout.write(
    JSON.stringify({
      rows: report.rows,
      chunks,
      seconds,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
      vmHwmMB: hwm === null ? null : Number(hwm[1]) / 1024,
      repaired: report.repaired,
      unseen: report.unseen,
    }),
  );
}

async function writeBigCsv(path: string): Promise<number> {
  const table = generateTraffic({ rows: 100_000, seed: 7, attackFraction: 0.1 });
  const block = toCSV(table, { header: false });
  const header = `${table.columnNames().join(',')}\n`;
  const out = createWriteStream(path);
  let bytes = 0;
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => {
      bytes += Buffer.byteLength(text);
      out.write(text, (error) => (error ? reject(error) : resolve()));
    });
  await write(header);
  while (bytes < TARGET_BYTES) await write(block.endsWith('\n') ? block : `${block}\n`);
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return bytes;
}

/**
 * A 1 GiB CSV of synthetic conn.log rows read and transformed in chunks by a child process, for
 * its rate and its peak resident memory (the target: under 300 MB).
 */
export async function benchStreamRead(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'netae-stream-'));
  try {
    const csv = join(dir, 'flows.csv');
    const started = performance.now();
    const bytes = await writeBigCsv(csv);
    const writeSeconds = (performance.now() - started) / 1000;

    const fitRows = generateTraffic({ rows: 20_000, seed: 8, attackFraction: 0 });
    const data = tableDataset(fitRows, { preset: 'zeek-conn' }, 'fit', 'csv');
    const pipeline = fitFeaturizer(data.schema, normalRows(data.table, data.schema, data).table, { scaling: DEFAULT_SCALING });
    const pipelineFile = join(dir, 'pipeline.json');
    await writeFile(pipelineFile, JSON.stringify(pipeline.toJSON()));

    const output = await new Promise<string>((resolve, reject) => {
      const run = spawn(process.execPath, [BENCH_BUNDLE, STREAM_READ_CHILD, csv, pipelineFile], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      run.stdout.on('data', (d: Buffer) => (text += d.toString()));
      run.on('error', reject);
      run.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`reader exited with code ${code}`))));
    });
    const measured = JSON.parse(output) as { rows: number; chunks: number; seconds: number; maxRssMB: number; vmHwmMB: number | null; repaired: number; unseen: number };
    const result = {
      bench: 'stream-read',
      date: new Date().toISOString(),
      node: process.version,
      scaling: DEFAULT_SCALING,
      file: { bytes, rows: measured.rows, writeSeconds: +writeSeconds.toFixed(1) },
      read: {
        chunks: measured.chunks,
        seconds: +measured.seconds.toFixed(2),
        mbPerSecond: +(bytes / 1e6 / measured.seconds).toFixed(1),
        rowsPerSecond: Math.round(measured.rows / measured.seconds),
        repaired: measured.repaired,
        unseen: measured.unseen,
      },
      memory: { maxRssMB: +measured.maxRssMB.toFixed(1), vmHwmMB: measured.vmHwmMB === null ? null : +measured.vmHwmMB.toFixed(1) },
      target: { maxRssMB: RSS_LIMIT_MB, met: measured.maxRssMB < RSS_LIMIT_MB },
    };
    printTable('Streamed read', [
      { measure: 'CSV size (MB)', value: Math.round(bytes / 1e6) },
      { measure: 'rows', value: measured.rows },
      { measure: 'scaling', value: DEFAULT_SCALING },
      { measure: 'read + transform (s)', value: result.read.seconds },
      { measure: 'MB/s', value: result.read.mbPerSecond },
      { measure: 'rows/s', value: result.read.rowsPerSecond },
      { measure: 'peak RSS (MB)', value: result.memory.maxRssMB },
      { measure: `target RSS < ${RSS_LIMIT_MB} MB`, value: result.target.met ? 'met' : 'NOT met' },
    ]);
    await mkdir(RESULTS_DIR, { recursive: true });
    const out = join(RESULTS_DIR, `stream-read-${result.date.slice(0, 10)}.json`);
    await writeWhole(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`wrote ${out}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
