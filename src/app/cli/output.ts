import { chmodSync, createWriteStream, openSync, renameSync, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { checkOutput, reason, type Input, type Target } from './paths';

/** Writing an output failed (a full disk, an I/O error): exit 1, with the output named. */
export class OutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputError';
  }
}

/** Whoever read standard output stopped reading (EPIPE): netae stops quietly, as `cat` does. */
export class BrokenPipe extends Error {
  constructor() {
    super('standard output was closed by its reader');
    this.name = 'BrokenPipe';
  }
}

/**
 * Where a command writes: a file or standard output. A file is written under a temporary
 * name in its folder and renamed into place by `commit`, keeping the mode of the file it
 * replaces, so that it is never seen half-written; `discard` removes the temporary file.
 * Every write waits until its bytes are handed to the system, and every failure (a full disk,
 * a reader that went away) rejects the write or commit in progress.
 */
export interface Output {
  /** The path, or "standard output". */
  readonly name: string;
  write(data: string | Uint8Array): Promise<void>;
  /** Waits for a file's writes, then puts it in place. */
  commit(): Promise<void>;
  /** Stops; a file's partial output is removed (what went to standard output stays gone). */
  discard(): void;
}

/** Streams for outputs; tests give failing ones. */
export interface Streams {
  readonly stdout: Writable;
  /** Creates a file with the given mode and opens it; the file exists when this returns, so that `discard` can remove it. */
  readonly file: (path: string, mode: number) => Writable;
  /** Opens what is not a regular file (a FIFO, a device) without waiting for it: a FIFO's open waits for a reader. */
  readonly device: (path: string) => Writable;
}

const NODE_STREAMS: Streams = {
  get stdout() {
    return process.stdout;
  },
  file: (path, mode) => createWriteStream(path, { fd: openSync(path, 'w', mode) }),
  device: (path) => createWriteStream(path),
};

/** Outputs not yet committed or discarded; standard outputs done with; files committed: for a message on exit. */
const open = new Set<Sink>();
const closed = new Set<Sink>();
const committed: string[] = [];

/**
 * Checks `path` (see `checkOutput`: exit 2 before any work when it cannot be written or would
 * replace one of `inputs`) and returns its output; `-` is standard output.
 */
export function openOutput(path: string, flag: string, inputs: readonly Input[] = [], streams: Streams = NODE_STREAMS): Output {
  return new Sink(checkOutput(path, flag, inputs), streams);
}

/** Standard output, checked to be open and not one of `inputs`. */
export function standardOutput(inputs: readonly Input[] = [], streams: Streams = NODE_STREAMS): Output {
  return openOutput('-', 'standard output', inputs, streams);
}

/** Writes the whole of `data` to an output and commits it. */
export async function writeAll(output: Output, data: string | Uint8Array): Promise<void> {
  await output.write(data);
  await output.commit();
}

/** Discards every output in progress, so that an error or a signal leaves no partial file. */
export function discardOutputs(): void {
  for (const sink of [...open]) sink.discard();
}

/** What netae has written so far, for the message of an interrupted run ("nothing was written"). */
export function writtenSoFar(): string {
  const parts = committed.map((path) => `${path} was written`);
  const incomplete = incompleteOutput();
  if (incomplete !== null) parts.push(incomplete);
  return parts.length ? parts.join('; ') : 'nothing was written';
}

/**
 * How much of a result went to standard output before its command failed or was stopped, or null
 * when none did: the bytes whose writes completed, and, where writes were still under way (a pipe
 * whose reader is slow takes part of one), the bytes handed to them as the most that went.
 */
export function incompleteOutput(): string | null {
  const sinks = [...open, ...closed].filter((s) => s.target.kind === 'stdout' && !s.committed);
  const bytes = sinks.reduce((n, s) => n + s.bytes, 0);
  const sent = sinks.reduce((n, s) => n + s.sent, 0);
  const count = (n: number) => n.toLocaleString('en-US');
  if (sent === 0) return null;
  return `${sent > bytes ? `between ${count(bytes)} and ${count(sent)}` : count(bytes)} bytes of an incomplete result went to standard output`;
}

class Sink implements Output {
  readonly name: string;
  /** Bytes whose writes completed. */
  bytes = 0;
  /** Bytes handed to the stream whose writes have not failed: written, or still being written. */
  sent = 0;
  private stream: Writable | null = null;
  private failure: Error | null = null;
  private state: 'open' | 'committed' | 'discarded' = 'open';

  get committed(): boolean {
    return this.state === 'committed';
  }

  constructor(readonly target: Target, private readonly streams: Streams) {
    this.name = target.kind === 'stdout' ? 'standard output' : target.path;
    open.add(this);
  }

  write(data: string | Uint8Array): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.state !== 'open') return Promise.reject(new OutputError(`${this.name}: written after it was closed`));
    let stream: Writable;
    try {
      stream = this.opened();
    } catch (error) {
      return Promise.reject(this.fail(error));
    }
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    this.sent += size;
    return new Promise((resolve, reject) => {
      stream.write(data, (error) => {
        if (error) {
          this.sent -= size;
          reject(this.fail(error));
          return;
        }
        this.bytes += size;
        resolve();
      });
    });
  }

  async commit(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.state !== 'open') throw new OutputError(`${this.name}: committed after it was closed`);
    let stream: Writable;
    try {
      stream = this.opened();
    } catch (error) {
      throw this.fail(error);
    }
    if (this.target.kind !== 'stdout') {
      stream.end();
      await finished(stream).catch((error: unknown) => {
        throw this.fail(error);
      });
    }
    if (this.failure) throw this.failure;
    if (this.target.kind === 'file') {
      const { path, temporary, mode } = this.target;
      try {
        if (mode !== undefined) chmodSync(temporary, mode);
        renameSync(temporary, path);
      } catch (error) {
        throw this.fail(error);
      }
      committed.push(path);
    }
    this.close('committed');
  }

  discard(): void {
    if (this.state !== 'open') return;
    this.close('discarded');
    if (this.target.kind === 'stdout') return;
    this.stream?.destroy();
    if (this.target.kind === 'file') rmSync(this.target.temporary, { force: true });
  }

  private close(state: 'committed' | 'discarded'): void {
    this.state = state;
    open.delete(this);
    if (this.target.kind === 'stdout') closed.add(this);
  }

  /** The stream, opened at the first write: a file's temporary file is made only when written. */
  private opened(): Writable {
    if (this.stream) return this.stream;
    const t = this.target;
    const stream = t.kind === 'stdout' ? this.streams.stdout
      : t.kind === 'file' ? this.streams.file(t.temporary, t.mode ?? 0o666)
        : this.streams.device(t.path);
    stream.on('error', (error) => this.fail(error));
    this.stream = stream;
    return stream;
  }

  /** Records the first failure, as the error to report, and returns it. */
  private fail(error: unknown): Error {
    if (this.failure) return this.failure;
    const code = (error as NodeJS.ErrnoException | null)?.code;
    if (this.state === 'discarded') {
      this.failure = new OutputError(`${this.name}: discarded`);
    } else if (this.target.kind === 'stdout' && code === 'EPIPE') {
      this.failure = new BrokenPipe();
    } else {
      this.failure = new OutputError(`cannot write ${this.name}: ${reason(error)}`);
    }
    return this.failure;
  }
}
