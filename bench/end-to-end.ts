import { existsSync } from 'node:fs';
import { NETAE_CLI } from './bundles';
import type { Row } from './report';
import { benchScoreCli } from './score-cli';

export type EndToEndOutcome =
  | { readonly status: 'measured'; readonly rows: Row[] }
  | { readonly status: 'skipped'; readonly detail: string };

/** Rows/s and peak RSS of `netae score` on a big CSV, when the CLI is built. */
export async function runEndToEnd(quick: boolean): Promise<EndToEndOutcome> {
  if (!existsSync(NETAE_CLI)) return { status: 'skipped', detail: 'dist/node/netae.js is not built' };
  return { status: 'measured', rows: await benchScoreCli(quick, NETAE_CLI) };
}
