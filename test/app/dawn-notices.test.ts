import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withoutNotices } from '../../src/gpu/dawn-notices';
import { BIN, ROOT } from './run';

const NOTICES = [
  'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.',
  'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 500000 to 16 to fit dynamic offset allocation limit.',
];

/** Prints, as native code does, straight to descriptor 2 inside `withoutDawnNotices`, all on standard error. */
const SCRIPT = `
import * as fs from 'node:fs';
import { withoutDawnNotices } from './src/gpu/dawn-notices.ts';
const scratch = '/tmp/netae-dawn-test-' + process.pid;
process.stderr.write('before\\n');
const value = withoutDawnNotices(fs, process.platform, scratch, () => {
  fs.writeSync(2, ${JSON.stringify(`${NOTICES[0]}\n`)});
  fs.writeSync(2, 'Error: a real problem\\n');
  fs.writeSync(2, ${JSON.stringify(`${NOTICES[1]}\n`)});
  return 42;
});
process.stderr.write('after ' + value + (fs.existsSync(scratch) ? ', scratch left' : '') + '\\n');
`;

const dir = mkdtempSync(join(tmpdir(), 'netae-notices-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A shell line's standard output and exit status (the shell gives the command real pipes, as a terminal user has). */
function shell(line: string, ...args: string[]): { stdout: string; status: number | null } {
  const child = spawnSync('bash', ['-o', 'pipefail', '-c', line, 'bash', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { stdout: child.stdout, status: child.status };
}

describe("Dawn's adapter-limit notices", () => {
  it('are taken out of what native code prints while the adapter is found; other lines stay, in order', () => {
    const piped = shell('node --import tsx --input-type=module -e "$1" 2>&1 >/dev/null | cat', SCRIPT);
    expect(piped.status).toBe(0);
    expect(piped.stdout).toBe('before\nError: a real problem\nafter 42\n');
  });

  it('stay when standard error is a regular file, which standard output may share', () => {
    const log = join(dir, 'log.txt');
    expect(shell('node --import tsx --input-type=module -e "$1" > "$2" 2>&1', SCRIPT, log).status).toBe(0);
    expect(readFileSync(log, 'utf8')).toBe(`before\n${NOTICES[0]}\nError: a real problem\n${NOTICES[1]}\nafter 42\n`);
    expect(withoutNotices(`${NOTICES.join('\n')}\nkept\n`)).toBe('kept\n');
    expect(withoutNotices(`${NOTICES[0]}\n`)).toBe('');
  });

  it('never reach a terminal user or a pipeline from a netae command', () => {
    const info = shell('node "$1" info 2>&1 >/dev/null | cat', BIN);
    expect(info.status).toBe(0);
    expect(info.stdout).toBe('');
  });
});
