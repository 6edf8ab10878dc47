import { createWriteStream, renameSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';

/** Temporary files in progress; removed if the process is interrupted. */
const pending = new Set<string>();

function temporaryName(path: string): string {
  return `${path}.${process.pid}.tmp`;
}

/** Writes a whole file under a temporary name, then renames it into place. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = temporaryName(path);
  pending.add(tmp);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } finally {
    pending.delete(tmp);
    rmSync(tmp, { force: true });
  }
}

/** A file written as a stream: `commit` renames it into place, `discard` removes it. */
export interface AtomicStream {
  readonly stream: WriteStream;
  commit(): Promise<void>;
  discard(): void;
}

export function openAtomic(path: string): AtomicStream {
  const tmp = temporaryName(path);
  pending.add(tmp);
  const stream = createWriteStream(tmp);
  return {
    stream,
    async commit() {
      stream.end();
      await finished(stream);
      renameSync(tmp, path);
      pending.delete(tmp);
    },
    discard() {
      stream.destroy();
      rmSync(tmp, { force: true });
      pending.delete(tmp);
    },
  };
}

/** Removes every temporary file still being written (on Ctrl-C or a fatal error). */
export function removePending(): void {
  for (const tmp of pending) rmSync(tmp, { force: true });
  pending.clear();
}
