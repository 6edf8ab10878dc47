import { build } from 'vite';

/** Builds the Node bundle (bin/netae.js runs it) from the current sources before the suites. */
export default async function setup(): Promise<void> {
  await build({ configFile: 'vite.node.config.ts', logLevel: 'warn' });
}
