import { mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { charts } from './charts';
import { adapterSlug } from './machine';
import { toMarkdown, toReadmeSection } from './markdown';
import { writeWhole } from './report';
import type { SuiteResults } from './suite';

function renderings(results: SuiteResults, base: string): [string, string][] {
  return [
    [`${base}.md`, toMarkdown(results)],
    ...Object.entries(charts(results)).map(([name, svg]): [string, string] => [`${base}-${name}.svg`, svg]),
  ];
}

async function writeFiles(files: readonly [string, string][]): Promise<string[]> {
  for (const [file, text] of files) await writeWhole(file, text);
  return files.map(([file]) => file);
}

/** `<adapter>-<date>[-quick]` .json, .md and -train|-score|-gemm.svg under `dir`; returns the paths. */
export function saveSuite(results: SuiteResults, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${adapterSlug(results.machine)}-${results.date.slice(0, 10)}${results.quick ? '-quick' : ''}`);
  return writeFiles([[`${base}.json`, `${JSON.stringify(results, null, 2)}\n`], ...renderings(results, base)]);
}

/** The Markdown and charts of a saved run again, beside its JSON. */
export function renderSaved(jsonFile: string): Promise<string[]> {
  const results = JSON.parse(readFileSync(jsonFile, 'utf8')) as SuiteResults;
  if (results.schema !== 'netae-bench/1') throw new Error(`${jsonFile}: not a netae bench suite result`);
  return writeFiles(renderings(results, join(dirname(jsonFile), basename(jsonFile, '.json'))));
}

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

/** Replaces the README's part between the bench markers with a summary of a saved run. */
export async function updateReadme(jsonFile: string, readme: string): Promise<string> {
  const results = JSON.parse(readFileSync(jsonFile, 'utf8')) as SuiteResults;
  const text = readFileSync(readme, 'utf8');
  const [from, to] = [text.indexOf(START), text.indexOf(END)];
  if (from < 0 || to < from) throw new Error(`${readme} has no ${START} … ${END} block`);
  const base = join(dirname(jsonFile), basename(jsonFile, '.json'));
  const link = (file: string) => relative(dirname(readme), file).split('\\').join('/');
  const section = toReadmeSection(results, {
    markdown: link(`${base}.md`),
    charts: { training: link(`${base}-train.svg`), scoring: link(`${base}-score.svg`), GEMM: link(`${base}-gemm.svg`) },
  });
  await writeWhole(readme, `${text.slice(0, from + START.length)}\n${section}\n${text.slice(to)}`);
  return readme;
}
