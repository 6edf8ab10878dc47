import { DAWN_LIMIT_NOTICE } from '../src/gpu/dawn-notices.ts';

/**
 * Drops Dawn's two adapter-limit notices from what the test workers print. A worker's standard
 * error is a socket to this process, which `withoutDawnNotices` cannot reopen, so the suites'
 * own adapters print them; every other line passes unchanged.
 */
export function quietDawnNotices(stream: NodeJS.WriteStream = process.stderr): void {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : null;
    if (text === null || !text.includes('artificially reduced')) return write(chunk, ...rest);
    const kept = text.split(/(?<=\n)/).filter((line) => !DAWN_LIMIT_NOTICE.test(line.replace(/\r?\n$/, ''))).join('');
    if (kept === '') {
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    }
    return write(kept, ...rest);
  }) as typeof stream.write;
}
