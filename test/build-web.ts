import { fileURLToPath } from 'node:url';
import { build } from 'vite';

/** Builds the demo page (dist/web) from the current sources with the root vite.config.ts. */
export async function buildWeb(): Promise<void> {
  await build({ configFile: fileURLToPath(new URL('../vite.config.ts', import.meta.url)), logLevel: 'warn' });
}
