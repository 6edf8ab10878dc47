import { CommanderError } from 'commander';
import { NoAdapterError } from '../../gpu/device';
import { LayerSpecError } from '../../model/spec';
import { EXIT, Interrupted, UsageError } from './errors';
import { releaseGpus } from './gpu';
import { BrokenPipe, discardOutputs, incompleteOutput, writtenSoFar } from './output';

/** The signals that stop netae, their numbers (exit 128 + n) and what they are called in a message. */
const SIGNALS = {
  SIGHUP: { number: 1, word: 'hung up' },
  SIGINT: { number: 2, word: 'interrupted' },
  SIGTERM: { number: 15, word: 'terminated' },
} as const;

type StopSignal = keyof typeof SIGNALS;

/** The exit code once a signal or a fatal error has begun to stop the process; null until then. */
let stopping: number | null = null;

/** Work that finishes what it holds on a signal instead of stopping at once (a stream worker's drain). */
const drains = new Map<StopSignal, () => void>();

/** What a command that publishes rather than writes files has done, for the message of a stop; null: what was written. */
let done: (() => string) | null = null;

/**
 * Says what the command has done (`describe`) in the message of a signal that stops it, instead
 * of the files and bytes written, until the returned function is called.
 */
export function onStopSay(describe: () => string): () => void {
  done = describe;
  return () => {
    if (done === describe) done = null;
  };
}

/**
 * Runs `drain` on the first `signal` instead of stopping, until the returned function is
 * called; the same signal again stops the process as usual.
 */
export function onSignal(signal: StopSignal, drain: () => void): () => void {
  drains.set(signal, drain);
  return () => {
    if (drains.get(signal) === drain) drains.delete(signal);
  };
}

/**
 * Makes every way out of the process clean. On SIGINT, SIGTERM or SIGHUP: abort the work,
 * remove the partial files, say what was written, release the GPU, exit 128 + the signal's
 * number (a second signal exits at once). Errors of standard output and error are left to
 * the writes that see them (no crash on EPIPE). An error that escapes a command is reported
 * in one line, never as a stack trace.
 */
export function guardProcess(abort: AbortController): void {
  for (const signal of Object.keys(SIGNALS) as StopSignal[]) process.on(signal, () => void stop(signal, abort));
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  process.on('uncaughtException', (error) => void fatal(error));
  process.on('unhandledRejection', (error) => void fatal(error));
}

function say(line: string): void {
  try {
    process.stderr.write(`netae: ${line}\n`);
  } catch {
    // Standard error is gone (a closed terminal after SIGHUP): there is no one to tell.
  }
}

async function stop(signal: StopSignal, abort: AbortController): Promise<void> {
  if (stopping !== null) process.exit(stopping);
  const drain = drains.get(signal);
  if (drain) {
    drains.delete(signal);
    drain();
    return;
  }
  const { number, word } = SIGNALS[signal];
  stopping = 128 + number;
  process.exitCode = stopping;
  abort.abort();
  discardOutputs();
  if (process.stderr.isTTY) process.stderr.write('\x1b[?25h\n');
  say(`${word} (${signal}); ${done?.() ?? writtenSoFar()}`);
  await releaseGpus();
  process.exit(stopping);
}

async function fatal(error: unknown): Promise<void> {
  if (stopping !== null) return;
  stopping = EXIT.badInput;
  process.exitCode = stopping;
  discardOutputs();
  say(`internal error: ${firstLine(error)}`);
  await releaseGpus();
  process.exit(stopping);
}

/** The exit code for an error that ended a command. */
function exitCode(error: unknown): number {
  if (error instanceof CommanderError) {
    const informational = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);
    return informational && error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof UsageError || error instanceof LayerSpecError) return EXIT.usage;
  if (error instanceof NoAdapterError) return EXIT.noGpu;
  if (error instanceof Interrupted) return EXIT.interrupted;
  if (error instanceof BrokenPipe) return EXIT.brokenPipe;
  return EXIT.badInput;
}

/** The first line of an error's message: the line a user sees. */
function firstLine(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT' && e.path) return `cannot read ${e.path}: no such file`;
  if (e?.code === 'EACCES' && e.path) return `cannot read ${e.path}: permission denied`;
  if (e?.code === 'EISDIR') return `${e.path ?? 'an input'} is a folder, not a file`;
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0];
}

/**
 * Ends a command that threw: removes partial output, reports the error in one line (nothing
 * for a closed pipe, or when a signal is already stopping the process) and gives the exit code.
 */
export function failed(error: unknown): number {
  if (stopping !== null) return stopping;
  discardOutputs();
  const code = exitCode(error);
  if (!(error instanceof CommanderError) && !(error instanceof BrokenPipe)) {
    say(firstLine(error));
    const incomplete = incompleteOutput();
    if (incomplete !== null) say(incomplete);
    if (error instanceof NoAdapterError) say('run `netae info` after installing a Vulkan driver to check the adapter');
  }
  return code;
}

/** Exits with `code` once every GPU is released, unless a signal is already doing so. */
export async function exit(code: number): Promise<void> {
  await releaseGpus();
  if (stopping !== null) return;
  process.exit(code);
}
