/**
 * Mutation check: applies small, deliberate faults to a scratch copy of the repository and
 * expects the tests that name what was broken to fail. Each mutation is a plain text
 * replacement in one source file; the copy is made from the files git tracks (and untracked
 * files it does not ignore), so the working tree is never touched.
 *
 *   npx tsx scripts/mutations.ts                 every mutation
 *   npx tsx scripts/mutations.ts adam-sign ...   the named ones
 *   npx tsx scripts/mutations.ts --list          their names and files
 *   npx tsx scripts/mutations.ts --full NAME…    every failing test, not only the first
 *
 * It prints, per mutation, whether the tests caught it, which tests failed, and how long the
 * run took; it exits 1 when any mutation survives (or the unmutated tests fail).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Mutation {
  readonly name: string;
  readonly what: string;
  readonly file: string;
  readonly find: string;
  readonly replace: string;
  /** Test files (node project) expected to fail. */
  readonly tests: readonly string[];
}

const TRAINING = ['test/model/trainer.test.ts', 'test/model/torch-adam.test.ts'];
const KERNELS = ['test/gpu/kernels.test.ts', 'test/gpu/gradients.test.ts'];
const FUSED = ['test/gpu/fused.test.ts'];

const MUTATIONS: readonly Mutation[] = [
  {
    name: 'restore-off',
    what: 'trainer: the best epoch\'s parameters are never restored',
    file: 'src/model/trainer.ts',
    find: 'if (bestEpoch > 0 && bestEpoch !== history.length) copyBuffer(',
    replace: 'if (false) copyBuffer(',
    tests: ['test/model/trainer.test.ts'],
  },
  {
    name: 'fused-batch-0',
    what: 'fused training: every step on the epoch\'s first batch',
    file: 'src/model/training-plan.ts',
    find: 'table.set([s * batch,',
    replace: 'table.set([0,',
    tests: TRAINING,
  },
  {
    name: 'fused-2-batches',
    what: 'fused training: steps cycle over the first two batches',
    file: 'src/model/training-plan.ts',
    find: 'table.set([s * batch,',
    replace: 'table.set([(s % 2) * batch,',
    tests: TRAINING,
  },
  {
    name: 'layered-batch-0',
    what: 'per-layer training: every step on the epoch\'s first batch',
    file: 'src/model/training-plan.ts',
    find: 'step.offsets(s * slot * BYTES,',
    replace: 'step.offsets(0,',
    tests: TRAINING,
  },
  {
    name: 'layered-2-batches',
    what: 'per-layer training: steps cycle over the first two batches',
    file: 'src/model/training-plan.ts',
    find: 'step.offsets(s * slot * BYTES,',
    replace: 'step.offsets((s % 2) * slot * BYTES,',
    tests: TRAINING,
  },
  {
    name: 'mse-dz-0.75',
    what: 'mse.wgsl: dZ scaled by 0.75',
    file: 'src/shaders/mse.wgsl',
    find: '= scale * d * activate_grad(y, ACT);',
    replace: '= 0.75 * scale * d * activate_grad(y, ACT);',
    tests: [...KERNELS, ...TRAINING],
  },
  {
    name: 'mse-dz-half',
    what: 'mse.wgsl: dZ halved',
    file: 'src/shaders/mse.wgsl',
    find: '= scale * d * activate_grad(y, ACT);',
    replace: '= 0.5 * scale * d * activate_grad(y, ACT);',
    tests: [...KERNELS, ...TRAINING],
  },
  {
    name: 'mse-dz-0.1%',
    what: 'mse.wgsl: dZ off by 0.1 %',
    file: 'src/shaders/mse.wgsl',
    find: '= scale * d * activate_grad(y, ACT);',
    replace: '= 1.001 * scale * d * activate_grad(y, ACT);',
    tests: KERNELS,
  },
  {
    name: 'fused-dz-half',
    what: 'fused.wgsl: dZ of the last layer halved',
    file: 'src/shaders/fused.wgsl',
    find: 'acts[at] = scale * d * activate_grad4(y, last.act);',
    replace: 'acts[at] = 0.5 * scale * d * activate_grad4(y, last.act);',
    tests: [...FUSED, ...TRAINING],
  },
  {
    name: 'fused-dz-0.1%',
    what: 'fused.wgsl: dZ of the last layer off by 0.1 %',
    file: 'src/shaders/fused.wgsl',
    find: 'acts[at] = scale * d * activate_grad4(y, last.act);',
    replace: 'acts[at] = 1.001 * scale * d * activate_grad4(y, last.act);',
    tests: FUSED,
  },
  {
    name: 'staged-k-tail',
    what: 'gemm-tiled.wgsl: the staged loads take one element past K in the last slice',
    file: 'src/shaders/gemm-tiled.wgsl',
    find: 'vec4<u32>(k0) + slot.k < vec4<u32>(g.K)',
    replace: 'vec4<u32>(k0) + slot.k <= vec4<u32>(g.K)',
    tests: ['test/gpu/gemm.test.ts', 'test/gpu/gradients.test.ts'],
  },
  {
    name: 'gemm-bound',
    what: 'gemm.wgsl: the forward\'s output bound lets the last row through',
    file: 'src/shaders/gemm.wgsl',
    find: 'if (m < g.M && n < g.N) {\n        C[g.c_off + m * g.c_rs + n] = activate(',
    replace: 'if (m <= g.M && n < g.N) {\n        C[g.c_off + m * g.c_rs + n] = activate(',
    tests: ['test/gpu/gemm.test.ts', 'test/gpu/gradients.test.ts'],
  },
  {
    name: 'adam-sign',
    what: 'adam-rule.wgsl: the update\'s sign flipped',
    file: 'src/shaders/adam-rule.wgsl',
    find: 'return AdamState(s.theta - step_size * m / denom, m, v);',
    replace: 'return AdamState(s.theta + step_size * m / denom, m, v);',
    tests: ['test/gpu/kernels.test.ts', ...TRAINING],
  },
  {
    name: 'adam-decay-half',
    what: 'adam-rule.wgsl: weight decay halved',
    file: 'src/shaders/adam-rule.wgsl',
    find: 'let g = grad + r.weight_decay * s.theta;',
    replace: 'let g = grad + 0.5 * r.weight_decay * s.theta;',
    tests: ['test/gpu/kernels.test.ts', ...TRAINING],
  },
  {
    name: 'row-error-n',
    what: 'score.wgsl: the row error divided by N + 1',
    file: 'src/shaders/score.wgsl',
    find: 'scores[s.out_off + m] = sq / f32(s.N);',
    replace: 'scores[s.out_off + m] = sq / f32(s.N + 1u);',
    tests: ['test/gpu/kernels.test.ts', 'test/model/trainer.test.ts'],
  },
  {
    name: 'fused-score-n',
    what: 'fused.wgsl: the fused row error divided by F + 1',
    file: 'src/shaders/fused.wgsl',
    find: 'scored[net.out_off + b * ROWS + m] = sq / f32(f);',
    replace: 'scored[net.out_off + b * ROWS + m] = sq / f32(f + 1u);',
    tests: [...FUSED, 'test/model/scorer.test.ts', 'test/app/cli-options.test.ts'],
  },
  {
    name: 'sum-last',
    what: 'reduce.wgsl: the sum leaves out the last value',
    file: 'src/shaders/reduce.wgsl',
    find: 'if (i < r.n) {',
    replace: 'if (i + 1u < r.n) {',
    tests: ['test/gpu/kernels.test.ts', ...TRAINING],
  },
  {
    name: 'fused-db',
    what: 'fused.wgsl: the bias gradient leaves out the block\'s last row',
    file: 'src/shaders/fused.wgsl',
    find: 'for (var m = 0u; m < ROWS; m++) {\n      db += acts[layer.y_at + m * out4 + j];',
    replace: 'for (var m = 0u; m + 1u < ROWS; m++) {\n      db += acts[layer.y_at + m * out4 + j];',
    tests: FUSED,
  },
];

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function scratchCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'netae-mutations-'));
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    try {
      cpSync(join(ROOT, file), join(dir, file), { recursive: false });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

interface Outcome {
  readonly code: number | null;
  readonly seconds: number;
  readonly failed: string[];
}

/**
 * Runs the node project's vitest on `tests` in `dir`; the names of the tests that failed.
 * A mutant's run stops at its first failure (`bail`): one is enough to catch it.
 */
function runTests(dir: string, wanted: readonly string[], bail = false): Outcome {
  const tests = wanted.filter((t) => existsSync(join(dir, t)));
  const report = join(dir, 'vitest-report.json');
  rmSync(report, { force: true });
  const started = performance.now();
  const r = spawnSync('npx', ['vitest', 'run', '--project', 'node', '--reporter=json', `--outputFile=${report}`, ...(bail ? ['--bail=1'] : []), ...tests], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' }, maxBuffer: 1 << 28,
  });
  const seconds = (performance.now() - started) / 1000;
  const failed: string[] = [];
  try {
    const json = JSON.parse(readFileSync(report, 'utf8')) as { testResults: { name: string; assertionResults: { status: string; fullName: string }[] }[] };
    for (const file of json.testResults) {
      for (const t of file.assertionResults) if (t.status === 'failed') failed.push(`${file.name.replace(`${dir}/`, '')}: ${t.fullName}`);
    }
  } catch {
    failed.push(`(no report: ${r.stderr.split('\n').slice(-5).join(' ')})`);
  }
  return { code: r.status, seconds, failed };
}

