import { spawn } from 'node:child_process';
import { closeSync, createReadStream, createWriteStream, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { defaultThreads } from '../src/pipeline/decode-pool-node';
import { sampleLogs } from '../src/synthetic/sample';
import { BENCH_BUNDLE } from './bundles';
import { RATIO_MEASURES, type Described, type Row, type RssTimeline } from './report';
import type { PartResult, ScorePart } from './score-parts';

/** NSL-KDD's folder: `NETAE_NSL_KDD` (relative to the working folder), else `../shared/data/nsl-kdd` from it. */
const NSL_KDD = process.env.NETAE_NSL_KDD
  ? resolve(process.env.NETAE_NSL_KDD)
  : resolve(process.cwd(), '..', 'shared', 'data', 'nsl-kdd');

export interface Workload {
  name: string;
  /** Why this workload was chosen: where NSL-KDD was found, or why it was not used. */
  source: string;
  train: string[];
  records: string;
}

/**
 * NSL-KDD where it is at hand, else the bundled synthetic traffic (written to `dir`); the synthetic
 * traffic whatever is at hand when NETAE_BENCH_WORKLOAD is `synthetic`, and written as IoT-23 writes
 * its conn.log.labeled when it is `iot23`. Says on stderr which, and why.
 */
export function workload(dir: string): Workload {
  const w = chooseWorkload(dir);
  console.warn(`workload: ${w.name}: ${w.source}`);
  return w;
}

function chooseWorkload(dir: string): Workload {
  if (process.env.NETAE_BENCH_WORKLOAD === 'iot23') {
    const logs = sampleLogs();
    writeFileSync(join(dir, 'train.conn.log.labeled'), asIot23(logs.train));
    return {
      name: "synthetic conn.log as IoT-23's conn.log.labeled (the sample test log repeated)",
      source: 'NETAE_BENCH_WORKLOAD=iot23',
      train: ['--data', join(dir, 'train.conn.log.labeled'), '--preset', 'zeek-conn'],
      records: asIot23(logs.test),
    };
  }
  const from = process.env.NETAE_NSL_KDD ? 'NETAE_NSL_KDD' : 'the default folder, NETAE_NSL_KDD unset';
  const present = ['KDDTrain+.txt', 'KDDTest+.txt'].filter((f) => existsSync(join(NSL_KDD, f)));
  if (process.env.NETAE_BENCH_WORKLOAD !== 'synthetic' && present.length === 2) {
    return {
      name: 'NSL-KDD (KDDTest+ repeated)',
      source: `KDDTrain+.txt and KDDTest+.txt found in ${NSL_KDD} (${from})`,
      train: ['--data', join(NSL_KDD, 'KDDTrain+.txt'), '--preset', 'nsl-kdd'],
      records: readFileSync(join(NSL_KDD, 'KDDTest+.txt'), 'utf8'),
    };
  }
  const source = process.env.NETAE_BENCH_WORKLOAD === 'synthetic'
    ? 'NETAE_BENCH_WORKLOAD=synthetic'
    : `NSL-KDD not found: no ${['KDDTrain+.txt', 'KDDTest+.txt'].filter((f) => !present.includes(f)).join(' or ')} in ${NSL_KDD} (${from})`;
  const logs = sampleLogs();
  writeFileSync(join(dir, 'train.conn.log'), logs.train);
  return {
    name: 'synthetic conn.log (the sample test log repeated)',
    source,
    train: ['--data', join(dir, 'train.conn.log'), '--preset', 'zeek-conn'],
    records: logs.test,
  };
}

/**
 * A synthetic conn.log as IoT-23 writes its conn.log.labeled: `tunnel_parents`, the label (Benign
 * or Malicious) and the attack as its detailed label last, the three apart by three spaces.
 */
function asIot23(log: string): string {
  return log.split('\n').map((line) => {
    if (line.startsWith('#fields')) return line.replace(/\tlabel$/, '\ttunnel_parents   label   detailed-label');
    if (line.startsWith('#types')) return line.replace(/\tstring$/, '\tset[string]   string   string');
    if (line === '' || line.startsWith('#')) return line;
    return line.replace(/\t([^\t]*)$/, (_, label: string) => `\t(empty)   ${label === 'normal' ? 'Benign   -' : `Malicious   ${label}`}`);
  }).join('\n');
}

/** Writes `text`'s data lines again and again until the file reaches `bytes`; returns its rows. */
function repeatTo(path: string, text: string, bytes: number): number {
  const lines = text.trimEnd().split('\n');
  const head = lines.filter((l) => l.startsWith('#') && !l.startsWith('#close'));
  const body = `${lines.filter((l) => !l.startsWith('#')).join('\n')}\n`;
  const rowsPerCopy = lines.length - head.length - lines.filter((l) => l.startsWith('#close')).length;
  const fd = openSync(path, 'w');
  try {
    if (head.length) writeSync(fd, `${head.join('\n')}\n`);
    let written = 0;
    let rows = 0;
    while (written < bytes) {
      written += writeSync(fd, body);
      rows += rowsPerCopy;
    }
    return rows;
  } finally {
    closeSync(fd);
  }
}

export interface Run {
  code: number | null;
  peakKb: number;
  /** User and system CPU time of all the process's threads, start-up included, as last polled before it ended. */
  cpuSeconds: number;
  seconds: number;
  stdout: string;
  stderr: string;
  /** Resident memory (VmRSS) as polled: milliseconds since the start, and MB. */
  rss: [number, number][];
}

/** Clock ticks a second in /proc/PID/stat: USER_HZ, 100 on Linux. */
const TICKS = 100;

/** Runs `node script args` (the netae bundle, or the bench's), polling its peak resident memory (VmHWM), its resident memory and its CPU time. */
export function runNode(script: string, args: string[], stdout: 'pipe' | number = 'pipe'): Promise<Run> {
  return new Promise((done, fail) => {
    const start = performance.now();
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', stdout, 'pipe'] });
    let out = '';
    let stderr = '';
    let peakKb = 0;
    let cpuSeconds = 0;
    const rss: [number, number][] = [];
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (stderr += d));
    const poll = setInterval(() => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
        if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
        const resident = /VmRSS:\s+(\d+) kB/.exec(status);
        if (resident) rss.push([Math.round(performance.now() - start), Math.round(Number(resident[1]) / 1024)]);
        const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
        const [utime, stime] = stat.slice(stat.lastIndexOf(')') + 2).split(' ').slice(11, 13).map(Number);
        if (Number.isFinite(utime + stime)) cpuSeconds = Math.max(cpuSeconds, (utime + stime) / TICKS);
      } catch {
        /* the process has just ended */
      }
    }, 100);
    child.on('error', fail);
    child.on('close', (code) => {
      clearInterval(poll);
      done({ code, peakKb, cpuSeconds, seconds: (performance.now() - start) / 1000, stdout: out, stderr, rss });
    });
  });
}

