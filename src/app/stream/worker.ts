import type { Decoded, MessageDecoder } from './decode';
import { Window, backoff, sleep } from './flow';
import { keptFields, resultLine } from './wire';

/** A message pulled from the input stream, to be acknowledged once its results are stored. */
export interface Inbound {
  /** Its sequence in the input stream. */
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  ack(): void;
}

/** What the worker needs of the message bus (JetStream, or a stand-in in tests). */
export interface Bus {
  /** Up to `max` messages from the shared consumer; none when none came within its wait. */
  fetch(max: number): Promise<Inbound[]>;
  /**
   * Publishes a message under an id and resolves once the stream has stored it, true when the
   * stream already held that id (a duplicate it dropped).
   */
  publish(subject: string, data: Uint8Array, id: string, headers?: Readonly<Record<string, string>>): Promise<boolean>;
  /** The most bytes a message published under this id and these headers may carry (the server's max_payload, less the headers). */
  room(id: string, headers?: Readonly<Record<string, string>>): number;
  /** Whether an error is final (the connection closed for good, no permission) rather than worth retrying. */
  fatal(error: unknown): boolean;
}

export interface WorkerOptions {
  /** The input stream's name: with a sequence, it makes the ids of the published messages. */
  readonly stream: string;
  readonly output: string;
  /** Subject for the flagged records' results too, or null. */
  readonly alerts: string | null;
  readonly deadLetter: string;
  readonly threshold: number;
  /** Records pulled and scored at a time. */
  readonly batch: number;
  /** Batches between pull and acknowledgement at most. */
  readonly inFlight: number;
  /** Publications awaiting the stream's acknowledgement at most. */
  readonly publishWindow?: number;
  /** After a stop, how long to go on retrying failed publications before leaving their inputs unacknowledged. */
  readonly drainMs?: number;
}

/** Counts since the worker started. */
export interface Tally {
  messages: number;
  records: number;
  flagged: number;
  deadLettered: number;
  /** Publications the output stream had already (after a redelivery). */
  duplicates: number;
  /** Messages left unacknowledged when the worker stopped (they will be delivered again). */
  abandoned: number;
}

export interface WorkerEvents {
  /** After each batch is acknowledged. */
  acknowledged?(tally: Readonly<Tally>): void;
  /** A pull or a publication failed and will be tried again after `delayMs`. */
  retrying?(what: 'pull' | 'publish', error: unknown, delayMs: number): void;
}

/** Thrown by a retry loop that gives up because the worker is stopping. */
class GaveUp extends Error {}

const encoder = new TextEncoder();

/** Header values are single lines. */
function headerValue(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 1000);
}

/**
 * Scores the records of a stream until `stop` is signalled, at least once:
 *
 * 1. pull up to a batch of records: the first message alone, then as many messages as make a
 *    batch at the last batch's records per message (a worker must not take a whole backlog of
 *    many-record messages in one pull while others wait);
 * 2. decode them into feature rows; score them on the GPU, one batch at a time;
 * 3. publish, per message, its results (one JSON line per record) with the id
 *    `<stream>:<seq>`, its flagged records' results to the alerts subject (`<stream>:<seq>:alert`),
 *    or, when it could not be decoded, the message itself with the reason to the dead-letter
 *    subject (`<stream>:<seq>:dead`);
 * 4. acknowledge the messages once every publication is stored.
 *
 * A worker that dies between 3 and 4 leaves its messages to be delivered again, maybe to another
 * worker; their results then carry the same ids and the stream drops them as duplicates. Up to
 * `inFlight` batches are between 1 and 4 at once (while one is scored the next is pulled and the
 * one before published); no more are pulled until one is done. Failed pulls and publications are
 * retried with back-off. On `stop` the worker pulls no more, finishes the batches in hand and
 * returns its tally; an error it cannot retry is thrown after the batches in hand are finished.
 */
