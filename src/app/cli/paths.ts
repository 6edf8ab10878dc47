import { accessSync, constants, fstatSync, readFileSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './errors';

/** A file a command reads, with the flag that named it (`-` is standard input). */
export interface Input {
  readonly flag: string;
  readonly path: string;
}

/** Where an output goes once its path has been checked. */
export type Target =
  /** Standard output. */
  | { readonly kind: 'stdout' }
  /** A regular file, written under `temporary` and renamed to `path`; `mode` is kept from the file it replaces. */
  | { readonly kind: 'file'; readonly path: string; readonly temporary: string; readonly mode: number | undefined }
  /** Something that is not a regular file (a FIFO, /dev/null, a terminal): written in place. */
  | { readonly kind: 'device'; readonly path: string };

/** The reason an errno gives, in words. */
export function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOSPC': return 'no space left on device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EROFS': return 'read-only file system';
    case 'ENOENT': return 'no such file or folder';
    case 'ENOTDIR': return 'a part of the path is not a folder';
    case 'EISDIR': return 'a folder, not a file';
    case 'EIO': return 'input/output error';
    case 'EFBIG': return 'file too large';
    case 'EPIPE': return 'the reader went away';
    default: return error instanceof Error ? error.message : String(error);
  }
}

function statOrNull(path: string, loop?: () => Error): Stats | null {
  try {
    return statSync(path);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP' && loop) throw loop();
    throw error;
  }
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/**
 * Checks the files a command reads before it does any work: each exists and is a file, not
 * a folder. The message names the flag and the path (exit 1, as for any unreadable input).
 */
export function checkInputs(inputs: readonly Input[]): void {
  for (const { flag, path } of inputs) {
    if (path === '-') continue;
    if (path === '') throw new UsageError(`${flag} is empty: name a file`);
    let stats: Stats;
    try {
      stats = statSync(path);
    } catch (error) {
      throw new Error(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : reason(error)} (${flag})`);
    }
    if (stats.isDirectory()) throw new Error(`cannot read ${path}: a folder, not a file (${flag})`);
    try {
      accessSync(path, constants.R_OK);
    } catch (error) {
      throw new Error(`cannot read ${path}: ${reason(error)} (${flag})`);
    }
  }
}

/** The files of `inputs` that exist, with their stats, for telling whether an output would replace one. */
function inputStats(inputs: readonly Input[]): { input: Input; stats: Stats }[] {
  const found: { input: Input; stats: Stats }[] = [];
  for (const input of inputs) {
    if (input.path === '-' || input.path === '') continue;
    const stats = statOrNull(input.path);
    if (stats) found.push({ input, stats });
  }
  return found;
}

/**
 * Checks an output path before any work, so that a mistake costs nothing and never harms an
 * input: the path is not empty, not a folder, not (by path or by inode) one of the command's
 * inputs, and its folder exists and is writable. A file or folder whose mode grants no write
 * permission is refused even to root, who could write it: that mode says "keep". `-` is
 * standard output, which must be open and must not be an input either. Each failure is a
 * usage error (exit 2).
 */
export function checkOutput(path: string, flag: string, inputs: readonly Input[]): Target {
  const sources = inputStats(inputs);
  if (path === '-') {
    checkStandardOutput(sources);
    return { kind: 'stdout' };
  }
  if (path === '') throw new UsageError(`${flag} is empty: name a file to write`);
  const cannot = (why: string) => new UsageError(`cannot write ${path}: ${why} (${flag})`);
  if (path.endsWith('/')) throw cannot('names a folder; name a file in it');
  const existing = statOrNull(path, () => cannot(LINK_LOOP));
  for (const { input, stats } of sources) {
    if (resolve(input.path) === resolve(path) || (existing && sameFile(stats, existing))) {
      throw cannot(`it is ${input.path === path ? `the ${input.flag} input` : `the same file as the ${input.flag} input ${input.path}`}, and netae does not overwrite what it reads`);
    }
  }
  if (existing?.isDirectory()) throw cannot('a folder, not a file');
  if (existing && !existing.isFile()) return { kind: 'device', path };
  const real = existing ? realpathSync(path) : danglingTarget(path, cannot) ?? path;
  if (existing && (existing.mode & 0o222) === 0) throw cannot(`the file is read-only (mode ${(existing.mode & 0o777).toString(8)})`);
  const folder = dirname(real);
  const folderStats = statOrNull(folder);
  if (!folderStats) throw cannot(`no such folder ${folder}`);
  if (!folderStats.isDirectory()) throw cannot(`${folder} is not a folder`);
  if ((folderStats.mode & 0o222) === 0) throw cannot(`the folder ${folder} is read-only (mode ${(folderStats.mode & 0o777).toString(8)})`);
  try {
    accessSync(folder, constants.W_OK);
    if (existing) accessSync(real, constants.W_OK);
  } catch (error) {
    throw cannot(`${existing ? '' : `the folder ${folder}: `}${reason(error)}`);
  }
  return { kind: 'file', path: real, temporary: join(folder, `${basename(real)}.${process.pid}.tmp`), mode: existing ? existing.mode & 0o7777 : undefined };
}

/**
 * Where a symbolic link to no file yet leads, link by link: the file is written there, as a
 * shell's `>` writes it, and the link stays. Null for a path that is not a link.
 */
function danglingTarget(path: string, cannot: (why: string) => UsageError): string | null {
  let at = path;
  for (let hops = 0; hops <= MAX_LINKS; hops++) {
    let link: string;
    try {
      link = readlinkSync(at);
    } catch {
      return hops === 0 ? null : at;
    }
    at = resolve(dirname(at), link);
  }
  throw cannot(LINK_LOOP);
}

/** Links followed in a row at most, as Linux's own limit (ELOOP). */
const MAX_LINKS = 40;
const LINK_LOOP = `a loop of symbolic links, or more than ${MAX_LINKS} in a row`;

/** The access mode in Linux's `/proc/self/fdinfo` flags: read and write. */
const O_RDWR = 2;

/**
 * Whether standard output was closed when netae started (`>&-`). Node then opens /dev/null in
 * its place for reading and writing, where a shell's `> /dev/null` opens it for writing only;
 * so descriptor 1 on the null device with both says the results would go nowhere unasked.
 * Linux only (the flags come from /proc); elsewhere this says false.
 */
function standardOutputClosed(): boolean {
  try {
    const stdout = fstatSync(1);
    if (!stdout.isCharacterDevice() || stdout.rdev !== statSync('/dev/null').rdev) return false;
    const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync('/proc/self/fdinfo/1', 'utf8'));
    return flags !== null && (parseInt(flags[1], 8) & 3) === O_RDWR;
  } catch {
    return false;
  }
}

function checkStandardOutput(sources: readonly { input: Input; stats: Stats }[]): void {
  if (standardOutputClosed()) throw new Error('standard output is closed, so the results would be lost; redirect it (> /dev/null discards them)');
  let stdout: Stats;
  try {
    stdout = fstatSync(1);
  } catch {
    return;
  }
  if (!stdout.isFile()) return;
  for (const { input, stats } of sources) {
    if (sameFile(stats, stdout)) {
      throw new UsageError(`standard output is the ${input.flag} input ${input.path}; netae does not overwrite what it reads`);
    }
  }
}