function row(measure: string, threads: number | 'default', result: PartResult, peakKb: number | null): Row {
  return {
    measure,
    threads,
    rows: result.rows,
    seconds: result.seconds,
    'rows/s': result.rows / result.seconds,
    'MB/s': result.bytes / 1e6 / result.seconds,
    'peak RSS MB': peakKb === null ? '—' : Math.round(peakKb / 1024),
    'CPU µs/row': result.cpuSeconds === undefined ? '—' : (result.cpuSeconds * 1e6) / result.rows,
    ratio: '—',
  };
}

/** A row that compares two others: its figure is in `ratio`, the others are empty. */
function ratioRow(measure: string, threads: Row[string], rows: number, ratio: number): Row {
  return { measure, threads, rows, seconds: '—', 'rows/s': '—', 'MB/s': '—', 'peak RSS MB': '—', 'CPU µs/row': '—', ratio };
}

/**
 * `netae train` on the big file, one epoch: with its defaults (the features fitted on a table of
 * 200,000 rows, the training rows read again); with the whole 1,000,000-row sample held as the
 * table, as a file larger than --fit-rows was read before; and with no rows held out, the
 * threshold set on every training row.
 */
const TRAIN_FLAGS = [[], ['--fit-rows', '1000000'], ['--validation', '0']];

