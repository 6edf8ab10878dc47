import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openOutput, writeAll } from '../src/app/cli/output';
import { formatTable, type Row } from '../src/app/format';
import type { Gpu } from '../src/gpu/device';
import { adapterSlug, describeMachine } from './machine';

export type { Row };

/** Benchmarks run from the project root (npm scripts do). */
export const RESULTS_DIR = resolve(process.cwd(), 'bench', 'results');

/** Prints rows as an aligned text table under a title. */
export function printTable(title: string, rows: readonly Row[]): void {
  if (rows.length) console.log(`\n${title}\n${formatTable(rows)}`);
}

/** Writes `<name>-<adapter>-<date>.json` under `dir`, whole or not at all. */
export async function saveResults(dir: string, name: string, gpu: Gpu, results: unknown): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const machine = describeMachine(gpu);
  const date = new Date().toISOString();
  const file = join(dir, `${name}-${adapterSlug(machine)}-${date.slice(0, 10)}.json`);
  await writeWhole(file, `${JSON.stringify({ benchmark: name, date, machine, results }, null, 2)}\n`);
  return file;
}

/** Writes a file whole or not at all, as the CLI writes its outputs. */
export function writeWhole(file: string, text: string): Promise<void> {
  return writeAll(openOutput(file, 'bench output'), text);
}
