/** Exponential back-off with jitter: about 100 ms, 200 ms, … up to 5 s. */
export function backoff(attempt: number): number {
  return Math.min(100 * 2 ** attempt, 5000) * (0.75 + Math.random() / 2);
}

/** Waits `ms`, or less when `stop` is signalled. */
export function sleep(ms: number, stop?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      stop?.removeEventListener('abort', done);
      resolve();
    }
    stop?.addEventListener('abort', done, { once: true });
  });
}

/** Runs at most `size` tasks at once; the others wait their turn. */
export class Window {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    while (this.running >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