/** The analysts' outputs measured beside the plain command: JSON lines, explanations of the flagged rows, of every row. */
const ANALYST_FLAGS = [['--format', 'jsonl'], ['--only-flagged', '--explain', '3'], ['--explain', '3']];

/**
 * The groups of measures, each of which `NETAE_SCORE_CLI_MEASURES` (a comma-separated list; all when
 * unset) can choose: `kernels` (the scoring kernels alone, dense and packed), `one-thread` and
 * `all-cores` (decode, decode+score and the command on 1 thread and on all cores), `default` (the
 * command at its default threads), `gzip`, `analyst` (ANALYST_FLAGS), `eval`, `train` (`netae train`
 * with its defaults) and `train-variants` (the other TRAIN_FLAGS).
 */
export const MEASURE_GROUPS = ['kernels', 'one-thread', 'all-cores', 'default', 'gzip', 'analyst', 'eval', 'train', 'train-variants'] as const;
export type MeasureGroup = (typeof MEASURE_GROUPS)[number];

/** The groups `NETAE_SCORE_CLI_MEASURES` names, all of them when it is unset or empty; a name not in MEASURE_GROUPS is an error. */
export function chosenGroups(value = process.env.NETAE_SCORE_CLI_MEASURES): Set<MeasureGroup> {
  if (value === undefined || value.trim() === '') return new Set(MEASURE_GROUPS);
  const names = value.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const unknown = names.filter((n) => !(MEASURE_GROUPS as readonly string[]).includes(n));
  if (unknown.length) throw new Error(`NETAE_SCORE_CLI_MEASURES: unknown ${unknown.join(', ')}; choose from ${MEASURE_GROUPS.join(', ')}`);
  return new Set(names as MeasureGroup[]);
}

/**
 * `netae score` end to end and in parts: a model trained on the workload's training file scores a
 * CSV of its test records repeated to 2 GB (200 MB with `quick`). For 1 decoding thread and for
 * all cores: the decoding alone, decoding and scoring (no output), and the whole command with its
 * output to /dev/null; and the scoring kernels alone on rows in memory, dense and packed (expanded
 * on the GPU first). Rows/s, MB/s of input,
 * peak RSS, CPU time a row of all the process's threads (a CPU adapter's included; the command's
 * with its start-up); and the whole command's rate over the kernels' rate measured in the same
 * run, beside the kernels' CPU time a row over the command's: where the kernels alone keep every
 * core busy (a CPU adapter's threads do), the first cannot exceed the second. Then, on a machine
 * of more than one core, the command at its default threads (no `--threads`), and on all cores
 * the command on the same records gzipped (level 1; MB/s of the text inflated) and with each of
 * ANALYST_FLAGS; `netae eval` on the file; and `netae train`
 * on the same file with each of TRAIN_FLAGS: rows read a second, peak RSS and RSS over time.
 * `NETAE_SCORE_CLI_MEASURES` chooses among these (MEASURE_GROUPS).
 */
