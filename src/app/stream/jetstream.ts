import {
  AckPolicy, DeliverPolicy, StorageType, jetstream, jetstreamManager, type Consumer, type JetStreamManager,
} from '@nats-io/jetstream';
import {
  ClosedConnectionError, InvalidArgumentError, PermissionViolationError, TimeoutError, createInbox, headers as natsHeaders, nanos, type Msg, type NatsConnection, type Subscription,
} from '@nats-io/transport-node';
import { backoff, sleep } from './flow';
import type { Bus, Inbound } from './worker';

/**
 * Why a text is not a NATS subject netae can use, or null: tokens separated by dots, none empty,
 * no white space; `*` (one token) and `>` (the rest) only where a wildcard is allowed, which is
 * where records are read, not where they are published.
 */
export function subjectProblem(subject: string, wildcards: boolean): string | null {
  const tokens = subject.split('.');
  if (/\s/.test(subject) || tokens.some((t) => t === '')) return `"${subject}" is not a subject (tokens separated by dots, no spaces)`;
  const wild = tokens.filter((t) => /[*>]/.test(t));
  if (wild.length === 0) return null;
  if (!wildcards) return `"${subject}" holds a wildcard; messages are published to one subject`;
  if (wild.some((t) => t.length > 1) || tokens.slice(0, -1).includes('>')) return `"${subject}" is not a subject: * and > stand alone, > last`;
  return null;
}

/** The name netae gives a stream it creates for a subject: `NETAE_` and the subject with `.`, `*` and `>` as `_`. */
export function streamName(subject: string): string {
  return `NETAE_${subject.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** How long a server that does not answer JetStream's API (restarting, or the connection down) is waited for. */
const JETSTREAM_PATIENCE_MS = 30_000;

/**
 * JetStream's API on the connection. A server that answers without JetStream is refused at once;
 * one that does not answer (it is restarting, or the connection is being re-established) is
 * asked again, with the connection's back-off, for up to JETSTREAM_PATIENCE_MS.
 */
export async function manager(nc: NatsConnection): Promise<JetStreamManager> {
  const started = performance.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await jetstreamManager(nc);
    } catch (error) {
      const waited = performance.now() - started;
      if (!(error instanceof TimeoutError) || nc.isClosed()) {
        throw new Error(`the NATS server has no JetStream (start nats-server with -js): ${(error as Error).message}`);
      }
      if (waited >= JETSTREAM_PATIENCE_MS) {
        throw new Error(`the NATS server did not answer JetStream's API in ${Math.round(waited / 1000)} s`);
      }
      await sleep(backoff(attempt));
    }
  }
}

/**
 * The stream that stores a subject; when none does, a stream is created for it (file storage,
 * default limits, two-minute duplicate window) and `note` says so.
 */
export async function streamFor(jsm: JetStreamManager, subject: string, note: (text: string) => void): Promise<string> {
  const found = await findStream(jsm, subject);
  if (found !== null) return found;
  const name = streamName(subject);
  try {
    await jsm.streams.add({ name, subjects: [subject], storage: StorageType.File });
  } catch (error) {
    const again = await findStream(jsm, subject);
    if (again !== null) return again;
    throw new Error(`cannot create a stream for "${subject}": ${(error as Error).message}`);
  }
  note(`created stream ${name} for subject ${subject}`);
  return name;
}

async function findStream(jsm: JetStreamManager, subject: string): Promise<string | null> {
  try {
    return await jsm.streams.find(subject);
  } catch (error) {
    if (/no stream matches subject/i.test((error as Error).message)) return null;
    throw error;
  }
}

export interface InputOptions {
  readonly input: string;
  readonly consumer: string;
  /** How long a delivered message may stay unacknowledged before it is delivered again. */
  readonly ackWaitMs: number;
}

export interface Input {
  readonly stream: string;
  readonly consumer: Consumer;
  /** Messages of the stream the consumer has not delivered yet (null when the server cannot say now). */
  pending(): Promise<number | null>;
}

/**
 * The durable pull consumer that every worker of the same name shares, created when absent
 * (explicit acknowledgement, all messages from the start, no limit on unacknowledged ones).
 */
export async function openInput(nc: NatsConnection, jsm: JetStreamManager, options: InputOptions, note: (text: string) => void): Promise<Input> {
  const stream = await streamFor(jsm, options.input, note);
  const config = {
    durable_name: options.consumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: options.input,
    ack_wait: nanos(options.ackWaitMs),
    max_ack_pending: -1,
  };
  let info;
  try {
    info = await jsm.consumers.info(stream, options.consumer);
  } catch {
    try {
      info = await jsm.consumers.add(stream, config);
      note(`created consumer ${options.consumer} on stream ${stream}`);
    } catch (error) {
      try {
        info = await jsm.consumers.info(stream, options.consumer);
      } catch {
        throw new Error(`cannot create consumer ${options.consumer} on stream ${stream}: ${(error as Error).message}`);
      }
    }
  }
  if (info.config.deliver_subject) throw new Error(`consumer ${options.consumer} on stream ${stream} is a push consumer; netae needs a pull consumer`);
  const filter = info.config.filter_subject;
  if (filter && filter !== options.input) {
    throw new Error(`consumer ${options.consumer} on stream ${stream} reads "${filter}", not "${options.input}"; give the worker another --consumer name`);
  }
  const consumer = await jetstream(nc).consumers.get(stream, options.consumer);
  return {
    stream,
    consumer,
    async pending() {
      try {
        return (await consumer.info()).num_pending;
      } catch {
        return null;
      }
    },
  };
}

