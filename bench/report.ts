import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatTable } from '../src/app/cli/table';
import { adapterName, type Gpu } from '../src/gpu/device';

/** Benchmarks run from the project root (npm scripts do). */
export const RESULTS_DIR = resolve(process.cwd(), 'bench', 'results');

export type Row = Record<string, string | number>;

/** Prints rows as an aligned text table under a title. */
export function printTable(title: string, rows: readonly Row[]): void {
  if (rows.length) console.log(`\n${title}\n${formatTable(rows)}`);
}

export function machine(gpu: Gpu) {
  return {
    adapter: adapterName(gpu.adapter),
    description: gpu.adapter.description,
    vendor: gpu.adapter.vendor,
    architecture: gpu.adapter.architecture,
    backend: gpu.adapter.backend,
    timestamps: gpu.timestamps,
  };
}

/** Writes `<name>-<adapter>-<date>.json` under bench/results, whole or not at all. */
export function saveResults(name: string, gpu: Gpu, results: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  const slug = adapterName(gpu.adapter).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const file = join(RESULTS_DIR, `${name}-${slug}-${date}.json`);
  const body = JSON.stringify({ benchmark: name, date: new Date().toISOString(), machine: machine(gpu), results }, null, 2);
  writeFileSync(`${file}.tmp`, `${body}\n`);
  renameSync(`${file}.tmp`, file);
  return file;
}

/** Writes a file whole or not at all. */
export function writeWhole(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}
