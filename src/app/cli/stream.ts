import { readNamesFile } from '../../pipeline/io-node';
import { detectorScorer, requireThreshold, type Detector } from '../detector';
import { keepOf, keptColumns } from '../keep';
import { connectNats, describe, drainWithin, serversFrom, type Credentials } from '../stream/connection';
import { messageDecoder, missingColumns } from '../stream/decode';
import { AsyncPublisher, jetStreamBus, manager, openInput, streamFor, subjectProblem } from '../stream/jetstream';
import { RESULT_FIELDS, WIRE_FORMATS, type Wire, type WireFormat } from '../stream/wire';
import { runWorker, type Tally } from '../stream/worker';
import { UsageError } from './errors';
import { onSignal, onStopSay } from './exit';
import { withGpu } from './gpu';
import { readDetector } from './model-file';
import { credentialsOf } from './nats-options';
import { statusReporter, type StatusReporter } from './stream-status';

export interface StreamFlags extends Credentials {
  model: string;
  server?: string;
  input: string;
  output: string;
  alerts?: string;
  deadLetter: string;
  consumer: string;
  format: string;
  names?: string;
  batch?: number;
  inFlight?: number;
  ackWait?: number;
  statusInterval?: number;
  quiet?: boolean;
  /** Input columns each result carries (`none` for none; default: the preset's). */
  keep?: string[];
}

/** Records pulled and scored at a time unless told: a GPU-sized batch, as `netae score` reads. */
const BATCH = 8192;

/** The wire the worker reads, checked against the model: delimited lines need names holding every feature column. */
export async function wireOf(format: string, namesFile: string | undefined, detector: Detector): Promise<Wire> {
  if (!WIRE_FORMATS.includes(format as WireFormat)) throw new UsageError(`unknown --format "${format}"; expected ${WIRE_FORMATS.join(', ')}`);
  if (format === 'json') {
    if (namesFile !== undefined) throw new UsageError('--names is for zeek, csv and tsv lines; JSON records name their fields');
    return { format: 'json', names: null };
  }
  const names = namesFile !== undefined ? (await readNamesFile(namesFile)).names : detector.featurizer.schema.read.names ?? null;
  if (names === null) {
    throw new UsageError(`--format ${format} needs the order of the fields: --names FILE (one name per line); the model does not record one`);
  }
  const missing = missingColumns(detector.featurizer, names);
  if (missing.length > 0) {
    throw new UsageError(`the ${format} lines lack the model's column(s) ${missing.map((c) => `"${c}"`).join(', ')}${namesFile ? ` (names from ${namesFile})` : ''}`);
  }
  return { format: format as WireFormat, names };
}

/**
 * The columns each result carries: for delimited lines those of `--keep` the lines have (all of
 * them when given), for JSON records all of them (null in a result whose record lacks one).
 */
export function resultColumns(flag: string[] | undefined, wire: Wire, detector: Detector): string[] {
  const label = detector.featurizer.schema.label;
  try {
    const keep = keepOf(flag, detector.featurizer.schema, RESULT_FIELDS);
    if (wire.names === null) return keep.columns.filter((c) => c !== label);
    return keptColumns(keep, wire.names, `the ${wire.format} lines`, label === null ? [] : [label]);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * A worker: scores the records of a JetStream subject with a model and publishes the results,
 * sharing a durable consumer with any other worker of the same `--consumer` name, until SIGTERM.
 */
export async function streamCommand(flags: StreamFlags): Promise<void> {
  const detector = requireThreshold(await readDetector(flags.model), flags.model);
  const wire = await wireOf(flags.format, flags.names, detector);
  const kept = resultColumns(flags.keep, wire, detector);
  const credentials = credentialsOf(flags);
  const subjects = [flags.output, flags.deadLetter, ...(flags.alerts === undefined ? [] : [flags.alerts])];
  const problem = subjectProblem(flags.input, true) ?? subjects.map((s) => subjectProblem(s, false)).find((p) => p !== null);
  if (problem) throw new UsageError(problem);
  if (subjects.some((s) => s === flags.input) || new Set(subjects).size !== subjects.length) {
    throw new UsageError('--input, --output, --alerts and --dead-letter must be different subjects');
  }
  const stop = new AbortController();
  let tally: Tally = { messages: 0, records: 0, flagged: 0, deadLettered: 0, duplicates: 0, abandoned: 0 };
  let pending: () => Promise<number | null> = async () => null;
  const status: StatusReporter = statusReporter(
    async () => ({ records: tally.records, flagged: tally.flagged, deadLettered: tally.deadLettered, pending: await pending() }),
    { quiet: flags.quiet === true, intervalS: flags.statusInterval ?? 10, verb: 'scored' },
  );
  const note = (text: string) => status.note(text);
  const release = onSignal('SIGTERM', () => {
    note('SIGTERM: finishing the batches in hand, then stopping');
    stop.abort();
  });
  const unsay = onStopSay(() => `${count(tally.records)} records in ${count(tally.messages)} messages scored and their results published; the messages in hand are left to be delivered again`);
  try {
    const nc = await connectNats(serversFrom(flags.server, process.env), credentials, `netae stream ${flags.consumer}`, note);
    try {
      const jsm = await manager(nc);
      const input = await openInput(nc, jsm, { input: flags.input, consumer: flags.consumer, ackWaitMs: (flags.ackWait ?? 30) * 1000 }, note);
      pending = input.pending;
      for (const subject of subjects) {
        const stream = await streamFor(jsm, subject, note);
        if (stream === input.stream) throw new UsageError(`subject ${subject} is stored by the input stream ${stream}: its messages would be scored again`);
      }
      await withGpu(async (gpu) => {
        const scorer = detectorScorer(gpu, detector, { chunkRows: flags.batch ?? BATCH, source: flags.model });
        const publisher = new AsyncPublisher(nc);
        let lastRetry = 0;
        try {
          tally = await runWorker(
            jetStreamBus(nc, input.consumer, publisher),
            messageDecoder(detector, wire, kept),
            (matrix) => scorer.score(matrix),
            {
              stream: input.stream,
              output: flags.output,
              alerts: flags.alerts ?? null,
              deadLetter: flags.deadLetter,
              threshold: detector.threshold,
              batch: flags.batch ?? BATCH,
              inFlight: flags.inFlight ?? 2,
            },
            stop.signal,
            {
              acknowledged: (t) => (tally = { ...t }),
              retrying: (what, error, delayMs) => {
                if (performance.now() - lastRetry < 5000) return;
                lastRetry = performance.now();
                note(`${what === 'pull' ? 'pulling records' : 'publishing results'} failed (${describe(error)}); retrying in ${(delayMs / 1000).toFixed(1)} s`);
              },
            },
          );
        } finally {
          publisher.close();
          scorer.release();
        }
      });
    } finally {
      await drainWithin(nc);
    }
    status.stop();
    const left = tally.abandoned > 0 ? `; ${count(tally.abandoned)} messages left unacknowledged, to be delivered again` : '';
    if (!flags.quiet || left) {
      note(`stopped: ${count(tally.records)} records in ${count(tally.messages)} messages scored, ${count(tally.flagged)} flagged, ${count(tally.deadLettered)} dead-lettered${left}`);
    }
  } finally {
    status.stop();
    release();
    unsay();
  }
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}
