import {
  AckPolicy, DeliverPolicy, StorageType, jetstream, jetstreamManager, type Consumer, type JetStreamClient, type JetStreamManager,
} from '@nats-io/jetstream';
import { ClosedConnectionError, PermissionViolationError, headers as natsHeaders, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Bus, Inbound } from './worker';

/** The name netae gives a stream it creates for a subject: `NETAE_` and the subject with `.`, `*` and `>` as `_`. */
export function streamName(subject: string): string {
  return `NETAE_${subject.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

export async function manager(nc: NatsConnection): Promise<JetStreamManager> {
  try {
    return await jetstreamManager(nc);
  } catch (error) {
    throw new Error(`the NATS server has no JetStream (start nats-server with -js): ${(error as Error).message}`);
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

/** How long a pull waits for a full batch before it returns what came. */
const PULL_WAIT_MS = 1000;

/** The worker's bus on JetStream: pulls from the shared consumer, publishes with message ids. */
export function jetStreamBus(nc: NatsConnection, consumer: Consumer, js: JetStreamClient = jetstream(nc)): Bus {
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
    async publish(subject, data, id, headers) {
      const h = natsHeaders();
      for (const [key, value] of Object.entries(headers ?? {})) h.set(key, value);
      const ack = await js.publish(subject, data, { msgID: id, headers: h });
      return ack.duplicate;
    },
    fatal(error) {
      return nc.isClosed() || error instanceof ClosedConnectionError || error instanceof PermissionViolationError;
    },
  };
}
