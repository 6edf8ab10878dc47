/** Exit codes of the `netae` command. */
export const EXIT = { ok: 0, badInput: 1, usage: 2, noGpu: 3, interrupted: 130 } as const;

/** A command line that cannot be run as given (exit 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
