/**
 * Waits for GPU work without starving a CPU adapter.
 *
 * dawn.node pumps its event loop without pause while any of its promises is pending, which
 * takes a whole core from the worker threads of a CPU adapter such as lavapipe (a third
 * of its speed on two cores). A pacer first sleeps on a plain timer for most of the time
 * the same amount of work took last time, and only then asks Dawn. `units` measures the
 * work (steps, rows, repetitions). In the browser it never sleeps.
 */
export class Pacer {
  private msPerUnit = 0;
  private readonly enabled: boolean;

  constructor(enabled = isNode()) {
    this.enabled = enabled;
  }

  async wait<T>(work: () => Promise<T>, units = 1): Promise<T> {
    const start = performance.now();
    const expectedMs = this.msPerUnit * units;
    if (this.enabled && expectedMs > 1) {
      await new Promise((resolve) => setTimeout(resolve, expectedMs * 0.85));
    }
    const value = await work();
    this.msPerUnit = (performance.now() - start) / units;
    return value;
  }
}

function isNode(): boolean {
  return typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string'
    && typeof (globalThis as { window?: unknown }).window === 'undefined';
}
