import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The demo page (src/app/web): `npm run dev` serves it, `npm run build:web` writes a static site to dist/web. */
export default defineConfig({
  root: fileURLToPath(new URL('src/app/web', import.meta.url)),
  base: './',
  publicDir: false,
  worker: { format: 'es' },
  build: {
    outDir: fileURLToPath(new URL('dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
});
