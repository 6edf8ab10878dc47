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
      /** The decoding thread is an entry of its own: the pool starts it from beside the bundle. */
      input: {
        netae: 'src/app/cli/main.ts',
        bench: 'bench/main.ts',
        'detection-cv': 'bench/detection-cv.ts',
        'decode-worker-node': 'src/pipeline/decode-worker-node.ts',
      },
      /** Shared chunks beside the entries, so `new URL('./decode-worker-node.js', import.meta.url)` finds it from any of them. */
      output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
    },
  },
});
