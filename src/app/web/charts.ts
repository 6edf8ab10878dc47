import * as Plot from '@observablehq/plot';
import type { Curve, PageLabels } from './protocol';

const COLORS = {
  normal: '#2563eb',
  anomalous: '#dc2626',
  all: '#64748b',
  batches: '#c7d2fe',
  train: '#4f46e5',
  validation: '#f59e0b',
  threshold: '#0f172a',
  curve: '#4f46e5',
} as const;

type Chart = ReturnType<typeof Plot.plot>;

const STYLE = { fontSize: '12px', overflow: 'visible' } as const;

export interface LossPoint {
  readonly epoch: number;
  readonly loss: number;
  readonly series: 'train, per batch' | 'train' | 'validation';
}

/** Training and validation loss by epoch over the first `epochs`, with the per-batch losses behind them. */
export function lossChart(points: readonly LossPoint[], epochs: number, width: number): Chart {
  const series = (name: LossPoint['series']) => points.filter((p) => p.series === name);
  return Plot.plot({
    width,
    height: 240,
    marginLeft: 56,
    style: STYLE,
    x: { domain: [0, Math.max(1, epochs)], label: 'epoch' },
    y: { type: 'log', label: 'loss (MSE)', grid: true, tickFormat: '~g' },
    color: {
      legend: true,
      domain: ['train, per batch', 'train', 'validation'],
      range: [COLORS.batches, COLORS.train, COLORS.validation],
    },
    marks: [
      Plot.line(series('train, per batch'), { x: 'epoch', y: 'loss', stroke: 'series', strokeWidth: 1 }),
      Plot.line(series('train'), { x: 'epoch', y: 'loss', stroke: 'series', strokeWidth: 2 }),
      Plot.dot(series('train'), { x: 'epoch', y: 'loss', fill: 'series', r: 2.5 }),
      Plot.line(series('validation'), { x: 'epoch', y: 'loss', stroke: 'series', strokeWidth: 2 }),
      Plot.dot(series('validation'), { x: 'epoch', y: 'loss', fill: 'series', r: 2.5 }),
    ],
  });
}

export interface Bin {
  readonly x1: number;
  readonly x2: number;
  /** Share of the class's rows that fall in the bin. */
  readonly share: number;
  readonly group: 'normal' | 'anomalous' | 'all rows';
}

/** Scores binned on a log scale, per class when there are labels (rows without one in neither). */
export function scoreBins(scores: Float32Array, labels: PageLabels | null, [lo, hi]: [number, number], count = 60): Bin[] {
  const isAnomaly = labels?.isAnomaly ?? null;
  const step = Math.log(hi / lo) / count;
  const edges = Array.from({ length: count + 1 }, (_, k) => lo * Math.exp(k * step));
  const groups = isAnomaly ? (['normal', 'anomalous'] as const) : (['all rows'] as const);
  const counts = groups.map(() => new Float64Array(count));
  const totals = groups.map(() => 0);
  scores.forEach((s, i) => {
    if (labels?.unlabelled?.[i] === 1) return;
    const g = isAnomaly ? isAnomaly[i] : 0;
    const k = Math.min(count - 1, Math.max(0, Math.floor(Math.log(Math.max(s, lo) / lo) / step)));
    counts[g][k]++;
    totals[g]++;
  });
  return groups.flatMap((group, g) => Array.from(counts[g], (n, k) => ({
    x1: edges[k], x2: edges[k + 1], share: totals[g] ? n / totals[g] : 0, group,
  })).filter((b) => b.share > 0));
}

/** The histogram's horizontal margins: the threshold slider under it spans the same x axis. */
export const HISTOGRAM_MARGIN = { left: 48, right: 24 } as const;

/** The score histogram of each class with the threshold drawn across it. */
export function histogramChart(bins: readonly Bin[], threshold: number, domain: [number, number], width: number): Chart {
  return Plot.plot({
    width,
    height: 260,
    marginLeft: HISTOGRAM_MARGIN.left,
    marginRight: HISTOGRAM_MARGIN.right,
    style: STYLE,
    x: { type: 'log', domain, label: 'score: reconstruction error (log scale)', tickFormat: '~g' },
    y: { label: 'share of rows', grid: true, tickFormat: '.0%' },
    color: {
      legend: true,
      domain: ['normal', 'anomalous', 'all rows'].filter((g) => bins.some((b) => b.group === g)),
      range: bins.some((b) => b.group === 'all rows') ? [COLORS.all] : [COLORS.normal, COLORS.anomalous],
    },
    marks: [
      Plot.rect(bins, { x1: 'x1', x2: 'x2', y1: 0, y2: 'share', fill: 'group', fillOpacity: 0.55, inset: 0.5 }),
      Plot.ruleY([0]),
      Plot.ruleX([threshold], { stroke: COLORS.threshold, strokeWidth: 2, strokeDasharray: '5 3' }),
      Plot.text([threshold], { x: (t: number) => t, frameAnchor: 'top', text: () => 'threshold', textAnchor: 'start', dx: 5, dy: 4, fill: COLORS.threshold, stroke: 'white', strokeWidth: 4, paintOrder: 'stroke' }),
    ],
  });
}

export interface CurvePoint {
  readonly x: number;
  readonly y: number;
}

/** A curve as the points its chart draws. */
export function curvePoints(curve: Curve): CurvePoint[] {
  return Array.from(curve.x, (x, i) => ({ x, y: curve.y[i] }));
}

interface CurveChart {
  readonly points: readonly CurvePoint[];
  /** The operating point at the current threshold. */
  readonly at: CurvePoint;
  readonly x: string;
  readonly y: string;
  /** A reference line: the diagonal of a random ROC, or a PR curve's prevalence. */
  readonly baseline: [number, number][];
}

function curveChart({ points, at, x, y, baseline }: CurveChart, width: number): Chart {
  return Plot.plot({
    width,
    height: Math.round(Math.min(300, width * 0.8)),
    marginLeft: 44,
    style: STYLE,
    x: { domain: [0, 1], label: x, grid: true },
    y: { domain: [0, 1], label: y, grid: true },
    marks: [
      Plot.line(baseline, { stroke: '#94a3b8', strokeDasharray: '4 4' }),
      Plot.areaY(points, { x: 'x', y1: 0, y2: 'y', fill: COLORS.curve, fillOpacity: 0.08 }),
      Plot.line(points, { x: 'x', y: 'y', stroke: COLORS.curve, strokeWidth: 2 }),
      Plot.dot([at], { x: 'x', y: 'y', r: 5, fill: COLORS.threshold, stroke: 'white' }),
    ],
  });
}

export function rocChart(points: readonly CurvePoint[], at: { fpr: number; tpr: number }, width: number): Chart {
  return curveChart({
    points, at: { x: at.fpr, y: at.tpr }, x: 'false-positive rate', y: 'true-positive rate (recall)', baseline: [[0, 0], [1, 1]],
  }, width);
}

export function prChart(points: readonly CurvePoint[], at: { recall: number; precision: number }, prevalence: number, width: number): Chart {
  return curveChart({
    points, at: { x: at.recall, y: at.precision }, x: 'recall', y: 'precision', baseline: [[0, prevalence], [1, prevalence]],
  }, width);
}
