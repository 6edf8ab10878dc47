/**
 * Copies into a folder the node_modules that the Node bundles (dist/node, dist/bench) load at run
 * time: the packages their files import, and theirs, and nothing for other platforms, no source maps
 * and no type declarations. Used by bench/pack-runner.sh.
 *
 *   tsx bench/runner-modules.ts <project root> <target node_modules>
 */
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';

/** Loaded through a computed `import()` that no scan of the bundle can see. */
const ALWAYS = ['webgpu'];
/**
 * Named in the bundles only by the source fallback of src/pipeline/worker-thread-node.ts (a
 * thread's entry run through tsx when its .js is not beside the bundle), which never runs from
 * dist: with tsx comes esbuild, about 12 MB.
 */
const SOURCE_ONLY = new Set(['tsx']);
/** Dawn builds for other systems than the GPU machine's (Linux on x86-64). */
const OTHER_PLATFORMS: Record<string, RegExp> = { webgpu: /^dist\/(?!linux-x64)./ };
const DROP = /\.(map|d\.ts|d\.mts|d\.cts|md|markdown)$/i;
const KEEP = /^(license|licence|notice|copying)/i;

function walk(dir: string, visit: (file: string) => void): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, visit);
    else visit(path);
  }
}

function packageOf(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return null;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return builtinModules.includes(name) ? null : name;
}

/** Bare specifiers of the bundles' static imports and re-exports (at the start of a line) and of their `import("x")` calls. */
function bundleImports(distDirs: readonly string[]): Set<string> {
  const found = new Set<string>(ALWAYS);
  const patterns = [
    /^(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gm,
    /^import\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const distDir of distDirs) {
    walk(distDir, (file) => {
      if (!file.endsWith('.js')) return;
      const text = readFileSync(file, 'utf8');
      for (const pattern of patterns) {
        for (const match of text.matchAll(pattern)) {
          const name = packageOf(match[1]);
          if (name && !SOURCE_ONLY.has(name)) found.add(name);
        }
      }
    });
  }
  return found;
}

/** Where Node finds package `name` when it is required from `fromDir`. */
function resolvePackage(name: string, fromDir: string, root: string): string | null {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === dirname(dir)) return null;
  }
}

function dependenciesOf(packageDir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
  };
  return Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies });
}

function closure(root: string, names: Iterable<string>): Set<string> {
  const dirs = new Set<string>();
  const queue = [...names].map((name) => ({ name, from: root }));
  while (queue.length) {
    const { name, from } = queue.pop()!;
    const dir = resolvePackage(name, from, root);
    if (!dir) {
      if (from === root) throw new Error(`the bundle imports ${name}, which is not installed; run npm ci`);
      continue;
    }
    if (dirs.has(dir)) continue;
    dirs.add(dir);
    for (const dep of dependenciesOf(dir)) queue.push({ name: dep, from: dir });
  }
  return dirs;
}

function copyPruned(source: string, target: string, name: string): void {
  cpSync(source, target, {
    recursive: true,
    filter: (path) => {
      const inner = relative(source, path);
      if (inner.split('/').includes('node_modules')) return false;
      if (OTHER_PLATFORMS[name]?.test(inner)) return false;
      const base = path.slice(path.lastIndexOf('/') + 1);
      return statSync(path).isDirectory() || KEEP.test(base) || !DROP.test(base);
    },
  });
}

function main([root, target]: string[]): void {
  if (!root || !target) throw new Error('usage: tsx bench/runner-modules.ts <project root> <target node_modules>');
  const modulesRoot = join(root, 'node_modules');
  const packages = closure(root, bundleImports([join(root, 'dist', 'node'), join(root, 'dist', 'bench')]));
  rmSync(target, { recursive: true, force: true });
  for (const dir of [...packages].sort()) {
    const rel = relative(modulesRoot, dir);
    copyPruned(dir, join(target, rel), rel.split('node_modules/').pop() ?? rel);
    console.log(`  ${rel}`);
  }
}

main(process.argv.slice(2));
