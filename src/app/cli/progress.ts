import cliProgress from 'cli-progress';
import type { TrainEvent } from '../../model/trainer';
import { printable } from '../../pipeline/errors';
import { formatCell } from '../format';

/** A note or a warning on standard error, as every command gives them: one line, as `printable` writes it. */
export function notice(kind: 'note' | 'warning', text: string): void {
  process.stderr.write(`netae: ${kind}: ${printable(text)}\n`);
}

export interface Reporter {
  training(event: TrainEvent): void;
  /** Rows done so far by the step that `verb` names (`scored`, `read`): a count and a rate on a terminal. */
  rows(verb: string, rows: number): void;
  note(text: string): void;
  stop(): void;
}

/**
 * Progress on standard error: a bar on a terminal, one plain line per epoch otherwise, and
 * nothing at all when `quiet` (for `--json` runs that pipe stdout). `bars` false draws none on a
 * terminal either: where results are printed to it, a bar would be drawn over them.
 */
export function reporter(quiet: boolean, stream: NodeJS.WriteStream = process.stderr, bars = true): Reporter {
  const tty = bars && stream.isTTY === true;
  let bar: cliProgress.SingleBar | null = null;
  let started = 0;
  let counting = '';
  const stopBar = () => {
    bar?.stop();
    bar = null;
    counting = '';
  };
  const write = (text: string) => {
    if (quiet) return;
    stopBar();
    stream.write(`${text}\n`);
  };
  return {
    training(event) {
      if (quiet) return;
      if (event.type === 'step') {
        if (!tty) return;
        if (counting !== '') stopBar();
        if (!bar) {
          bar = new cliProgress.SingleBar({
            stream,
            format: 'epoch {epoch} |{bar}| {value}/{total} steps | {speed} samples/s',
            hideCursor: true,
            clearOnComplete: true,
          }, cliProgress.Presets.shades_classic);
          bar.start(event.steps, event.step, { epoch: event.epoch, speed: formatCell(Math.round(event.samplesPerSecond)) });
        }
        bar.update(event.step, { epoch: event.epoch, speed: formatCell(Math.round(event.samplesPerSecond)) });
        return;
      }
      if (event.epoch === 1) write('(* marks an epoch with a new best validation loss: the weights kept are those of the last *)');
      const val = event.valLoss === null ? '' : `  val ${event.valLoss.toExponential(3)}`;
      write(`epoch ${event.epoch}/${event.epochs}  train ${event.trainLoss.toExponential(3)}${val}  ${formatCell(Math.round(event.samplesPerSecond))} samples/s  ${event.seconds.toFixed(1)} s${event.best ? '  *' : ''}`);
    },
    rows(verb, rows) {
      if (quiet || !tty) return;
      if (counting !== verb) {
        stopBar();
        counting = verb;
        started = performance.now();
        bar = new cliProgress.SingleBar({ stream, format: `${verb} {value} rows | {speed} rows/s`, hideCursor: true }, cliProgress.Presets.shades_classic);
        bar.start(Number.MAX_SAFE_INTEGER, 0, { speed: '—' });
      }
      const seconds = (performance.now() - started) / 1000;
      bar!.update(rows, { speed: formatCell(Math.round(rows / Math.max(seconds, 1e-3))) });
    },
    note: write,
    stop: stopBar,
  };
}
