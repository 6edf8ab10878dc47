import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OutputError } from './output';
import { reason } from './paths';

/** A copy of standard input (or of a named pipe) on disk, and how to remove it. */
export interface Spool {
  readonly path: string;
  remove(): void;
}

/**
 * Copies a stream (standard input, or a named pipe: `what` says which) to a file in a new folder of the system's temporary folder
 * ($TMPDIR), so that a command that reads its data twice reads it as it reads a file. The folder
 * goes when `remove` is called or the process exits, however it exits (a signal included); a
 * copy that fails (a full disk) removes it and is an OutputError naming the folder.
 */
export async function spool(input: Readable, what = 'standard input'): Promise<Spool> {
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), 'netae-stdin-'));
  } catch (error) {
    throw new OutputError(`${tmpdir()}: no folder could be made there to hold ${what} (${reason(error)}); set TMPDIR to another folder`);
  }
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', removeDir);
  const remove = () => {
    process.off('exit', removeDir);
    removeDir();
  };
  const path = join(dir, 'stdin');
  try {
    await pipeline(input, createWriteStream(path));
  } catch (error) {
    remove();
    throw new OutputError(`${dir}: ${what} could not be copied there (${reason(error)}); set TMPDIR to a folder with room for it`);
  }
  return { path, remove };
}
