import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = `${ROOT}bin/netae.js`;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `netae` binary (or a shell line) and collects its output. */
export function run(args: string[] | string, options: { cwd?: string; input?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = typeof args === 'string'
      ? spawn('bash', ['-o', 'pipefail', '-c', args], { cwd: options.cwd ?? ROOT })
      : spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** netae's error lines on standard error: its notes and warnings are not errors. */
export function ourErrors(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('netae:') && !/^netae: (note|warning):/.test(line));
}

/** netae's notes and warnings on standard error. */
export function ourNotices(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /^netae: (note|warning):/.test(line));
}

/**
 * A scratch folder (named from `prefix`) holding `model.safetensors`, trained by `netae train` on
 * the bundled Zeek sample for `epochs` epochs: the model the CLI tests score with, and the training's JSON summary.
 */
export async function trainedOnSample(prefix: string, epochs: number, flags: string[] = []): Promise<{ dir: string; model: string; summary: string }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const model = join(dir, 'model.safetensors');
  const trained = await run(['train', '--data', `${ROOT}data/sample/train.conn.log`, '--preset', 'zeek-conn', '--out', model, '--epochs', String(epochs), '--json', ...flags]);
  if (trained.code !== 0) throw new Error(`netae train on the sample failed: ${trained.stderr}`);
  return { dir, model, summary: trained.stdout };
}
