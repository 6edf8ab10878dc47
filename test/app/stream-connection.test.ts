import type { NatsConnection } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { drainWithin } from '../../src/app/stream/connection';

/** A connection whose drain takes `drainMs` (never, when Infinity) and that records being closed. */
function connection(drainMs: number): { nc: NatsConnection; closed: () => boolean } {
  let closed = false;
  const nc = {
    drain: () => new Promise<void>((resolve) => {
      if (drainMs !== Infinity) setTimeout(resolve, drainMs);
    }),
    close: async () => {
      closed = true;
    },
  } as unknown as NatsConnection;
  return { nc, closed: () => closed };
}

describe('closing a connection', () => {
  it('drains one whose server answers, and closes one whose server does not after the time allowed', async () => {
    const answering = connection(5);
    await drainWithin(answering.nc, 1000);
    expect(answering.closed()).toBe(false);
    const stalled = connection(Infinity);
    await drainWithin(stalled.nc, 50);
    expect(stalled.closed()).toBe(true);
  });
});
