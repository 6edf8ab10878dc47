import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The layering the style asks for, read from the sources: data flows pipeline → model → gpu →
 * shaders with the app and the benchmarks on top. Rules are by layer folder, so a module
 * moved within its layer or a new folder beside the layers keeps them.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCANNED = ['src', 'bench'];

/**
 * What each constrained layer may import of ours (folders or files, relative to the root);
 * others may import any of src. The model quotes bad values in its messages as the pipeline
 * does, with `quote` from src/pipeline/errors.ts, the one file of the pipeline it may import.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  'src/pipeline': ['src/pipeline'],
  'src/model': ['src/model', 'src/gpu', 'src/pipeline/errors.ts'],
  'src/gpu': ['src/gpu', 'src/shaders'],
};

/** Folders nothing under src may import: the product never loads its benchmarks or tests. */
const OUTSIDE_PRODUCT = ['bench', 'test'];

interface Import {
  /** The importing file, relative to the root. */
  readonly file: string;
  /** The specifier as written. */
  readonly specifier: string;
  /** The imported file, relative to the root. */
  readonly target: string;
}

function sources(folder: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) found.push(...sources(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(path);
  }
  return found;
}

/** Comments removed, so that an import in a comment's example is not read as one. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

const SPECIFIERS = [
  /** `import … from '…'`, `import type … from '…'`, `export … from '…'` */
  /^\s*(?:import|export)\s[^;()=]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  /** `import '…'` */
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /** `import('…')` */
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
];

/** The file a relative specifier names: as written (a `?raw` WGSL import), or with `.ts`, or its folder's `index.ts`. */
function resolveFile(from: string, specifier: string): string {
  const base = resolve(ROOT, dirname(from), specifier.replace(/\?.*$/, ''));
  const candidates = [base, `${base}.ts`, base.replace(/\.js$/, '.ts'), join(base, 'index.ts')];
  const hit = candidates.find((path) => existsSync(path) && statSync(path).isFile());
  if (!hit) throw new Error(`${from}: cannot resolve the import '${specifier}'`);
  return relative(ROOT, hit);
}

function importsOf(file: string): Import[] {
  const text = withoutComments(readFileSync(join(ROOT, file), 'utf8'));
  const specifiers = new Set<string>();
  for (const pattern of SPECIFIERS) for (const match of text.matchAll(pattern)) specifiers.add(match[1]);
  return [...specifiers]
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => ({ file, specifier, target: resolveFile(file, specifier) }));
}

const within = (file: string, folder: string) => file === folder || file.startsWith(`${folder}/`);
const FILES = SCANNED.flatMap(sources).sort();
const IMPORTS = FILES.flatMap(importsOf);
const show = (i: Import) => `${i.file} imports '${i.specifier}' (${i.target})`;

/** Import cycles among the files, each as a path of imports from a file back to itself. */
function cycles(imports: readonly Import[]): string[] {
  const edges = new Map<string, Import[]>();
  for (const i of imports) edges.set(i.file, [...(edges.get(i.file) ?? []), i]);
  const state = new Map<string, 'open' | 'done'>();
  const stack: Import[] = [];
  const found: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    for (const edge of edges.get(file) ?? []) {
      const seen = state.get(edge.target);
      if (seen === 'open') {
        const start = stack.findIndex((i) => i.file === edge.target);
        found.push([...stack.slice(start < 0 ? stack.length : start), edge].map(show).join(' → '));
      } else if (seen === undefined) {
        stack.push(edge);
        visit(edge.target);
        stack.pop();
      }
    }
    state.set(file, 'done');
  };
  for (const { file } of imports) if (!state.has(file)) visit(file);
  return found;
}

describe('the layering of src and bench', () => {
  it('reads the imports of every TypeScript file under src and bench', () => {
    expect(FILES.filter((f) => within(f, 'src/pipeline')).length).toBeGreaterThan(10);
    expect(IMPORTS.some((i) => within(i.file, 'src/model') && within(i.target, 'src/gpu'))).toBe(true);
    expect(IMPORTS.some((i) => within(i.file, 'src/gpu') && i.target.endsWith('.wgsl'))).toBe(true);
  });

  it('keeps each layer to the layers below it', () => {
    const broken = IMPORTS.filter((i) => {
      const layer = Object.keys(MAY_IMPORT).find((folder) => within(i.file, folder));
      return layer !== undefined && within(i.target, 'src') && !MAY_IMPORT[layer].some((folder) => within(i.target, folder));
    });
    expect(broken.map(show)).toEqual([]);
  });

  it('keeps the benchmarks and tests out of the product', () => {
    const broken = IMPORTS.filter((i) => within(i.file, 'src') && OUTSIDE_PRODUCT.some((folder) => within(i.target, folder)));
    expect(broken.map(show)).toEqual([]);
  });

  it('has no import cycles, type-only imports included', () => {
    expect(cycles(IMPORTS)).toEqual([]);
  });
});

describe('the rules themselves', () => {
  it('finds a cycle and names every import in it', () => {
    const edge = (file: string, target: string): Import => ({ file, specifier: `./${target}`, target });
    expect(cycles([edge('a', 'b'), edge('b', 'c'), edge('c', 'a'), edge('c', 'd')])).toEqual([
      "a imports './b' (b) → b imports './c' (c) → c imports './a' (a)",
    ]);
    expect(cycles([edge('a', 'b'), edge('b', 'c'), edge('a', 'c')])).toEqual([]);
  });
});
