import type { TrainEvent } from '../../model/trainer';
import { lossChart, type LossPoint } from './charts';
import { ChartSlot, byId, format, h, tiles } from './dom';

/** The Training card: the loss curves as epochs end, samples/s as batches run. */
export class TrainingView {
  private readonly chart = new ChartSlot(byId('loss-chart'));
  private points: LossPoint[] = [];
  private epochs = 0;
  private started = 0;
  private seconds = 0;
  private left = '—';
  private stats = { epoch: '—', samples: '—', train: '—', validation: '—' };

  start(epochs: number): void {
    this.points = [];
    this.epochs = epochs;
    this.started = performance.now();
    this.seconds = 0;
    this.left = '—';
    this.stats = { epoch: `0 / ${epochs}`, samples: '—', train: '—', validation: '—' };
    byId('training-card').hidden = false;
    this.state('training', '');
    this.renderStats();
    this.renderChart();
  }

  /** Shows one event; returns the fraction of training done. */
  progress(event: TrainEvent): number {
    this.seconds = (performance.now() - this.started) / 1000;
    this.stats.samples = format.count(Math.round(event.samplesPerSecond));
    const done = event.type === 'step' ? (event.epoch - 1 + event.step / event.steps) / this.epochs : event.epoch / event.epochs;
    this.left = timeLeft(this.seconds, done);
    if (event.type === 'step') {
      this.stats.epoch = `${event.epoch} / ${this.epochs}`;
      this.renderStats();
      return done;
    }
    const steps = event.stepLosses.length;
    event.stepLosses.forEach((loss, s) => this.points.push({ epoch: event.epoch - 1 + (s + 1) / steps, loss, series: 'train, per batch' }));
    this.points.push({ epoch: event.epoch, loss: event.trainLoss, series: 'train' });
    if (event.valLoss !== null) this.points.push({ epoch: event.epoch, loss: event.valLoss, series: 'validation' });
    this.stats = {
      epoch: `${event.epoch} / ${event.epochs}`,
      samples: this.stats.samples,
      train: event.trainLoss.toExponential(3),
      validation: event.valLoss?.toExponential(3) ?? '—',
    };
    this.renderStats();
    this.renderChart();
    return done;
  }

  /** Marks training as over, after `epochs` whole epochs when known. */
  finish(text: string, kind: 'done' | 'warn', epochs?: number): void {
    if (epochs !== undefined) this.stats.epoch = `${epochs} / ${this.epochs}`;
    this.left = '—';
    this.state(text, kind);
    this.renderStats();
  }

  hide(): void {
    byId('training-card').hidden = true;
    this.chart.clear();
  }

  private state(text: string, kind: string): void {
    const pill = byId('train-state');
    pill.textContent = text;
    pill.className = `pill ${kind}`;
  }

  private renderStats(): void {
    tiles(byId('train-stats'), [
      ['stat-epoch', 'Epoch', this.stats.epoch],
      ['stat-samples', 'Samples/s', this.stats.samples],
      ['stat-train-loss', 'Train loss', this.stats.train],
      ['stat-val-loss', 'Validation loss', this.stats.validation],
      ['stat-time', 'Time', `${this.seconds.toFixed(1)} s`],
      ['stat-left', 'Time left', this.left],
    ]);
  }

  private renderChart(): void {
    const points = this.points;
    const epochs = Math.max(1, ...points.map((p) => p.epoch));
    if (points.length === 0) this.chart.show(() => h('p', { class: 'muted' }, 'The loss curves appear as the first epoch ends.'));
    else this.chart.show((width) => lossChart(points, epochs, width));
  }
}

/**
 * The time the remaining epochs take at the pace so far: elapsed · (1 − done) / done, an upper
 * bound when early stopping may end training sooner. None before 2% is done (too early to say).
 */
export function timeLeft(seconds: number, done: number): string {
  if (!(done >= 0.02) || done >= 1) return '—';
  const left = Math.round((seconds * (1 - done)) / done);
  const text = left < 60 ? `${left} s` : `${Math.floor(left / 60)} min ${String(left % 60).padStart(2, '0')} s`;
  return `≈ ${text}`;
}