const full = process.argv.includes('--full');
const args = process.argv.slice(2).filter((a) => a !== '--full');
if (args.includes('--list')) {
  for (const m of MUTATIONS) console.log(`${m.name.padEnd(18)} ${m.file.padEnd(30)} ${m.what}`);
  process.exit(0);
}
const chosen = args.length ? MUTATIONS.filter((m) => args.includes(m.name)) : MUTATIONS;
const unknown = args.filter((a) => !MUTATIONS.some((m) => m.name === a));
if (unknown.length) {
  console.error(`unknown mutation(s): ${unknown.join(', ')}; --list names them`);
  process.exit(2);
}

const dir = scratchCopy();
let survivors = 0;
try {
  const all = [...new Set(chosen.flatMap((m) => m.tests))];
  const baseline = runTests(dir, all);
  console.log(`unmutated: ${baseline.code === 0 ? 'pass' : 'FAIL'} (${baseline.seconds.toFixed(0)} s, ${all.length} files)`);
  if (baseline.code !== 0) {
    for (const f of baseline.failed) console.log(`  ${f}`);
    process.exit(1);
  }
  for (const m of chosen) {
    const path = join(dir, m.file);
    const original = readFileSync(path, 'utf8');
    const at = original.indexOf(m.find);
    if (at === -1 || original.indexOf(m.find, at + 1) !== -1) {
      console.log(`${m.name}: the text to replace is ${at === -1 ? 'not in' : 'more than once in'} ${m.file}; update the mutation`);
      survivors++;
      continue;
    }
    writeFileSync(path, original.replace(m.find, m.replace));
    const outcome = runTests(dir, m.tests, !full);
    writeFileSync(path, original);
    const caught = outcome.code !== 0 && outcome.failed.length > 0;
    if (!caught) survivors++;
    console.log(`${m.name}: ${caught ? 'caught' : 'SURVIVED'} (${outcome.seconds.toFixed(0)} s) — ${m.what}`);
    const shown = full ? outcome.failed : outcome.failed.slice(0, 8);
    for (const f of shown) console.log(`  ${f}`);
    if (outcome.failed.length > shown.length) console.log(`  … and ${outcome.failed.length - shown.length} more`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(survivors ? `${survivors} mutation(s) survived` : 'every mutation was caught');
process.exit(survivors ? 1 : 0);
