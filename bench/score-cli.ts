import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sampleLogs } from '../src/pipeline';
import type { Row } from './report';

const NSL_KDD = process.env.NETAE_NSL_KDD ?? resolve(process.cwd(), '..', 'shared', 'data', 'nsl-kdd');

export interface Workload {
  name: string;
  train: string[];
  records: string;
}

/** NSL-KDD where it is at hand, else the bundled synthetic traffic (written to `dir`). */
export function workload(dir: string): Workload {
  if (existsSync(join(NSL_KDD, 'KDDTrain+.txt'))) {
    return {
      name: 'NSL-KDD (KDDTest+ repeated)',
      train: ['--data', join(NSL_KDD, 'KDDTrain+.txt'), '--preset', 'nsl-kdd'],
      records: readFileSync(join(NSL_KDD, 'KDDTest+.txt'), 'utf8'),
    };
  }
  const logs = sampleLogs();
  writeFileSync(join(dir, 'train.conn.log'), logs.train);
  return {
    name: 'synthetic conn.log (the sample test log repeated)',
    train: ['--data', join(dir, 'train.conn.log'), '--preset', 'zeek-conn'],
    records: logs.test,
  };
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

export function runNetae(cli: string, args: string[], stdout: 'ignore' | number = 'ignore'): Promise<{ code: number | null; peakKb: number; seconds: number; stderr: string }> {
  return new Promise((done, fail) => {
    const start = performance.now();
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', stdout, 'pipe'] });
    let stderr = '';
    let peakKb = 0;
    child.stderr?.on('data', (d) => (stderr += d));
    const poll = setInterval(() => {
      try {
        const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
      } catch {
        /* the process has just ended */
      }
    }, 100);
    child.on('error', fail);
    child.on('close', (code) => {
      clearInterval(poll);
      done({ code, peakKb, seconds: (performance.now() - start) / 1000, stderr });
    });
  });
}

/**
 * `netae score` end to end: a model trained on the workload's training file scores a CSV of its
 * test records repeated to 2 GB (200 MB with `quick`), output to /dev/null. Rows/s and peak RSS.
 */
export async function benchScoreCli(quick: boolean, cli: string): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'netae-score-cli-'));
  try {
    const w = workload(dir);
    const model = join(dir, 'model.safetensors');
    const trained = await runNetae(cli, ['train', ...w.train, '--out', model, '--epochs', '2', '--json']);
    if (trained.code !== 0) throw new Error(`netae train failed: ${trained.stderr}`);
    const input = join(dir, 'records.csv');
    const rows = repeatTo(input, w.records, (quick ? 0.2 : 2) * 1024 ** 3);
    const devNull = openSync('/dev/null', 'w');
    try {
      const scored = await runNetae(cli, ['score', '--model', model, '--data', input, '--out', '-', '--quiet'], devNull);
      if (scored.code !== 0) throw new Error(`netae score failed: ${scored.stderr}`);
      return [{
        workload: w.name,
        'input MB': Math.round(statSync(input).size / 1024 ** 2),
        rows,
        seconds: scored.seconds,
        'rows/s': rows / scored.seconds,
        'peak RSS MB': Math.round(scored.peakKb / 1024),
      }];
    } finally {
      closeSync(devNull);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
