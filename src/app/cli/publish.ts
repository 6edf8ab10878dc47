import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { getPreset } from '../../pipeline';
import type { ReadOptions } from '../../pipeline/io';
import { firstRowsFile, readChunksFile, readNamesFile } from '../../pipeline/io-node';
import { connectNats, describe, drainWithin, serversFrom, type Credentials } from '../stream/connection';
import { Window, backoff, sleep } from '../stream/flow';
import { AsyncPublisher, manager, streamFor, subjectProblem, type Stored } from '../stream/jetstream';
import { TEXT_COLUMNS, WIRE_FORMATS, recordLines, type WireFormat } from '../stream/wire';
import { UsageError } from './errors';
import { credentialsOf } from './nats-options';
import { checkNamesFor } from './options';
import { checkInputs } from './paths';
import { statusReporter } from './stream-status';

export interface PublishFlags extends Credentials {
  server?: string;
  subject: string;
  data: string;
  format: string;
  perMessage?: number;
  preset?: string;
  names?: string;
  header?: boolean;
  quiet?: boolean;
  json?: boolean;
}

/** What `netae publish` did. */
export interface Published {
  stream: string;
  subject: string;
  records: number;
  messages: number;
  /** Stream sequences of the first and last message published (null when none). */
  firstSeq: number | null;
  lastSeq: number | null;
  seconds: number;
}

/** Attempts at one publication before giving up. */
const ATTEMPTS = 10;
const encoder = new TextEncoder();

/**
 * Puts a file's records on a subject, `--per-message` records to a message, in the wire format
 * a worker reads. The file is read as `netae score` reads it (any format, gzip or not), every
 * field as text, so each record goes out as it is in the file. Publications are pipelined (up
 * to 1,024 awaiting the stream) and each is confirmed by the stream; one that fails is tried
 * again with back-off, up to ten times, under the same message id (this run's, and the
 * message's place), so that the stream keeps one copy of a message tried twice. A file that
 * fails part-way says how much of it went out.
 */
export async function publishCommand(flags: PublishFlags): Promise<void> {
  if (!WIRE_FORMATS.includes(flags.format as WireFormat)) throw new UsageError(`unknown --format "${flags.format}"; expected ${WIRE_FORMATS.join(', ')}`);
  const format = flags.format as WireFormat;
  const problem = subjectProblem(flags.subject, false);
  if (problem) throw new UsageError(problem);
  const perMessage = flags.perMessage ?? 1;
  const credentials = credentialsOf(flags);
  checkInputs([{ flag: '--data', path: flags.data }]);
  const fileName = flags.data === '-' ? 'stdin' : flags.data;
  const read = await readOptions(flags, fileName);
  await checkNamesBefore(flags, read, fileName);
  const run = randomUUID();
  const started = performance.now();
  let records = 0;
  let messages = 0;
  let firstSeq: number | null = null;
  let lastSeq: number | null = null;
  const status = statusReporter(() => ({ records }), { quiet: flags.quiet === true || flags.json === true, intervalS: 10, verb: 'published' });
  const note = (text: string) => status.note(text);
  try {
    const nc = await connectNats(serversFrom(flags.server, process.env), credentials, 'netae publish', note);
    const publisher = new AsyncPublisher(nc);
    let stream: string;
    try {
      stream = await streamFor(await manager(nc), flags.subject, note);
      const window = new Window(1024);
      const sends = new Set<Promise<void>>();
      let failure: unknown = null;
      let sent = 0;
      const send = (lines: string[]) => {
        const data = encoder.encode(`${lines.join('\n')}\n`);
        const id = `${run}:${sent++}`;
        const task = window.run(() => publishOnce(() => publisher.publish(flags.subject, data, id)))
          .then((ack) => {
            firstSeq = firstSeq === null ? ack.seq : Math.min(firstSeq, ack.seq);
            lastSeq = lastSeq === null ? ack.seq : Math.max(lastSeq, ack.seq);
            records += lines.length;
            messages++;
          })
          .catch((error: unknown) => {
            failure ??= error;
          })
          .finally(() => sends.delete(task));
        sends.add(task);
      };
      let carry: string[] = [];
      let first = true;
      try {
        for await (const chunk of readChunksFile(flags.data, read)) {
          if (first) checkNamesFor(chunk.format, flags.names, fileName);
          first = false;
          carry.push(...recordLines(chunk.table, format));
          let at = 0;
          for (; carry.length - at >= perMessage; at += perMessage) send(carry.slice(at, at + perMessage));
          carry = carry.slice(at);
          while (sends.size >= 4096) await Promise.race(sends);
          if (failure !== null) break;
        }
      } catch (error) {
        await Promise.all(sends);
        note(`${records.toLocaleString('en-US')} records in ${messages.toLocaleString('en-US')} messages had been published to ${flags.subject} (stream ${stream}) when reading stopped`);
        throw error;
      }
      if (carry.length > 0 && failure === null) send(carry);
      await Promise.all(sends);
      if (failure !== null) throw new Error(`publishing to ${flags.subject} failed: ${describe(failure)}; ${messages.toLocaleString('en-US')} messages were published`);
    } finally {
      publisher.close();
      await drainWithin(nc);
    }
    status.stop();
    const summary: Published = { stream, subject: flags.subject, records, messages, firstSeq, lastSeq, seconds: (performance.now() - started) / 1000 };
    if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else if (!flags.quiet) {
      const seqs = firstSeq === null ? '' : `, sequences ${firstSeq}–${lastSeq}`;
      note(`published ${records.toLocaleString('en-US')} records in ${messages.toLocaleString('en-US')} messages to ${flags.subject} (stream ${stream}${seqs})`);
    }
  } finally {
    status.stop();
  }
}

/**
 * Refuses `--names` for a file that names its own columns (Arrow, Parquet, Zeek) before anything
 * is published, from its first row; standard input and pipes, which cannot be read twice, are
 * checked as they are read.
 */
async function checkNamesBefore(flags: PublishFlags, read: ReadOptions, fileName: string): Promise<void> {
  if (flags.names === undefined || flags.data === '-' || !statSync(flags.data).isFile()) return;
  const first = await firstRowsFile(flags.data, 1, read);
  if (first !== null) checkNamesFor(first.format, flags.names, fileName);
}

/** How to read the file: as a preset's files are read, or with the names given; every field as text. */
async function readOptions(flags: PublishFlags, fileName: string): Promise<ReadOptions> {
  const common: ReadOptions = { fileName, types: TEXT_COLUMNS, chunkRows: 8192 };
  if (flags.preset !== undefined) {
    if (flags.names !== undefined) throw new UsageError('--preset takes no --names');
    return { ...getPresetOrUsage(flags.preset).read, namesFrom: `the ${flags.preset} preset`, ...common };
  }
  if (flags.names !== undefined) return { names: (await readNamesFile(flags.names)).names, namesFrom: flags.names, header: flags.header === false ? false : undefined, ...common };
  return { header: flags.header === false ? false : undefined, ...common };
}

function getPresetOrUsage(name: string) {
  try {
    return getPreset(name);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function publishOnce(attempt: () => Promise<Stored>): Promise<Stored> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (n >= ATTEMPTS) throw error;
      await sleep(backoff(n));
    }
  }
}
