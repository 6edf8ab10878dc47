import { fileURLToPath } from 'node:url';

/** The product's `netae` CLI in dist/node (vite.node.config.ts), beside dist/bench where this bundle runs. */
export const NETAE_CLI = fileURLToPath(new URL('../node/netae.js', import.meta.url));

/** This bundle's entry, dist/bench/bench.js (vite.bench.config.ts): it runs a benchmark's parts in child processes. */
export const BENCH_BUNDLE = fileURLToPath(new URL('./bench.js', import.meta.url));
