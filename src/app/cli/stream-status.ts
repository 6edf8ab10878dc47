import cliProgress from 'cli-progress';

/** What a status line shows. */
export interface Progress {
  /** Records done so far. */
  readonly records: number;
  readonly flagged?: number;
  readonly deadLettered?: number;
  /** Messages waiting in the consumer, or null when unknown. */
  readonly pending?: number | null;
}

export interface StatusReporter {
  /** A line for the operator (`netae: ` is prepended). */
  note(text: string): void;
  stop(): void;
}

const count = (n: number) => n.toLocaleString('en-US');

/**
 * Status on standard error while records flow: on a terminal, one line redrawn every second;
 * otherwise (a log, a service manager) one plain line every `intervalS` seconds:
 * `netae: 12,345 records/s, 1,234,567 records, 89 flagged, 0 dead-lettered, 4,096 pending`.
 * `read` is asked for the figures at each tick (it may be slow: pending comes from the server);
 * `verb` names what is done to records (`scored`, `published`).
 */
export function statusReporter(
  read: () => Promise<Progress> | Progress,
  options: { quiet: boolean; intervalS: number; verb: string },
  stream: NodeJS.WriteStream = process.stderr,
): StatusReporter {
  const tty = stream.isTTY === true;
  let bar: cliProgress.SingleBar | null = null;
  let last = { at: performance.now(), records: 0 };
  let ticking = false;
  let stopped = false;

  const line = (p: Progress, rate: number) => {
    const parts = [`${count(Math.round(rate))} records/s`, `${count(p.records)} records ${options.verb}`];
    if (p.flagged !== undefined) parts.push(`${count(p.flagged)} flagged`);
    if (p.deadLettered !== undefined) parts.push(`${count(p.deadLettered)} dead-lettered`);
    if (p.pending !== undefined) parts.push(`${p.pending === null ? '?' : count(p.pending)} pending`);
    return parts.join(', ');
  };

  const tick = async () => {
    if (ticking || stopped) return;
    ticking = true;
    try {
      const p = await read();
      const now = performance.now();
      const rate = ((p.records - last.records) * 1000) / Math.max(now - last.at, 1);
      last = { at: now, records: p.records };
      if (stopped) return;
      if (tty) {
        if (!bar) {
          bar = new cliProgress.SingleBar({ stream, format: '{status}', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
          bar.start(1, 0, { status: '' });
        }
        bar.update(0, { status: line(p, rate).replace(/, /g, ' | ') });
      } else {
        stream.write(`netae: ${line(p, rate)}\n`);
      }
    } catch {
      /* a figure could not be read this time; the next tick tries again */
    } finally {
      ticking = false;
    }
  };

  const timer = options.quiet ? null : setInterval(() => void tick(), (tty ? 1 : options.intervalS) * 1000);
  timer?.unref();
  return {
    note(text) {
      const redraw = bar !== null;
      bar?.stop();
      bar = null;
      stream.write(`netae: ${text}\n`);
      if (redraw) void tick();
    },
    stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      bar?.stop();
      bar = null;
    },
  };
}
