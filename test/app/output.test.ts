import { chmodSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/app/cli/errors';
import { BrokenPipe, OutputError, discardOutputs, openOutput, writeAll, writtenSoFar, type Streams } from '../../src/app/cli/output';
import { checkOutput } from '../../src/app/cli/paths';

const dir = mkdtempSync(join(tmpdir(), 'netae-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stream that takes `room` bytes, then fails every write with `code`, as a full disk or a closed pipe does. */
function failing(code: string, room = 0): Writable {
  let used = 0;
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      used += chunk.length;
      if (used <= room) return done();
      done(Object.assign(new Error(`write ${code}`), { code }));
    },
  });
}

/** Streams whose standard output collects what is written, and whose files are real but fail with `code` after `room` bytes. */
function streams(options: { stdout?: Writable; fileFails?: string; room?: number } = {}): Streams & { text: () => string } {
  const parts: Buffer[] = [];
  const stdout = options.stdout ?? new Writable({
    write(chunk: Buffer, _encoding, done) {
      parts.push(chunk);
      done();
    },
  });
  return {
    stdout,
    file(path, mode) {
      writeFileSync(path, '', { mode });
      return options.fileFails ? failing(options.fileFails, options.room) : fakeFile(path);
    },
    device: (path) => fakeFile(path),
    text: () => Buffer.concat(parts).toString(),
  };
}

function fakeFile(path: string): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      writeFileSync(path, chunk, { flag: 'a' });
      done();
    },
  });
}

const leftovers = (name: string) => readdirSync(dir).filter((f) => f.startsWith(`${name}.`));

describe('outputs', () => {
  it('counts what went to standard output, for the message of an interrupted run', async () => {
    expect(writtenSoFar()).toBe('nothing was written');
    const s = streams();
    const out = openOutput('-', '--out', [], s);
    await out.write('row,score\n');
    await out.write('1,0.5\n');
    expect(s.text()).toBe('row,score\n1,0.5\n');
    expect(writtenSoFar()).toBe('16 bytes of an incomplete result went to standard output');
    out.discard();
  });

  it('says how much at least and at most went out while a write to standard output is under way (a slow reader)', async () => {
    const before = Number(/^([\d,]+) bytes/.exec(writtenSoFar())?.[1].replaceAll(',', '') ?? 0);
    const said = (least: number, most: number) => `${least === most ? '' : `between ${(before + least).toLocaleString('en-US')} and `}${(before + most).toLocaleString('en-US')} bytes of an incomplete result went to standard output`;
    const held: (() => void)[] = [];
    const slow = new Writable({
      highWaterMark: 1,
      write(_chunk: Buffer, _encoding, done) {
        held.push(done);
      },
    });
    const out = openOutput('-', '--out', [], streams({ stdout: slow }));
    const first = out.write('row,score\n');
    expect(writtenSoFar()).toBe(said(0, 10));
    held.shift()!();
    await first;
    expect(writtenSoFar()).toBe(said(10, 10));
    const second = out.write('1,0.5\n');
    expect(writtenSoFar()).toBe(said(10, 16));
    held.shift()!();
    await second;
    out.discard();
  });

  it('writes a file under a temporary name, renames it when complete, and keeps the mode of the file it replaces', async () => {
    const path = join(dir, 'kept.csv');
    writeFileSync(path, 'old\n', { mode: 0o600 });
    chmodSync(path, 0o640);
    const out = openOutput(path, '--out', [], streams());
    await out.write('new\n');
    expect(readFileSync(path, 'utf8')).toBe('old\n');
    expect(leftovers('kept.csv')).toHaveLength(1);
    await out.commit();
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(leftovers('kept.csv')).toEqual([]);
  });

  it('reports a full disk naming the file, and leaves neither a partial file nor a changed target', async () => {
    const path = join(dir, 'full.csv');
    writeFileSync(path, 'before\n');
    const out = openOutput(path, '--out', [], streams({ fileFails: 'ENOSPC', room: 4 }));
    await out.write('1234');
    const error = await out.write('5678').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputError);
    expect((error as Error).message).toBe(`cannot write ${path}: no space left on device`);
    await expect(out.commit()).rejects.toBe(error);
    discardOutputs();
    expect(leftovers('full.csv')).toEqual([]);
    expect(readFileSync(path, 'utf8')).toBe('before\n');
  });

  it('tells a reader that went away (EPIPE) from a failed standard output', async () => {
    const pipe = openOutput('-', '--out', [], streams({ stdout: failing('EPIPE') }));
    await expect(pipe.write('x')).rejects.toBeInstanceOf(BrokenPipe);
    const full = openOutput('-', '--out', [], streams({ stdout: failing('ENOSPC') }));
    await expect(full.write('x')).rejects.toThrow('cannot write standard output: no space left on device');
    pipe.discard();
    full.discard();
  });

  it('writes in place what is not a regular file, such as /dev/null', async () => {
    expect(checkOutput('/dev/null', '--out', [])).toEqual({ kind: 'device', path: '/dev/null' });
    await writeAll(openOutput('/dev/null', '--out'), 'gone\n');
  });
});

