import { HISTOGRAM_MARGIN, curvePoints, histogramChart, prChart, rocChart, scoreBins, type Bin, type CurvePoint } from './charts';
import { ChartSlot, byId, format, h, tiles } from './dom';
import { formatDrivers } from '../explain';
import { driversAt, type DriversAt } from './drivers';
import type { Result } from './protocol';
import { LogScale, ThresholdIndex, type AtThreshold } from './threshold';

interface Shown {
  readonly result: Result;
  readonly index: ThresholdIndex;
  readonly scale: LogScale;
  readonly bins: Bin[];
  readonly prevalence: number;
  readonly roc: CurvePoint[] | null;
  readonly pr: CurvePoint[] | null;
}

const CARDS = ['scores-card', 'roc-card', 'pr-card', 'categories-card', 'flagged-card'];

/** Half the width of the slider's thumb (styles.css): its centre travels from this far inside each end. */
const THUMB_HALF = 8;

/** Everything shown after scoring; the threshold slider updates the metrics at once and the charts on the next frame. */
export class ResultsView {
  /** Called with the threshold each time it changes (slider or buttons). */
  onThreshold: (threshold: number) => void = () => undefined;
  private shown: Shown | null = null;
  private current = Number.NaN;
  private frame = 0;
  private readonly slider = byId<HTMLInputElement>('threshold');
  private readonly modelButton = byId<HTMLButtonElement>('model-threshold');
  private readonly bestButton = byId<HTMLButtonElement>('best-threshold');
  private readonly histogram = new ChartSlot(byId('histogram'));
  private readonly roc = new ChartSlot(byId('roc'));
  private readonly pr = new ChartSlot(byId('pr'));

  constructor() {
    const track = byId('threshold-track');
    track.style.paddingLeft = `${HISTOGRAM_MARGIN.left - THUMB_HALF}px`;
    track.style.paddingRight = `${HISTOGRAM_MARGIN.right - THUMB_HALF}px`;
    this.slider.addEventListener('input', () => {
      if (this.shown) this.setThreshold(this.shown.scale.fromStep(Number(this.slider.value)), false);
    });
    this.modelButton.addEventListener('click', () => {
      if (this.shown) this.setThreshold(this.shown.result.summary.threshold, true);
    });
    this.bestButton.addEventListener('click', () => {
      const best = this.shown?.result.bestF1Threshold;
      if (best !== undefined && best !== null) this.setThreshold(best, true);
    });
  }

  /** The threshold on screen. */
  get threshold(): number {
    return this.current;
  }

  show(result: Result): void {
    const scale = new LogScale(result.scores);
    const unlabelled = result.labels?.unlabelled?.reduce((n, u) => n + u, 0) ?? 0;
    const anomalies = (result.labels?.isAnomaly.reduce((n, a) => n + a, 0) ?? 0) - unlabelled;
    this.shown = {
      result,
      index: new ThresholdIndex(result.scores, result.labels),
      scale,
      bins: scoreBins(result.scores, result.labels, scale.domain),
      prevalence: anomalies / Math.max(1, result.scores.length - unlabelled),
      roc: result.roc && curvePoints(result.roc),
      pr: result.pr && curvePoints(result.pr),
    };
    for (const id of CARDS) byId(id).hidden = false;
    byId('roc-card').hidden = result.roc === null;
    byId('pr-card').hidden = result.pr === null;
    byId('categories-card').hidden = result.labels === null;
    byId('roc-auc').textContent = result.rocAuc === null ? '' : `AUC ${result.rocAuc.toFixed(4)}`;
    byId('pr-auc').textContent = result.prAuc === null ? '' : `AUC ${result.prAuc.toFixed(4)}`;
    this.bestButton.disabled = result.bestF1Threshold === null;
    const rows = `${format.count(result.scores.length)} rows of ${result.data}`;
    const without = unlabelled > 0 ? `, ${format.count(unlabelled)} without a label or neither normal nor an attack (left out of the measures)` : '';
    const labels = result.labels ? `, ${format.count(anomalies)} labelled anomalous${without}` : ', unlabelled';
    const caveat = result.scoredTrainingData ? ' (the file trained on: its normal rows were seen in training)' : '';
    byId('scored-data').textContent = rows + labels + caveat;
    this.setThreshold(result.summary.threshold, true);
  }

  hide(): void {
    this.shown = null;
    this.current = Number.NaN;
    cancelAnimationFrame(this.frame);
    for (const id of CARDS) byId(id).hidden = true;
    for (const slot of [this.histogram, this.roc, this.pr]) slot.clear();
  }

