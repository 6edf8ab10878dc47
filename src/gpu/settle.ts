import { isNode } from './runtime';

/**
 * Waits for a promise from the WebGPU runtime without starving a CPU adapter.
 *
 * While any of its promises is pending, dawn.node pumps its events from `setImmediate`
 * without pause, which takes a whole core from the worker threads of a CPU adapter such
 * as lavapipe (a third of its speed on two cores). Here the main thread instead sleeps
 * `pollMs` between turns of the event loop, so Dawn looks for finished work once per
 * turn, the first time before any sleep (work already done costs none). In the browser the
 * promise is awaited as it is.
 */
export async function settle<T>(promise: Promise<T>, pollMs = 1): Promise<T> {
  if (!sleeper) return promise;
  let done = false;
  const mark = () => {
    done = true;
  };
  promise.then(mark, mark);
  for (;;) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (done) return promise;
    Atomics.wait(sleeper, 0, 0, pollMs);
  }
}

const sleeper: Int32Array | null = isNode() ? new Int32Array(new SharedArrayBuffer(4)) : null;