describe('output paths, checked before any work', () => {
  const usage = (run: () => unknown): string => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      return (error as Error).message;
    }
    throw new Error('no error');
  };

  it('refuses an empty path, a folder, a missing folder and a read-only file', () => {
    expect(usage(() => checkOutput('', '--out', []))).toBe('--out is empty: name a file to write');
    expect(usage(() => checkOutput(dir, '--out', []))).toBe(`cannot write ${dir}: a folder, not a file (--out)`);
    expect(usage(() => checkOutput(`${dir}/`, '--json', []))).toMatch(/names a folder; name a file in it \(--json\)$/);
    expect(usage(() => checkOutput(join(dir, 'nodir', 'm.st'), '--out', []))).toBe(`cannot write ${join(dir, 'nodir', 'm.st')}: no such folder ${join(dir, 'nodir')} (--out)`);
    const locked = join(dir, 'locked.csv');
    writeFileSync(locked, 'keep\n');
    chmodSync(locked, 0o444);
    expect(usage(() => checkOutput(locked, '--out', []))).toBe(`cannot write ${locked}: the file is read-only (mode 444) (--out)`);
  });

  it('refuses to replace an input, by path or by inode', () => {
    const data = join(dir, 'data.csv');
    const linked = join(dir, 'sub', 'same.csv');
    writeFileSync(data, 'a\n1\n');
    mkdirSync(join(dir, 'sub'));
    linkSync(data, linked);
    const inputs = [{ flag: '--data', path: data }];
    expect(usage(() => checkOutput(data, '--out', inputs))).toMatch(/it is the --data input, and netae does not overwrite what it reads/);
    expect(usage(() => checkOutput(linked, '--out', inputs))).toMatch(/it is the same file as the --data input .*data\.csv/);
    expect(checkOutput(join(dir, 'other.csv'), '--out', inputs)).toMatchObject({ kind: 'file', mode: undefined });
  });

  it('writes through a link to no file yet, as a shell does, and refuses a loop of links', async () => {
    mkdirSync(join(dir, 'real'));
    symlinkSync('real/none.csv', join(dir, 'dangling.csv'));
    symlinkSync('dangling.csv', join(dir, 'twice.csv'));
    for (const link of ['dangling.csv', 'twice.csv']) {
      expect(checkOutput(join(dir, link), '--out', [])).toMatchObject({ kind: 'file', path: join(dir, 'real', 'none.csv') });
    }
    await writeAll(openOutput(join(dir, 'twice.csv'), '--out', [], streams()), 'x\n');
    expect(readFileSync(join(dir, 'real', 'none.csv'), 'utf8')).toBe('x\n');
    expect(lstatSync(join(dir, 'dangling.csv')).isSymbolicLink()).toBe(true);
    symlinkSync('loop-b', join(dir, 'loop-a'));
    symlinkSync('loop-a', join(dir, 'loop-b'));
    expect(usage(() => checkOutput(join(dir, 'loop-a'), '--out', []))).toBe(`cannot write ${join(dir, 'loop-a')}: a loop of symbolic links, or more than 40 in a row (--out)`);
  });
});