  private setThreshold(threshold: number, moveSlider: boolean): void {
    if (!this.shown) return;
    this.current = threshold;
    if (moveSlider) this.slider.value = String(this.shown.scale.toStep(threshold));
    const at = this.shown.index.at(threshold);
    byId('threshold-value').textContent = format.score(threshold);
    this.modelButton.setAttribute('aria-pressed', String(threshold === this.shown.result.summary.threshold));
    this.bestButton.setAttribute('aria-pressed', String(threshold === this.shown.result.bestF1Threshold));
    renderMetrics(at, this.shown.result.scores.length);
    renderCategories(at, driversAt(this.shown.result, threshold, DRIVERS_SHOWN));
    this.onThreshold(threshold);
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => this.renderCharts(at));
  }

  private renderCharts(at: AtThreshold): void {
    if (!this.shown) return;
    const { bins, scale, prevalence, roc, pr } = this.shown;
    this.histogram.show((width) => histogramChart(bins, at.threshold, scale.domain, width));
    if (roc) this.roc.show((width) => rocChart(roc, { fpr: at.fpr, tpr: at.recall }, width));
    if (pr) {
      const point = { recall: at.recall, precision: at.flagged ? at.precision : 1 };
      this.pr.show((width) => prChart(pr, point, prevalence, width));
    }
  }
}

function renderMetrics(at: AtThreshold, rows: number): void {
  const flagged = `${format.count(at.flagged)} (${format.percent(at.flagged / rows)})`;
  const c = at.confusion;
  tiles(byId('metrics'), c === null ? [['metric-flagged', 'Flagged', flagged]] : [
    ['metric-flagged', 'Flagged', flagged],
    ['metric-precision', 'Precision', format.ratio(at.precision)],
    ['metric-recall', 'Recall', format.ratio(at.recall)],
    ['metric-f1', 'F1', format.ratio(at.f1)],
    ['metric-fpr', 'False-positive rate', format.ratio(at.fpr)],
    ['metric-accuracy', 'Accuracy', format.ratio(at.accuracy)],
  ]);
  const table = byId('confusion');
  if (c === null) {
    table.replaceChildren();
    return;
  }
  const cell = (n: number, of: number, good: boolean, id: string) =>
    h('td', { id, class: good ? 'good' : 'bad' }, format.count(n), h('small', {}, of ? format.percent(n / of) : '—'));
  table.replaceChildren(
    h('caption', { class: 'muted' }, 'Confusion matrix'),
    h('tr', {}, h('th'), h('th', {}, 'flagged normal'), h('th', {}, 'flagged anomalous')),
    h('tr', {}, h('th', {}, 'normal'), cell(c.tn, c.tn + c.fp, true, 'confusion-tn'), cell(c.fp, c.tn + c.fp, false, 'confusion-fp')),
    h('tr', {}, h('th', {}, 'anomalous'), cell(c.fn, c.fn + c.tp, false, 'confusion-fn'), cell(c.tp, c.fn + c.tp, true, 'confusion-tp')),
  );
}

/** Features shown per category as the drivers of its detections. */
const DRIVERS_SHOWN = 3;

const DRIVERS_TITLE = "the features with the largest mean share of the row score over the category's flagged rows";

function renderCategories(at: AtThreshold, drivers: DriversAt): void {
  const rows = [...at.categories].sort((a, b) => Number(b.category === 'normal') - Number(a.category === 'normal'));
  const partial = drivers.rows < at.flagged;
  byId('categories').replaceChildren(
    ...(partial ? [h('caption', { class: 'muted' }, `Drivers from the ${format.count(drivers.rows)} highest-scoring of the ${format.count(at.flagged)} flagged rows`)] : []),
    h('thead', {}, h('tr', {},
      h('th', {}, 'Category'), h('th', { class: 'num' }, 'Rows'), h('th', { class: 'num' }, 'Flagged'), h('th', {}, 'Detection rate'),
      h('th', { title: DRIVERS_TITLE }, 'Drivers (share of error)'))),
    h('tbody', {}, ...rows.map((r) => {
      const normal = r.category === 'normal';
      const d = drivers.byCategory.get(r.category);
      return h('tr', {},
        h('td', {}, h('span', { class: `tag ${normal ? 'normal' : 'anomalous'}` }, r.category)),
        h('td', { class: 'num' }, format.count(r.rows)),
        h('td', { class: 'num' }, format.count(r.flagged)),
        h('td', { title: normal ? 'normal rows flagged: false positives' : 'rows of this category flagged' },
          h('div', { class: 'rate' }, h('div', { class: `bar ${normal ? 'normal' : ''}` }, barFill(r.rate)), h('span', {}, format.percent(r.rate)))),
        h('td', { class: 'drivers' }, d ? formatDrivers(d) : h('span', { class: 'muted' }, '—')),
      );
    })),
  );
}

function barFill(rate: number): HTMLElement {
  const fill = h('span');
  fill.style.width = `${(rate * 100).toFixed(1)}%`;
  return fill;
}
