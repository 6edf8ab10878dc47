import { defineConfig } from 'vite';
import { nodeBundle } from './vite.node.config.ts';

/**
 * The benchmarks, in dist/bench, apart from the product: they bundle TensorFlow.js and the
 * product's sources they measure, and run the CLI from dist/node.
 */
export default defineConfig({
  ...nodeBundle('dist/bench', { bench: 'bench/main.ts', 'detection-cv': 'bench/detection-cv.ts' }),
  ssr: {
    /** TensorFlow.js ships its gradients only as ES modules that Node cannot load unbundled. */
    noExternal: [/^@tensorflow\//],
  },
});
