import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openOutput, writeAll } from '../src/app/cli/output';
import { formatTable, type Row } from '../src/app/format';
import type { Gpu } from '../src/gpu/device';
import { adapterSlug, describeMachine } from './machine';

export type { Row };

/** Resident memory over time of one command: milliseconds since it started, and MB. */
export interface RssTimeline {
  measure: string;
  /** [ms, MB] pairs, polled every 100 ms. */
  rss: [number, number][];
}

/** A benchmark's rows, with notes (which workload and why) and, where taken, RSS timelines. */
export interface Described {
  rows: Row[];
  notes: string[];
  timelines?: RssTimeline[];
}

/** The end-to-end benchmark's rows that compare two others: their figure is in `ratio`. */
export const RATIO_MEASURES = ['netae score ÷ kernels', "kernels' CPU a row ÷ netae score's"] as const;

/** A ratio row's figure: its `ratio`, or, in results saved before that column, the number in `rows/s` or `CPU µs/row`; null for other rows. */
export function ratioOf(row: Row): number | null {
  if (!(RATIO_MEASURES as readonly unknown[]).includes(row.measure)) return null;
  const figure = [row.ratio, row['rows/s'], row['CPU µs/row']].find((v) => typeof v === 'number');
  return typeof figure === 'number' ? figure : null;
}

/** Benchmarks run from the project root (npm scripts do). */
export const RESULTS_DIR = resolve(process.cwd(), 'bench', 'results');

/** Prints rows as an aligned text table under a title. */
export function printTable(title: string, rows: readonly Row[]): void {
  if (rows.length) console.log(`\n${title}\n${formatTable(rows)}`);
}

/** Writes `<name>-<adapter>-<date>.json` under `dir`, whole or not at all; `about` (notes, timelines) goes before the results. */
export async function saveResults(dir: string, name: string, gpu: Gpu, results: unknown, about: Record<string, unknown> = {}): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const machine = describeMachine(gpu);
  const date = new Date().toISOString();
  const file = join(dir, `${name}-${adapterSlug(machine)}-${date.slice(0, 10)}.json`);
  await writeWhole(file, `${JSON.stringify({ benchmark: name, date, machine, ...about, results }, null, 2)}\n`);
  return file;
}

/** Writes a file whole or not at all, as the CLI writes its outputs. */
export function writeWhole(file: string, text: string): Promise<void> {
  return writeAll(openOutput(file, 'bench output'), text);
}
