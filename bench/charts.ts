import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import { unit, type Entry } from './compare';
import { formatShape, forwardResults } from './gemm-common';
import type { SuiteResults } from './suite';

const SVG_NS = 'http://www.w3.org/2000/svg';
const WIDTH = 760;

interface Swatch {
  readonly label: string;
  readonly color: string;
}

const TITLE_HEIGHT = 28;
const LEGEND_HEIGHT = 22;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function legend(swatches: readonly Swatch[], y: number): string {
  let x = 0;
  return swatches.map(({ label, color }) => {
    const item = `<rect x="${x}" y="${y}" width="12" height="12" fill="${color}" stroke="#6b7280" stroke-width="0.5"/>`
      + `<text x="${x + 17}" y="${y + 10}" font-size="12">${escapeXml(label)}</text>`;
    x += 30 + label.length * 6.2;
    return item;
  }).join('');
}

/** Renders a Plot in Node with a linkedom document, under a title and a legend, as a standalone SVG file. */
function render(title: string, swatches: readonly Swatch[], options: Plot.PlotOptions): string {
  const { document } = parseHTML('<!DOCTYPE html><html><head></head><body></body></html>');
  const svg = Plot.plot({ ...options, document: document as unknown as Document }) as unknown as Element;
  if (svg.tagName.toLowerCase() !== 'svg') throw new Error('Observable Plot produced no bare SVG');
  const width = Number(svg.getAttribute('width'));
  const height = Number(svg.getAttribute('height'));
  const top = TITLE_HEIGHT + (swatches.length ? LEGEND_HEIGHT : 0);
  svg.setAttribute('y', String(top));
  return '<?xml version="1.0" encoding="UTF-8"?>\n'
    + `<svg xmlns="${SVG_NS}" width="${width}" height="${height + top}" viewBox="0 0 ${width} ${height + top}" font-family="system-ui, sans-serif">`
    + `<rect width="100%" height="100%" fill="white"/>`
    + `<text x="0" y="18" font-size="15" font-weight="bold">${escapeXml(title)}</text>`
    + legend(swatches, TITLE_HEIGHT)
    + `${svg.outerHTML}</svg>\n`;
}

interface Bar {
  readonly model: string;
  readonly implementation: string;
  readonly rate: number;
  readonly kind: string;
}

function bars(entries: readonly Entry[], r: SuiteResults, task: 'train' | 'score'): Bar[] {
  const measured = entries.map((e) => ({
    model: e.model, implementation: e.label, rate: e.rate, kind: e.implementation === 'netae' ? KINDS[0].label : KINDS[1].label,
  }));
  const reported = r.reported.filter((f) => f.task === task).map((f) => ({
    model: f.model, implementation: `${f.label} (reported)`, rate: f.rate, kind: KINDS[2].label,
  }));
  return [...measured, ...reported];
}

const KINDS: readonly Swatch[] = [
  { label: 'netae', color: '#2563eb' },
  { label: 'peer, measured in this run', color: '#9ca3af' },
  { label: 'reported, not measured here', color: '#f3f4f6' },
];

function rateChart(data: readonly Bar[], title: string, label: string): string {
  const implementations = [...new Set(data.map((d) => d.implementation))];
  const kinds = KINDS.filter((k) => data.some((d) => d.kind === k.label));
  return render(title, kinds, {
    width: WIDTH, marginLeft: 330, marginRight: 80,
    height: 60 + data.length * 24,
    x: { label, grid: true, tickFormat: 's' },
    y: { label: null, domain: implementations },
    fy: { label: null },
    color: { domain: KINDS.map((k) => k.label), range: KINDS.map((k) => k.color) },
    marks: [
      Plot.barX(data, { x: 'rate', y: 'implementation', fy: 'model', fill: 'kind', stroke: '#6b7280', strokeWidth: 0.5 }),
      Plot.text(data, { x: 'rate', y: 'implementation', fy: 'model', text: (d: Bar) => Math.round(d.rate).toLocaleString('en-US'), textAnchor: 'start', dx: 4 }),
      Plot.ruleX([0]),
    ],
  });
}

interface GemmBar {
  readonly shape: string;
  readonly kernel: string;
  readonly gflops: number;
}

function gemmChart(r: SuiteResults): string {
  const data: GemmBar[] = [
    ...forwardResults(r.gemm.netae).map((g) => ({ shape: formatShape(g.shape), kernel: g.kernel + (g.isDefault ? ' (default)' : ''), gflops: g.gflops })),
    ...r.gemm.tfjsWebgpu.map((g) => ({ shape: formatShape(g.shape), kernel: 'TF.js WebGPU', gflops: g.gflops })),
    ...r.gemm.pytorch.map((g) => ({ shape: formatShape(g.shape), kernel: 'PyTorch', gflops: g.gflops })),
  ];
  const peak = r.peak ? ` (FP32 peak ${r.peak.fp32Tflops * 1000} GFLOP/s)` : '';
  const swatches = [{ label: 'netae, tiled kernels', color: KINDS[0].color }, { label: 'naive baseline and peers', color: KINDS[1].color }];
  return render(`GEMM Y = X·Wᵀ + b, ${r.machine.adapter.name}${peak}`, swatches, {
    width: WIDTH, marginLeft: 170, marginRight: 120,
    height: 60 + data.length * 20,
    x: { label: 'GFLOP/s', grid: true },
    y: { label: null, domain: [...new Set(data.map((d) => d.kernel))] },
    fy: { label: null, domain: [...new Set(data.map((d) => d.shape))] },
    marks: [
      Plot.barX(data, { x: 'gflops', y: 'kernel', fy: 'shape', fill: (d: GemmBar) => (d.kernel.startsWith('netae') ? KINDS[0].color : KINDS[1].color) }),
      Plot.text(data, { x: 'gflops', y: 'kernel', fy: 'shape', text: (d: GemmBar) => d.gflops.toFixed(1), textAnchor: 'start', dx: 4 }),
      Plot.ruleX([0]),
    ],
  });
}

/** SVG charts of a run, by file suffix: training, scoring and GEMM. */
export function charts(r: SuiteResults): Record<'train' | 'score' | 'gemm', string> {
  const where = `${r.machine.adapter.name}, ${r.date.slice(0, 10)}${r.quick ? ', quick' : ''}`;
  return {
    train: rateChart(bars(r.train, r, 'train'), `Training one epoch, batch 256, Adam, ${where}`, `${unit('train')} →`),
    score: rateChart(bars(r.score, r, 'score'), `Scoring, forward + per-row error, ${where}`, `${unit('score')} →`),
    gemm: gemmChart(r),
  };
}