export async function runWorker(
  bus: Bus,
  decode: MessageDecoder,
  score: (matrix: Float32Array) => Promise<Float32Array>,
  options: WorkerOptions,
  stop: AbortSignal,
  events: WorkerEvents = {},
): Promise<Tally> {
  const tally: Tally = { messages: 0, records: 0, flagged: 0, deadLettered: 0, duplicates: 0, abandoned: 0 };
  const window = new Window(options.publishWindow ?? 1024);
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | null = null;
  let gpu: Promise<unknown> = Promise.resolve();
  /** Mean records per message in the last batch; unknown until the first message, which is pulled alone. */
  let recordsPerMessage: number | null = null;
  let stoppedAt = Number.POSITIVE_INFINITY;
  const markStop = () => (stoppedAt = performance.now());
  if (stop.aborted) markStop();
  else stop.addEventListener('abort', markStop, { once: true });

  const retrying = async <T>(what: 'pull' | 'publish', attempt: () => Promise<T>): Promise<T> => {
    for (let n = 0; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        if (bus.fatal(error)) throw error;
        if (what === 'pull' ? stop.aborted : performance.now() - stoppedAt > (options.drainMs ?? 10_000)) throw new GaveUp();
        const delay = backoff(n);
        events.retrying?.(what, error, delay);
        await sleep(delay, what === 'pull' ? stop : undefined);
      }
    }
  };

  const publish = (subject: string, data: Uint8Array, id: string, headers?: Record<string, string>) =>
    window.run(() => retrying('publish', () => bus.publish(subject, data, id, headers)));

  /**
   * A message to the dead-letter subject with why; one larger than a message may be once the
   * headers are added goes cut to what fits, a header saying so.
   */
  const deadLetter = (message: Inbound, reason: string): Promise<boolean> => {
    const { seq, subject, data } = message;
    const id = `${options.stream}:${seq}:dead`;
    const headers: Record<string, string> = { 'Netae-Reason': headerValue(reason), 'Netae-Stream': options.stream, 'Netae-Seq': String(seq), 'Netae-Subject': subject };
    if (data.length > bus.room(id, headers)) {
      // The room is measured with the header at its longest (all kept), so the one sent fits.
      headers['Netae-Truncated'] = `${data.length} bytes, of which the first ${data.length} are kept`;
      const kept = Math.max(0, bus.room(id, headers));
      headers['Netae-Truncated'] = `${data.length} bytes, of which the first ${kept} are kept`;
      return publish(options.deadLetter, data.subarray(0, kept), id, headers);
    }
    return publish(options.deadLetter, data, id, headers);
  };

  const deliver = async (messages: readonly Inbound[], decoded: Decoded, scores: Float32Array): Promise<void> => {
    /** Per message, its first publication (results, or dead letter) and what it counts for once stored anew. */
    const sends: { sent: Promise<boolean>; records: number; flagged: number; dead: boolean }[] = [];
    const alertSends: Promise<boolean>[] = [];
    for (let m = 0; m < messages.length; m++) {
      const { seq } = messages[m];
      const id = `${options.stream}:${seq}`;
      const error = decoded.errors[m];
      if (error !== null) {
        sends.push({ sent: deadLetter(messages[m], error), records: 0, flagged: 0, dead: true });
        continue;
      }
      const results: string[] = [];
      const alerts: string[] = [];
      for (let i = 0; i < decoded.count[m]; i++) {
        const row = decoded.first[m] + i;
        const line = resultLine(seq, i + 1, scores[row], options.threshold, decoded.labels?.[row] ?? null, keptFields(decoded.kept, row));
        results.push(line);
        if (scores[row] >= options.threshold) alerts.push(line);
      }
      const payload = encoder.encode(`${results.join('\n')}\n`);
      // The alert's id is the longer: what fits under it fits under the result's too.
      const room = bus.room(`${id}:alert`);
      if (payload.length > room) {
        const reason = `its ${results.length} results take ${payload.length} bytes, more than a message may carry (${room}, the server's max_payload less the headers): publish fewer records per message`;
        sends.push({ sent: deadLetter(messages[m], reason), records: 0, flagged: 0, dead: true });
        continue;
      }
      sends.push({ sent: publish(options.output, payload, id), records: results.length, flagged: alerts.length, dead: false });
      if (options.alerts !== null && alerts.length > 0) alertSends.push(publish(options.alerts, encoder.encode(`${alerts.join('\n')}\n`), `${id}:alert`));
    }
    const all = [...sends.map((s) => s.sent), ...alertSends];
    let duplicates: boolean[];
    try {
      duplicates = await Promise.all(all);
    } catch (error) {
      await Promise.allSettled(all);
      if (error instanceof GaveUp) {
        tally.abandoned += messages.length;
        return;
      }
      throw error;
    }
    for (const message of messages) message.ack();
    sends.forEach((s, m) => {
      if (duplicates[m]) return;
      tally.messages++;
      tally.records += s.records;
      tally.flagged += s.flagged;
      if (s.dead) tally.deadLettered++;
    });
    tally.duplicates += duplicates.filter(Boolean).length;
    events.acknowledged?.(tally);
  };

  try {
    while (!stop.aborted && failure === null) {
      while (inFlight.size >= options.inFlight) await Promise.race(inFlight);
      if (stop.aborted || failure !== null) break;
      const max = recordsPerMessage === null ? 1 : Math.max(1, Math.min(options.batch, Math.round(options.batch / recordsPerMessage)));
      let messages: Inbound[];
      try {
        messages = await retrying('pull', () => bus.fetch(max));
      } catch (error) {
        if (error instanceof GaveUp) break;
        throw error;
      }
      if (messages.length === 0) {
        await sleep(1, stop);
        continue;
      }
      const decoded = decode(messages.map((m) => m.data));
      recordsPerMessage = Math.max(1, decoded.rows / messages.length);
      const scored = gpu.then(() => (decoded.rows > 0 ? score(decoded.matrix) : new Float32Array(0)));
      gpu = scored.catch(() => undefined);
      const task = scored
        .then((scores) => deliver(messages, decoded, scores))
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
    }
  } finally {
    await Promise.all(inFlight);
    stop.removeEventListener('abort', markStop);
  }
  if (failure !== null) throw (failure as { error: unknown }).error;
  return tally;
}
