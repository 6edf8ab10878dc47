import { adapterTitle } from '../src/gpu/device';
import { int, unit, type Entry } from './compare';
import { formatShape, forwardResults } from './gemm-common';
import { ratioOf } from './report';
import type { SuiteResults } from './suite';

const gflops = (x: number) => (x >= 100 ? int(x) : x.toFixed(1));
const times = (x: number | null) => (x === null ? '—' : `${x >= 10 ? x.toFixed(0) : x.toFixed(2)}×`);

function table(header: readonly string[], rows: readonly (readonly string[])[], numeric: readonly boolean[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(numeric.map((n) => (n ? '---:' : '---'))), ...rows.map(line)].join('\n');
}

function entryTable(entries: readonly Entry[], task: 'train' | 'score'): string {
  const training = task === 'train';
  const header = ['model', 'implementation', 'rows', unit(task), ...(training ? ['ms/step', 'mean loss'] : []), 'netae ÷ it'];
  const rows = entries.map((e) => [
    e.model, e.label, int(e.rows), `**${int(e.rate)}**`,
    ...(training ? [e.msPerStep === undefined ? '—' : e.msPerStep.toFixed(2), e.loss === undefined ? '—' : e.loss.toFixed(4)] : []),
    e.implementation === 'netae' ? '—' : times(e.ratio),
  ]);
  return table(header, rows, header.map((_, i) => i >= 2));
}

function gemmTable(r: SuiteResults): string {
  const netae = forwardResults(r.gemm.netae);
  const kernels = [...new Set(netae.map((g) => g.kernel))];
  const shapes = [...new Map(netae.map((g) => [formatShape(g.shape), g.shape])).values()];
  const withPeak = r.peak !== null;
  const header = ['M×K×N', ...kernels.map((k) => `${k} GFLOP/s`), 'TF.js WebGPU GFLOP/s', 'PyTorch GFLOP/s', ...(withPeak ? ['best netae, % of FP32 peak'] : [])];
  const same = (a: readonly number[], b: readonly number[]) => a.every((v, i) => v === b[i]);
  const rows = shapes.map((shape) => {
    const ours = netae.filter((g) => same(g.shape, shape));
    const cell = (kernel: string) => {
      const g = ours.find((o) => o.kernel === kernel);
      return g ? (g.isDefault ? `**${gflops(g.gflops)}**` : gflops(g.gflops)) : '—';
    };
    const tf = r.gemm.tfjsWebgpu.find((g) => same(g.shape, shape));
    const pt = r.gemm.pytorch.find((g) => same(g.shape, shape));
    const best = Math.max(...ours.filter((o) => o.kernel.startsWith('netae')).map((o) => o.peakFraction ?? 0));
    return [
      formatShape(shape), ...kernels.map(cell), tf ? gflops(tf.gflops) : '—', pt ? gflops(pt.gflops) : '—',
      ...(withPeak ? [`${(100 * best).toFixed(1)}%`] : []),
    ];
  });
  return table(header, rows, header.map((_, i) => i > 0));
}

function machineLine(r: SuiteResults): string {
  const m = r.machine;
  return `Adapter **${adapterTitle(m.adapter)}** (${m.adapter.vendor || 'unknown vendor'}, ${m.adapter.backend}${m.adapter.isCpuAdapter ? ', a CPU adapter' : ''}); `
    + `CPU ${m.cpu.model}, ${m.cpu.cores} cores, ${m.memoryGiB} GiB; Node ${m.node}; ${m.os}.`;
}

/** The run as Markdown: what ran where, the tables, the targets and every note. */
export function toMarkdown(r: SuiteResults): string {
  const date = r.date.slice(0, 10);
  const peak = r.peak
    ? `FP32 peak of this GPU: ${r.peak.fp32Tflops} TFLOP/s (${r.peak.gpu}; ${r.peak.source}).`
    : 'FP32 peak: this adapter is not in `bench/peaks.ts`, so no share of peak is given.';
  const parts = [
    `# netae benchmarks: ${r.machine.adapter.name}, ${date}${r.quick ? ' (quick)' : ''}`,
    `${machineLine(r)} ${peak}`,
    `Workload: the canonical ${int(r.workload.rows)} rows × ${r.workload.cols} features (fewer where a row count says so), `
      + `batch ${r.workload.batch}, Adam lr ${r.workload.lr.toExponential()}, one epoch timed after a warm-up; models `
      + `${r.workload.models.map((m) => `${m.name} ${m.spec}`).join(', ')}. Scoring is forward and per-row error, upload and read-back included. `
      + `“netae ÷ it” above 1 means netae is faster. Suite time: ${int(r.seconds)} s.`,
    '## Training, samples/s',
    entryTable(r.train, 'train'),
    '## Scoring, rows/s',
    entryTable(r.score, 'score'),
    '## GEMM forward, Y = X·Wᵀ + b, GFLOP/s',
    'netae: GPU timestamps, the default tiling in bold; TF.js: its kernel time from `tf.time`; PyTorch: `torch.addmm`, FP32 with TF32 off.',
    gemmTable(r),
    `## Targets ${r.machine.adapter.isCpuAdapter ? 'on a CPU adapter' : 'on a GPU'}`,
    table(['target', 'goal', 'this run', 'met'], r.targets.map((t) => [t.name, t.goal, t.value ?? 'not measured', t.met === null ? '—' : t.met ? 'yes' : 'no']), [false, false, true, false]),
  ];
  if (r.reported.length) {
    parts.push(
      '## Reported, not measured in this run',
      table(['task', 'model', 'implementation', 'figure', 'netae ÷ it', 'source'], r.reported.map((f) => {
        const ours = (f.task === 'train' ? r.train : r.score).find((e) => e.implementation === 'netae' && e.model === f.model);
        return [f.task, f.model, f.label, `${int(f.rate)} ${unit(f.task)}`, times(ours ? ours.rate / f.rate : null), f.source];
      }), [false, false, false, true, true, false]),
    );
  }
  const status = [...r.peers, r.pytorch].map((p) => `- ${p.label}: ${p.status}${p.device ? ` on ${p.device}` : ''}${p.detail ? ` (${p.detail})` : ''}`);
  parts.push('## End to end', endToEndLine(r));
  parts.push('## Runs and notes', [...status, ...r.notes.map((n) => `- ${n}`)].join('\n'));
  return `${parts.join('\n\n')}\n`;
}

