import { existsSync } from 'node:fs';
import { NETAE_CLI } from './bundles';
import { int } from './compare';
import { ratioOf, type Row, type RssTimeline } from './report';
import { benchScoreCli } from './score-cli';

export type EndToEndOutcome =
  | { readonly status: 'measured'; readonly rows: Row[]; readonly notes?: readonly string[]; readonly timelines?: readonly RssTimeline[] }
  | { readonly status: 'skipped'; readonly detail: string };

/** Rows/s and peak RSS of `netae score` on a big CSV, when the CLI is built. */
export async function runEndToEnd(quick: boolean): Promise<EndToEndOutcome> {
  if (!existsSync(NETAE_CLI)) return { status: 'skipped', detail: 'dist/node/netae.js is not built' };
  return { status: 'measured', ...await benchScoreCli(quick, NETAE_CLI) };
}

/** The rows as lines of the live log: rows/s, peak RSS and CPU µs a row, or a ratio row's figure as N×. */
export function endToEndLog(rows: readonly Row[]): string[] {
  const width = Math.max(22, ...rows.map((row) => String(row.measure).length));
  return rows.map((row) => {
    const head = `${String(row.measure).padEnd(width)} threads ${String(row.threads).padEnd(7)}`;
    const ratio = ratioOf(row);
    if (ratio !== null) return `${head} ${ratio.toFixed(2)}×`;
    const cpu = typeof row['CPU µs/row'] === 'number' ? `, ${row['CPU µs/row'].toFixed(2)} CPU µs/row` : '';
    return `${head} ${int(Number(row['rows/s']))} rows/s, peak RSS ${row['peak RSS MB']} MB${cpu}`;
  });
}