/** A publication the stream did not acknowledge: no answer in time, no stream for the subject, or the stream's refusal. */
export class PublishError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishError';
  }
}

/** The stream's acknowledgement of a publication. */
export interface Stored {
  readonly stream: string;
  readonly seq: number;
  /** The stream held the message id already and dropped this copy. */
  readonly duplicate: boolean;
}

interface Waiting {
  resolve(stored: Stored): void;
  reject(error: Error): void;
  at: number;
}

/**
 * Publishes to JetStream asynchronously, as the Go client's PublishAsync does: each publication
 * carries a reply subject under one inbox, one subscription takes every acknowledgement the
 * stream sends there, and one timer fails those not acknowledged within `timeoutMs`. Per
 * message this costs a fraction of the client's `js.publish`, which makes a request (its own
 * timer and promise machinery) of every publication; at one record per message, publishing the
 * results is most of a worker's work.
 */
export class AsyncPublisher {
  private readonly inbox = createInbox();
  private readonly waiting = new Map<string, Waiting>();
  private readonly subscription: Subscription;
  private readonly timer: ReturnType<typeof setInterval>;
  private next = 0;

  constructor(private readonly nc: NatsConnection, private readonly timeoutMs = 5000) {
    this.subscription = nc.subscribe(`${this.inbox}.*`, { callback: (error, msg) => this.settle(error, msg) });
    this.timer = setInterval(() => this.expire(), Math.min(500, timeoutMs));
    this.timer.unref();
  }

  /** Resolves when the stream has stored the message (under the id, when given, which the stream de-duplicates by). */
  publish(subject: string, data: Uint8Array, id?: string, extra?: Readonly<Record<string, string>>): Promise<Stored> {
    const token = (this.next++).toString(36);
    const headers = id === undefined && extra === undefined ? undefined : natsHeaders();
    if (id !== undefined) headers!.set('Nats-Msg-Id', id);
    for (const [key, value] of Object.entries(extra ?? {})) headers!.set(key, value);
    return new Promise<Stored>((resolve, reject) => {
      this.waiting.set(token, { resolve, reject, at: performance.now() });
      try {
        this.nc.publish(subject, data, { reply: `${this.inbox}.${token}`, headers });
      } catch (error) {
        this.waiting.delete(token);
        reject(error as Error);
      }
    });
  }

  close(): void {
    clearInterval(this.timer);
    this.subscription.unsubscribe();
    for (const waiting of this.waiting.values()) waiting.reject(new ClosedConnectionError());
    this.waiting.clear();
  }

  private settle(error: Error | null, msg: Msg): void {
    if (error !== null) {
      for (const waiting of this.waiting.values()) waiting.reject(error);
      this.waiting.clear();
      return;
    }
    const token = msg.subject.slice(this.inbox.length + 1);
    const waiting = this.waiting.get(token);
    if (waiting === undefined) return;
    this.waiting.delete(token);
    if (msg.headers?.code === 503) return waiting.reject(new PublishError('no stream answered (none stores the subject, or JetStream is not ready)'));
    try {
      const ack = msg.json<{ stream?: string; seq?: number; duplicate?: boolean; error?: { code: number; description: string } }>();
      if (ack.error) return waiting.reject(new PublishError(`the stream refused the message: ${ack.error.description} (${ack.error.code})`));
      if (!ack.stream || typeof ack.seq !== 'number') return waiting.reject(new PublishError('not a JetStream acknowledgement'));
      waiting.resolve({ stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate === true });
    } catch {
      waiting.reject(new PublishError('not a JetStream acknowledgement'));
    }
  }

  private expire(): void {
    const now = performance.now();
    for (const [token, waiting] of this.waiting) {
      if (now - waiting.at < this.timeoutMs) break;
      this.waiting.delete(token);
      waiting.reject(new PublishError(`no acknowledgement from the stream in ${this.timeoutMs / 1000} s`));
    }
  }
}

const encoder = new TextEncoder();

/** The server's max_payload unless it says otherwise (nats-server's default, 1 MiB). */
const DEFAULT_MAX_PAYLOAD = 1 << 20;

/** Bytes of a message's headers as NATS sends them (counted in its max_payload): `NATS/1.0\r\n`, a `key: value\r\n` line each, `\r\n`. */
export function headerBytes(headers: Readonly<Record<string, string>>): number {
  return Object.entries(headers).reduce((n, [key, value]) => n + encoder.encode(`${key}: ${value}\r\n`).length, 'NATS/1.0\r\n\r\n'.length);
}

/** How long a pull waits for a full batch before it returns what came. */
const PULL_WAIT_MS = 1000;

/** The worker's bus on JetStream: pulls from the shared consumer, publishes with message ids. */
export function jetStreamBus(nc: NatsConnection, consumer: Consumer, publisher: AsyncPublisher): Bus {
  return {
    async fetch(max) {
      const messages = await consumer.fetch({ max_messages: max, expires: PULL_WAIT_MS });
      const batch: Inbound[] = [];
      try {
        for await (const m of messages) batch.push({ seq: m.seq, subject: m.subject, data: m.data, ack: () => m.ack() });
      } catch (error) {
        if (batch.length === 0) throw error;
      }
      return batch;
    },
    publish: async (subject, data, id, headers) => (await publisher.publish(subject, data, id, headers)).duplicate,
    room: (id, headers) => (nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD) - headerBytes({ 'Nats-Msg-Id': id, ...headers }),
    fatal(error) {
      // A message too large for the server (max_payload) is refused the same way every time.
      return nc.isClosed() || error instanceof ClosedConnectionError || error instanceof PermissionViolationError || error instanceof InvalidArgumentError;
    },
  };
}
