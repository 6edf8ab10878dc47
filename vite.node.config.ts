import { defineConfig } from 'vite';

/** The Node entry points (the `netae` CLI and the benchmarks), bundled with their WGSL. */
export default defineConfig({
  ssr: {
    /** TensorFlow.js (a bench peer) ships its gradients only as ES modules that Node cannot load unbundled. */
    noExternal: [/^@tensorflow\//],
  },
  build: {
    ssr: true,
    outDir: 'dist/node',
    emptyOutDir: true,
    target: 'node20',
    sourcemap: true,
    rollupOptions: {
      input: { netae: 'src/app/cli/main.ts', bench: 'bench/main.ts', 'detection-cv': 'bench/detection-cv.ts' },
      output: { format: 'es', entryFileNames: '[name].js' },
    },
  },
});