export async function benchScoreCli(quick: boolean, cli: string): Promise<Described> {
  const groups = chosenGroups();
  const dir = mkdtempSync(join(tmpdir(), 'netae-score-cli-'));
  try {
    const w = workload(dir);
    const notes = [`workload: ${w.name}: ${w.source}`];
    if (groups.size < MEASURE_GROUPS.length) notes.push(`measures: ${[...groups].join(', ')} (NETAE_SCORE_CLI_MEASURES)`);
    const model = join(dir, 'model.safetensors');
    const trained = await runNode(cli, ['train', ...w.train, '--out', model, '--epochs', '2', '--json']);
    if (trained.code !== 0) throw new Error(`netae train failed: ${trained.stderr}`);
    const input = join(dir, 'records.csv');
    const rows = repeatTo(input, w.records, (quick ? 0.2 : 2) * 1024 ** 3);
    const bytes = statSync(input).size;
    const all = availableParallelism();
    const timelines: RssTimeline[] = [];
    const part = async (name: ScorePart, threads: number): Promise<Row> => {
      const run = await runNode(BENCH_BUNDLE, ['score-part', name, model, input, String(threads)]);
      if (run.code !== 0) throw new Error(`bench score-part ${name} failed: ${run.stderr}`);
      return row(name, threads, JSON.parse(run.stdout.trim().split('\n').at(-1)!) as PartResult, run.peakKb);
    };
    const command = async (threads: number | 'default', flags: string[] = [], data = input): Promise<Row> => {
      const devNull = openSync('/dev/null', 'w');
      try {
        const threadFlags = threads === 'default' ? [] : ['--threads', String(threads)];
        const run = await runNode(cli, ['score', '--model', model, '--data', data, '--out', '-', '--quiet', ...threadFlags, ...flags], devNull);
        if (run.code !== 0) throw new Error(`netae score ${flags.join(' ')} failed: ${run.stderr}`);
        const measure = ['netae score', ...flags, ...(data === input ? [] : ['(gzip input)'])].join(' ');
        return row(measure, threads, { rows, seconds: run.seconds, bytes, cpuSeconds: run.cpuSeconds }, run.peakKb);
      } finally {
        closeSync(devNull);
      }
    };
    const kernels = groups.has('kernels') ? [await part('kernel', 1), await part('kernel+expand', 1)] : [];
    const results: Row[] = [];
    const threadCounts = [...(groups.has('one-thread') ? [1] : []), ...(groups.has('all-cores') && all > 1 ? [all] : [])];
    for (const threads of threadCounts) {
      results.push(await part('decode', threads), await part('decode+score', threads), await command(threads));
    }
    const whole = results.filter((r) => r.measure === 'netae score').at(-1);
    if (groups.has('default') && all > 1) results.push(await command('default'));
    if (groups.has('gzip')) {
      const gzipped = `${input}.gz`;
      await pipeline(createReadStream(input), createGzip({ level: 1 }), createWriteStream(gzipped));
      results.push(await command(all, [], gzipped));
      rmSync(gzipped);
    }
    if (groups.has('analyst')) for (const flags of ANALYST_FLAGS) results.push(await command(all, flags));
    if (groups.has('eval')) {
      const devNull = openSync('/dev/null', 'w');
      try {
        const evaluated = await runNode(cli, ['eval', '--model', model, '--data', input], devNull);
        if (evaluated.code !== 0) throw new Error(`netae eval failed: ${evaluated.stderr}`);
        results.push(row('netae eval', defaultThreads(), { rows, seconds: evaluated.seconds, bytes, cpuSeconds: evaluated.cpuSeconds }, evaluated.peakKb));
      } finally {
        closeSync(devNull);
      }
    }
    const trainFlags = [...(groups.has('train') ? [TRAIN_FLAGS[0]] : []), ...(groups.has('train-variants') ? TRAIN_FLAGS.slice(1) : [])];
    for (const flags of trainFlags) {
      const out = join(dir, 'big.safetensors');
      rmSync(out, { force: true });
      const run = await runNode(cli, ['train', '--data', input, ...w.train.slice(2), '--epochs', '1', '--out', out, '--json', ...flags]);
      if (run.code !== 0) throw new Error(`netae train ${flags.join(' ')} failed: ${run.stderr}`);
      const measure = ['netae train --epochs 1', ...flags].join(' ');
      results.push(row(measure, defaultThreads(), { rows, seconds: run.seconds, bytes, cpuSeconds: run.cpuSeconds }, run.peakKb));
      timelines.push({ measure, rss: run.rss });
    }
    const [kernel, expanded] = kernels;
    const ratios = kernel && whole
      ? [
        ratioRow(RATIO_MEASURES[0], whole.threads, rows, Number(whole['rows/s']) / Number(kernel['rows/s'])),
        ratioRow(RATIO_MEASURES[1], whole.threads, rows, Number(kernel['CPU µs/row']) / Number(whole['CPU µs/row'])),
      ]
      : [];
    const measured = [
      ...results,
      ...kernels.map((k) => ({ ...k, threads: '—', 'MB/s': '—' })),
      ...ratios,
    ];
    return {
      rows: measured.map((r) => ({ workload: w.name, 'input MB': Math.round(bytes / 1024 ** 2), ...r })),
      notes,
      timelines,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
