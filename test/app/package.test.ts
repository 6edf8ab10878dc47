import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './run';

/** The Node bundle the suites run (test/build-node.ts builds it from vite.node.config.ts). */
const DIST_NODE = join(ROOT, 'dist', 'node');

/** The files `npm pack` would put in the package, without running the build scripts. */
function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], { cwd: ROOT, encoding: 'utf8' });
  return (JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
}

describe('the installed product', () => {
  it('bundles the netae CLI and its decoding thread, and no benchmark or TensorFlow.js', () => {
    const files = readdirSync(DIST_NODE).filter((f) => f.endsWith('.js'));
    expect(files).toEqual(expect.arrayContaining(['netae.js', 'decode-worker-node.js']));
    expect(files.filter((f) => /bench|detection-cv/.test(f))).toEqual([]);
    const importsTf = files.filter((f) => /\bfrom\s*["']@tensorflow\/|import\(\s*["']@tensorflow\//.test(readFileSync(join(DIST_NODE, f), 'utf8')));
    expect(importsTf).toEqual([]);
    const tfSources = files.filter((f) => readFileSync(join(DIST_NODE, f), 'utf8').includes('registerKernel'));
    expect(tfSources).toEqual([]);
  });

  it('packs the CLI and dist/node, and no benchmark bundle', () => {
    const files = packedFiles();
    expect(files).toEqual(expect.arrayContaining(['bin/netae.js', 'dist/node/netae.js', 'dist/node/decode-worker-node.js']));
    expect(files.filter((f) => f.startsWith('dist/') && !f.startsWith('dist/node/'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('bench/'))).toEqual([]);
  });
});