function pivot(entries: readonly Entry[], models: readonly string[]): string {
  const implementations = [...new Map(entries.map((e) => [e.implementation, e.label])).entries()];
  const header = ['implementation', ...models.flatMap((m) => [m, 'netae ÷ it'])];
  const rows = implementations.map(([id, label]) => [
    id === 'netae' ? `**${label}**` : label,
    ...models.flatMap((m) => {
      const e = entries.find((x) => x.implementation === id && x.model === m);
      if (!e) return ['—', '—'];
      const sameRows = e.rows === entries.find((x) => x.implementation === 'netae' && x.model === m)?.rows;
      return [`${int(e.rate)}${sameRows ? '' : ` (${int(e.rows)} rows)`}`, id === 'netae' ? '—' : times(e.ratio)];
    }),
  ]);
  return table(header, rows, header.map((_, i) => i > 0));
}

/** `netae score` on a big CSV, whole and in parts: rows/s, MB/s, peak memory and CPU time a row, or why it was skipped. */
function endToEndLine(r: SuiteResults): string {
  if (r.endToEnd.status === 'skipped') return `\`netae score\` end to end: skipped, ${r.endToEnd.detail}.`;
  const rows = r.endToEnd.rows;
  const first = rows[0];
  const cell = (v: unknown) => (typeof v === 'number' ? int(v) : String(v ?? '—'));
  const micro = (v: unknown) => (typeof v === 'number' ? v.toFixed(v >= 10 ? 1 : 2) : String(v ?? '—'));
  const notes = r.endToEnd.notes ?? [];
  return [
    `\`netae score\` on ${first?.workload}, ${cell(first?.['input MB'])} MB, ${cell(first?.rows)} rows, output to /dev/null `
      + '(decode: the records into feature rows; decode+score: also scored, no output; kernels: scoring rows already in memory; '
      + 'CPU µs/row: the CPU time of all the process\'s threads a row; the last two rows compare the command with the kernels):',
    ...(notes.length ? [notes.map((n) => `- ${n}`).join('\n')] : []),
    table(
      ['measure', 'threads', 'rows/s', 'MB/s', 'peak RSS MB', 'CPU µs/row', 'ratio'],
      rows.map((row) => {
        const ratio = ratioOf(row);
        return ratio === null
          ? [cell(row.measure), cell(row.threads), cell(row['rows/s']), cell(row['MB/s']), cell(row['peak RSS MB']), micro(row['CPU µs/row']), '—']
          : [cell(row.measure), cell(row.threads), '—', '—', '—', '—', times(ratio)];
      }),
      [false, true, true, true, true, true, true],
    ),
  ].join('\n\n');
}

/** The summary for the project README: training, scoring and GEMM, with links to the whole report. */
export function toReadmeSection(r: SuiteResults, links: { markdown: string; charts: Record<string, string> }): string {
  const models = r.workload.models.map((m) => m.name);
  const m = r.machine;
  const chartLinks = Object.entries(links.charts).map(([name, href]) => `[${name}](${href})`).join(', ');
  return [
    `Latest run: ${r.date.slice(0, 10)}${r.quick ? ' (quick)' : ''}, adapter **${adapterTitle(m.adapter)}** `
      + `(${m.adapter.backend}), CPU ${m.cpu.model} × ${m.cpu.cores} cores, Node ${m.node}. `
      + `Whole report: [${links.markdown.split('/').pop()}](${links.markdown}); charts: ${chartLinks}.`,
    `Training, one epoch (batch ${r.workload.batch}, Adam lr ${r.workload.lr.toExponential()}), samples/s; “netae ÷ it” above 1: netae is faster:`,
    pivot(r.train, models),
    'Scoring, forward and per-row error, rows/s:',
    pivot(r.score, models),
    'GEMM forward `Y = X·Wᵀ + b`, GFLOP/s:',
    gemmTable(r),
    endToEndLine(r),
    ...(r.reported.length
      ? ['Reported in the benchmark issue for this machine, not measured in that run: '
        + r.reported.map((f) => `${f.label}, ${f.task === 'train' ? 'training' : 'scoring'} ${f.model}: ≈ ${int(f.rate)} ${unit(f.task)}`).join('; ') + '.']
      : []),
  ].join('\n\n');
}
