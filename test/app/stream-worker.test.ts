import { describe, expect, it } from 'vitest';
import type { Decoded, MessageDecoder } from '../../src/app/stream/decode';
import { parseResults } from '../../src/app/stream/wire';
import { headerBytes } from '../../src/app/stream/jetstream';
import { runWorker, type Bus, type Inbound, type WorkerOptions } from '../../src/app/stream/worker';

const text = new TextDecoder();
const encoder = new TextEncoder();

/**
 * A stand-in decoder: a payload of numbers, one per line, gives one one-feature row per number;
 * a payload `bad` fails.
 */
const decode: MessageDecoder = (payloads) => {
  const values: number[] = [];
  const first = new Int32Array(payloads.length);
  const count = new Int32Array(payloads.length);
  const errors = payloads.map((p, m) => {
    first[m] = values.length;
    const body = text.decode(p);
    if (body === 'bad') return 'line 1: not a number';
    const numbers = body.trim().split('\n').map(Number);
    values.push(...numbers);
    count[m] = numbers.length;
    return null;
  });
  const decoded: Decoded = { matrix: Float32Array.from(values), rows: values.length, first, count, errors, labels: null, kept: [] };
  return decoded;
};

interface Published {
  subject: string;
  id: string;
  data: string;
  headers?: Readonly<Record<string, string>>;
}

/** An in-memory stream: messages are handed out in order, redelivered when never acknowledged. */
class FakeBus implements Bus {
  readonly stored = new Map<string, Published>();
  readonly log: string[] = [];
  acked = new Set<number>();
  private next = 0;
  failPublishes = 0;
  fatalError: Error | null = null;
  /** Batches pulled and not yet wholly acknowledged, at most. */
  maxOpen = 0;
  private open = new Map<number, number>();
  private batch = 0;

  constructor(private readonly payloads: string[], private readonly pullDelayMs = 0) {}

  async fetch(max: number): Promise<Inbound[]> {
    if (this.pullDelayMs) await new Promise((r) => setTimeout(r, this.pullDelayMs));
    const out: Inbound[] = [];
    const batch = this.batch++;
    while (out.length < max && this.next < this.payloads.length) {
      const seq = ++this.next;
      out.push({
        seq,
        subject: 'in',
        data: encoder.encode(this.payloads[seq - 1]),
        ack: () => {
          this.log.push(`ack ${seq}`);
          this.acked.add(seq);
          const left = this.open.get(batch)! - 1;
          if (left === 0) this.open.delete(batch);
          else this.open.set(batch, left);
        },
      });
    }
    if (out.length) {
      this.open.set(batch, out.length);
      this.maxOpen = Math.max(this.maxOpen, this.open.size);
    }
    return out;
  }

  async publish(subject: string, data: Uint8Array, id: string, headers?: Readonly<Record<string, string>>): Promise<boolean> {
    await new Promise((r) => setTimeout(r, 1));
    if (this.fatalError) throw this.fatalError;
    if (this.failPublishes > 0) {
      this.failPublishes--;
      throw new Error('timeout');
    }
    this.log.push(`publish ${id}`);
    const duplicate = this.stored.has(id);
    if (!duplicate) this.stored.set(id, { subject, id, data: text.decode(data), headers });
    return duplicate;
  }

  /** The server's max_payload: a message and its headers together. */
  maxPayload = Infinity;

  room(id: string, headers?: Readonly<Record<string, string>>): number {
    return this.maxPayload - headerBytes({ 'Nats-Msg-Id': id, ...headers });
  }

  fatal(error: unknown): boolean {
    return error === this.fatalError;
  }
}

const OPTIONS: WorkerOptions = { stream: 'IN', output: 'out', alerts: 'alerts', deadLetter: 'dead', threshold: 5, batch: 4, inFlight: 2 };

