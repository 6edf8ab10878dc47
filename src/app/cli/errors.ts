/**
 * Exit codes of the `netae` command. A signal exits 128 + its number (SIGHUP 129, SIGINT 130,
 * SIGTERM 143); a reader that closes standard output early, 141 (SIGPIPE's), as `cat` does.
 */
export const EXIT = { ok: 0, badInput: 1, usage: 2, noGpu: 3, interrupted: 130, brokenPipe: 141 } as const;

/** A command line that cannot be run as given (exit 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Training stopped by Ctrl-C before it finished (exit 130). */
export class Interrupted extends Error {
  constructor() {
    super('interrupted; nothing was written');
    this.name = 'Interrupted';
  }
}
