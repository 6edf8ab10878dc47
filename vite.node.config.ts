import { defineConfig } from 'vite';

/** The Node entry points (the `netae` CLI and the benchmarks), bundled with their WGSL. */
export default defineConfig({
  build: {
    ssr: true,
    outDir: 'dist/node',
    emptyOutDir: true,
    target: 'node20',
    sourcemap: true,
    rollupOptions: {
      input: { bench: 'bench/main.ts' },
      output: { format: 'es', entryFileNames: '[name].js' },
    },
  },
});