/** Runs the worker until every message is acknowledged, then stops it. */
async function runAll(bus: FakeBus, total: number, options: Partial<WorkerOptions> = {}, score = async (m: Float32Array) => m.slice()) {
  const stop = new AbortController();
  const watcher = setInterval(() => {
    if (bus.acked.size >= total) stop.abort();
  }, 2);
  try {
    return await runWorker(bus, decode, score, { ...OPTIONS, ...options }, stop.signal, {});
  } finally {
    clearInterval(watcher);
  }
}

describe('runWorker', () => {
  it('publishes one result line per record under the input sequence, then acknowledges', async () => {
    const payloads = ['1', '7\n2\n9', 'bad', '3', '6'];
    const bus = new FakeBus(payloads);
    const tally = await runAll(bus, payloads.length);
    expect(tally).toMatchObject({ messages: 5, records: 6, flagged: 3, deadLettered: 1 });
    expect(parseResults(bus.stored.get('IN:2')!.data)).toEqual([
      { seq: 2, record: 1, score: 7, flag: 1 },
      { seq: 2, record: 2, score: 2, flag: 0 },
      { seq: 2, record: 3, score: 9, flag: 1 },
    ]);
    expect(bus.stored.get('IN:2:alert')!.data).toBe('{"seq":2,"record":1,"score":7,"flag":1}\n{"seq":2,"record":3,"score":9,"flag":1}\n');
    expect(bus.stored.get('IN:5')!.subject).toBe('out');
    expect(bus.stored.has('IN:1:alert')).toBe(false);
    const dead = bus.stored.get('IN:3:dead')!;
    expect(dead).toMatchObject({ subject: 'dead', data: 'bad' });
    expect(dead.headers).toEqual({ 'Netae-Reason': 'line 1: not a number', 'Netae-Stream': 'IN', 'Netae-Seq': '3', 'Netae-Subject': 'in' });
    for (let seq = 1; seq <= 5; seq++) {
      const acked = bus.log.indexOf(`ack ${seq}`);
      const published = bus.log.findIndex((e) => e.startsWith(`publish IN:${seq}`));
      expect(acked).toBeGreaterThan(published);
      expect(published).toBeGreaterThanOrEqual(0);
    }
  });

  it('holds at most --in-flight batches between pull and acknowledgement', async () => {
    const payloads = Array.from({ length: 200 }, (_, i) => String(i % 10));
    const slow = async (m: Float32Array) => {
      await new Promise((r) => setTimeout(r, 5));
      return m.slice();
    };
    for (const inFlight of [1, 3]) {
      const b = new FakeBus(payloads);
      const tally = await runAll(b, payloads.length, { inFlight }, slow);
      expect(tally.messages).toBe(200);
      expect(b.maxOpen).toBe(inFlight);
    }
  });

  it('pulls fewer messages when each holds many records', async () => {
    const many = Array.from({ length: 100 }, () => '1\n2\n3\n4\n5\n6\n7\n8');
    const bus = new FakeBus(many);
    const sizes: number[] = [];
    const fetch = bus.fetch.bind(bus);
    bus.fetch = (max) => {
      sizes.push(max);
      return fetch(max);
    };
    await runAll(bus, many.length, { batch: 64 });
    expect(sizes.slice(0, 3)).toEqual([1, 8, 8]);
  });

  it('retries failed publications and acknowledges only after they succeed', async () => {
    const bus = new FakeBus(['1', '2', '3']);
    bus.failPublishes = 3;
    const retries: string[] = [];
    const stop = new AbortController();
    const watcher = setInterval(() => bus.acked.size === 3 && stop.abort(), 2);
    const tally = await runWorker(bus, decode, async (m) => m.slice(), OPTIONS, stop.signal, { retrying: (what) => retries.push(what) });
    clearInterval(watcher);
    expect(retries).toEqual(['publish', 'publish', 'publish']);
    expect(tally.messages).toBe(3);
    expect([...bus.stored.keys()].sort()).toEqual(['IN:1', 'IN:2', 'IN:3']);
  });

  it('results too large for a message go to the dead-letter subject with why; a dead letter too large goes cut, saying so', async () => {
    const many = Array.from({ length: 40 }, (_, i) => String(i % 9)).join('\n');
    const bus = new FakeBus(['1', many, 'bad', '2']);
    bus.maxPayload = 700;
    const tally = await runAll(bus, 4);
    expect(bus.acked.size).toBe(4);
    expect(tally).toMatchObject({ messages: 4, records: 2, deadLettered: 2 });
    const dead = bus.stored.get('IN:2:dead')!;
    expect(dead.data).toBe(many);
    expect(dead.headers!['Netae-Reason']).toMatch(/^its 40 results take \d+ bytes, more than a message may carry \(\d+, the server's max_payload less the headers\): publish fewer records per message$/);
    for (const published of bus.stored.values()) expect(encoder.encode(published.data).length + headerBytes({ 'Nats-Msg-Id': published.id, ...published.headers })).toBeLessThanOrEqual(700);

    const long = new FakeBus([`${'9\n'.repeat(400)}x`]);
    long.maxPayload = 500;
    await runAll(long, 1);
    const cut = long.stored.get('IN:1:dead')!;
    expect(cut.headers!['Netae-Truncated']).toMatch(/^801 bytes, of which the first \d+ are kept$/);
    const kept = Number(/first (\d+)/.exec(cut.headers!['Netae-Truncated'])![1]);
    expect(cut.data).toBe('9\n'.repeat(400).slice(0, kept));
    expect(encoder.encode(cut.data).length + headerBytes({ 'Nats-Msg-Id': cut.id, ...cut.headers })).toBeLessThanOrEqual(500);
  });

  it('counts a message whose results the stream already held (delivered again) as a duplicate, not as scored anew', async () => {
    const bus = new FakeBus(['1', '7', '3']);
    bus.stored.set('IN:2', { subject: 'out', id: 'IN:2', data: 'earlier' });
    const tally = await runAll(bus, 3);
    expect(tally).toMatchObject({ messages: 2, records: 2, flagged: 0, duplicates: 1 });
  });

  it('a final error leaves the batch unacknowledged and is thrown', async () => {
    const bus = new FakeBus(['1', '2']);
    bus.fatalError = new Error('connection closed');
    await expect(runWorker(bus, decode, async (m) => m.slice(), OPTIONS, new AbortController().signal)).rejects.toThrow('connection closed');
    expect(bus.acked.size).toBe(0);
  });

  it('on stop it pulls no more and finishes the batches in hand', async () => {
    const payloads = Array.from({ length: 100 }, () => '1');
    const bus = new FakeBus(payloads, 5);
    const stop = new AbortController();
    let pulled = 0;
    let pulledAfterStop = 0;
    const fetch = bus.fetch.bind(bus);
    bus.fetch = async (max) => {
      if (stop.signal.aborted) pulledAfterStop++;
      const batch = await fetch(max);
      pulled += batch.length;
      return batch;
    };
    let scoring = false;
    const score = async (m: Float32Array) => {
      if (!scoring) {
        scoring = true;
        stop.abort();
      }
      await new Promise((r) => setTimeout(r, 20));
      return m.slice();
    };
    const tally = await runWorker(bus, decode, score, OPTIONS, stop.signal);
    expect(pulledAfterStop).toBe(0);
    expect(pulled).toBeLessThan(100);
    expect(tally.messages).toBe(pulled);
    expect([...bus.acked].sort((a, b) => a - b)).toEqual(Array.from({ length: pulled }, (_, i) => i + 1));
  });

  it('gives up retrying a publication some time after a stop, leaving the batch to be delivered again', async () => {
    const bus = new FakeBus(['1', '2']);
    bus.failPublishes = 1_000_000;
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 50);
    const tally = await runWorker(bus, decode, async (m) => m.slice(), { ...OPTIONS, drainMs: 200 }, stop.signal);
    expect(tally).toMatchObject({ messages: 0, abandoned: 2 });
    expect(bus.acked.size).toBe(0);
  });
});
