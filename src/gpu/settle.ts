import { isNode } from './runtime';

/**
 * Waits for a promise from the WebGPU runtime without starving a CPU adapter.
 *
 * While any of its promises is pending, dawn.node pumps its events from `setImmediate`
 * without pause, which takes a whole core from the worker threads of a CPU adapter such
 * as lavapipe (a third of its speed on two cores). Here the main thread instead sleeps
 * `pauseMs` between turns of the event loop, so Dawn looks for finished work once per
 * turn, the first time before any sleep (work already done costs none). A GPU needs no
 * core, and a pause only delays every read-back: there the pause is 0 (see
 * {@link pauseBetweenPolls}). In the browser the promise is awaited as it is.
 */
export async function settle<T>(promise: Promise<T>, pauseMs = pause): Promise<T> {
  if (!sleeper) return promise;
  let done = false;
  const mark = () => {
    done = true;
  };
  promise.then(mark, mark);
  for (;;) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (done) return promise;
    if (pauseMs > 0) Atomics.wait(sleeper, 0, 0, pauseMs);
  }
}

/** The main thread's sleep between polls while it waits for the GPU: 1 ms for a CPU adapter, none for a GPU. */
export function pauseBetweenPolls(onCpu: boolean): void {
  pause = onCpu ? 1 : 0;
}

let pause = 1;

const sleeper: Int32Array | null = isNode() ? new Int32Array(new SharedArrayBuffer(4)) : null;
