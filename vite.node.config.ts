import { defineConfig, type UserConfig } from 'vite';

/**
 * A Node bundle of `input`'s entries, with their WGSL, into `outDir`. The decoding and writing threads are
 * entries of their own, which their pools start from beside the bundle; shared chunks sit beside the
 * entries, so `new URL('./decode-worker-node.js', import.meta.url)` finds it from any of them.
 */
export function nodeBundle(outDir: string, input: Record<string, string>): UserConfig {
  return {
    build: {
      ssr: true,
      outDir,
      emptyOutDir: true,
      target: 'node20',
      sourcemap: true,
      rollupOptions: {
        input: { ...input, 'decode-worker-node': 'src/pipeline/decode-worker-node.ts', 'score-writer-worker-node': 'src/app/score-writer-worker-node.ts' },
        output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
      },
    },
  };
}

/** The product: the `netae` CLI and what it loads, in dist/node (what `npm ci` builds and the package ships). */
export default defineConfig(nodeBundle('dist/node', { netae: 'src/app/cli/main.ts' }));
