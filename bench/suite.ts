import { acquireGpu, adapterTitle } from '../src/gpu/device';
import { initParams } from '../src/model/init';
import { formatSpec, type LayerSpec } from '../src/model/spec';
import type { Matrix32 } from '../src/model/matrix';
import { int, NETAE, withRatios, type Entry, type Figure } from './compare';
import { netaeContender } from './contenders/netae';
import { FULL_ROWS } from './contenders/rows';
import { REPORTED, type ReportedFigure } from './contenders/reported';
import { referenceContender } from './contenders/reference';
import { measureTfjsGemm, tfjsContender, type TfGemm } from './contenders/tfjs';
import { runTorch, type TorchGemm, type TorchResults } from './contenders/torch';
import type { Contender, ScoreFigure, TrainFigure } from './contenders/types';
import { endToEndLog, runEndToEnd, type EndToEndOutcome } from './end-to-end';
import { gemmShapes, measureGemm } from './gemm';
import { formatShape, type GemmResult, type GemmShape } from './gemm-common';
import { describeMachine, type Machine } from './machine';
import { peakFor, type Peak } from './peaks';
import { checkTargets, targetLines, type Target } from './targets';
import { CANONICAL, canonicalData, canonicalSpecs, prefix } from './workload';

export interface PeerStatus {
  readonly id: string;
  readonly label: string;
  readonly status: 'measured' | 'skipped' | 'failed';
  readonly device?: string;
  readonly detail?: string;
}

/** Everything one run of `npm run bench` measured, as written to bench/results/<adapter>-<date>.json. */
export interface SuiteResults {
  readonly schema: 'netae-bench/1';
  readonly date: string;
  readonly quick: boolean;
  readonly seconds: number;
  readonly machine: Machine;
  readonly peak: Peak | null;
  readonly workload: {
    readonly rows: number;
    readonly cols: number;
    readonly batch: number;
    readonly lr: number;
    readonly epochs: 1;
    readonly models: readonly { name: string; spec: string }[];
  };
  readonly gemm: {
    readonly netae: readonly GemmResult[];
    readonly tfjsWebgpu: readonly TfGemm[];
    readonly pytorch: readonly TorchGemm[];
  };
  readonly train: readonly Entry[];
  readonly score: readonly Entry[];
  readonly reported: readonly ReportedFigure[];
  readonly peers: readonly PeerStatus[];
  readonly pytorch: PeerStatus & { readonly torch?: string; readonly threads?: number };
  readonly endToEnd: EndToEndOutcome;
  readonly targets: readonly Target[];
  readonly notes: readonly string[];
}

/** The canonical rows, as many as the hungriest contender takes, and the two models. */
interface SuiteData {
  readonly train: Matrix32;
  readonly score: Matrix32;
  readonly models: readonly { name: string; spec: LayerSpec }[];
}

/** The peers measured in this process, in order. */
const PEERS: readonly (() => Contender)[] = [() => tfjsContender('webgpu'), () => tfjsContender('cpu'), referenceContender];

const log = console.log;

/**
 * One epoch from netae's initial parameters, timed after a warm-up epoch on the first four
 * batches and a ragged last one (other parameters), so compiling and allocating are not timed.
 */
export async function measureTraining(contender: Contender, spec: LayerSpec, rows: Matrix32): Promise<TrainFigure> {
  await contender.train(spec, prefix(rows, 4 * CANONICAL.batch + (rows.rows % CANONICAL.batch)), initParams(spec, 2));
  return contender.train(spec, rows, initParams(spec, 1));
}

/** Scoring with netae's initial parameters (the contender warms up on its first chunk itself). */
export function measureScoring(contender: Contender, spec: LayerSpec, rows: Matrix32): Promise<ScoreFigure> {
  return contender.score(spec, initParams(spec, 1), rows);
}

/** Trains and scores both canonical models with one contender; a failure is recorded, not thrown. */
async function runContender(contender: Contender, quick: boolean, data: SuiteData, figures: Figure[]): Promise<PeerStatus> {
  const { train: trainRows, score: scoreRows } = contender.rows(quick);
  const base = { implementation: contender.id, label: contender.label };
  try {
    for (const { name, spec } of data.models) {
      const t = await measureTraining(contender, spec, prefix(data.train, trainRows));
      figures.push({ ...base, task: 'train', model: name, spec: formatSpec(spec), rows: t.rows, rate: t.samplesPerSecond, msPerStep: t.msPerStep, loss: t.loss });
      log(`  train ${name.padEnd(4)}  ${contender.id.padEnd(14)} ${int(t.rows).padStart(7)} rows  ${int(t.samplesPerSecond).padStart(9)} samples/s  loss ${t.loss.toPrecision(4)}`);
      const s = await measureScoring(contender, spec, prefix(data.score, scoreRows));
      figures.push({ ...base, task: 'score', model: name, spec: formatSpec(spec), rows: s.rows, rate: s.rowsPerSecond });
      log(`  score ${name.padEnd(4)}  ${contender.id.padEnd(14)} ${int(s.rows).padStart(7)} rows  ${int(s.rowsPerSecond).padStart(9)} rows/s`);
    }
    return { id: contender.id, label: contender.label, status: 'measured', device: contender.describe?.() };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    log(`  ${contender.id} failed: ${detail}`);
    return { id: contender.id, label: contender.label, status: 'failed', detail };
  } finally {
    contender.release();
  }
}

function torchFigures(results: TorchResults): Figure[] {
  const where = results.device === 'cuda' ? 'CUDA' : 'CPU';
  const label = (mode: string) => `PyTorch ${results.torch}, ${where}, ${mode === 'cuda-graph' ? 'CUDA graphs' : 'eager'}`;
  const id = (mode: string) => `pytorch-${results.device}-${mode === 'cuda-graph' ? 'graph' : 'eager'}`;
  return [
    ...results.train.map((t): Figure => ({
      task: 'train', model: t.model, spec: t.spec, implementation: id(t.mode), label: label(t.mode), rows: t.rows,
      rate: t.samples_per_second, msPerStep: t.ms_per_step, loss: t.loss,
    })),
    ...results.score.map((s): Figure => ({
      task: 'score', model: s.model, spec: s.spec, implementation: id(s.mode), label: label(s.mode), rows: s.rows,
      rate: s.rows_per_second,
    })),
  ];
}

async function tfjsGemmOrNote(shapes: readonly GemmShape[], quick: boolean, notes: string[]): Promise<TfGemm[]> {
  try {
    log('\nTensorFlow.js WebGPU GEMM, tf.fused.matMul with bias');
    const results = await measureTfjsGemm(shapes, quick);
    for (const g of results) log(`  ${formatShape(g.shape).padEnd(16)} ${'tfjs-webgpu'.padEnd(32)} ${g.gflops.toFixed(1).padStart(9)} GFLOP/s`);
    log('');
    return results;
  } catch (error) {
    notes.push(`TensorFlow.js GEMM failed: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  }
}

interface Measured {
  readonly figures: Figure[];
  readonly peers: PeerStatus[];
  readonly notes: string[];
}

/** netae's GEMM kernels, training and scoring (fused and per-layer) on the suite's adapter, which is released afterwards. */
async function measureNetae(quick: boolean, data: SuiteData, out: Measured) {
  const gpu = await acquireGpu({ timing: true });
  try {
    const machine = describeMachine(gpu);
    const peak = peakFor(gpu.adapter);
    log(`adapter: ${adapterTitle(machine.adapter)} (${machine.adapter.backend}); CPU: ${machine.cpu.model}, ${machine.cpu.cores} cores; Node ${machine.node}`);
    log(peak ? `FP32 peak: ${peak.fp32Tflops} TFLOP/s (${peak.gpu})` : 'FP32 peak: adapter not in bench/peaks.ts');
    log('\nGEMM, Y = X·Wᵀ + b');
    const gemm = await measureGemm(gpu, quick, (r) => log(`  ${formatShape(r.shape).padEnd(16)} ${(r.kernel + (r.isDefault ? ' (default)' : '')).padEnd(32)} ${r.gflops.toFixed(1).padStart(9)} GFLOP/s`
      + (r.peakFraction === null ? '' : `  ${(100 * r.peakFraction).toFixed(1)}% of peak`)));
    log('\nTraining (samples/s, one epoch after a warm-up) and scoring (rows/s): the fused kernels, then the per-layer ones');
    out.peers.push(await runContender(netaeContender(gpu, 'fused'), quick, data, out.figures));
    out.peers.push(await runContender(netaeContender(gpu, 'per-layer'), quick, data, out.figures));
    return { machine, peak, gemm, shapes: gemmShapes(gpu) };
  } finally {
    gpu.release();
  }
}

/** The JavaScript peers, one after the other, each on the rows it is given. */
async function measurePeers(quick: boolean, shapes: readonly GemmShape[], data: SuiteData, out: Measured): Promise<TfGemm[]> {
  let tfjsGemm: TfGemm[] = [];
  for (const contender of PEERS.map((make) => make())) {
    if (contender.id === 'tfjs-webgpu') tfjsGemm = await tfjsGemmOrNote(shapes, quick, out.notes);
    out.peers.push(await runContender(contender, quick, data, out.figures));
    if (contender.note) {
      const rows = contender.rows(quick);
      out.notes.push(`${contender.label}: ${contender.note} (${int(rows.train)} training rows, ${int(rows.score)} scored)`);
    }
  }
  return tfjsGemm;
}

/** PyTorch on netae's rows and initial parameters, where a Python can import it. */
function measureTorch(quick: boolean, shapes: readonly GemmShape[], data: SuiteData, out: Measured) {
  log('\nPyTorch (bench/torch_bench.py)');
  const rows = FULL_ROWS(quick);
  const outcome = runTorch({
    data: data.train, scoreRows: rows.score, models: data.models, gemm: shapes, timeoutSeconds: quick ? 120 : 480,
  });
  if (outcome.status !== 'measured') {
    log(`  ${outcome.status}: ${outcome.detail}`);
    return { status: { id: 'pytorch', label: 'PyTorch', status: outcome.status, detail: outcome.detail }, gemm: [], device: null };
  }
  const r = outcome.results;
  out.figures.push(...torchFigures(r));
  return {
    status: { id: 'pytorch', label: `PyTorch ${r.torch}`, status: 'measured' as const, device: r.gpu ?? `CPU, ${r.threads} thread(s)`, torch: r.torch, threads: r.threads },
    gemm: r.gemm,
    device: r.device,
  };
}

/** The whole suite; the peers take at most the rows netae takes. */
export async function runSuite(quick: boolean): Promise<SuiteResults> {
  const started = performance.now();
  const models = canonicalSpecs();
  const rows = FULL_ROWS(quick);
  const score = canonicalData(Math.max(rows.train, rows.score));
  const data: SuiteData = { train: prefix(score, rows.train), score, models };
  const out: Measured = { figures: [], peers: [], notes: quick ? ['quick run: fewer rows and repetitions than the full suite; figures are rougher'] : [] };
  const { machine, peak, gemm, shapes } = await measureNetae(quick, data, out);
  const tfjsGemm = await measurePeers(quick, shapes, data, out);
  const torch = measureTorch(quick, shapes, data, out);
  const reported = machine.adapter.isCpuAdapter && torch.device !== 'cpu' ? [...REPORTED] : [];

  log('\nEnd to end (netae score on a CSV)');
  const endToEnd = await runEndToEnd(quick);
  if (endToEnd.status === 'skipped') log(`  skipped: ${endToEnd.detail}`);
  else for (const line of endToEndLog(endToEnd.rows)) log(`  ${line}`);

  const entries = withRatios(out.figures);
  log('\nnetae ÷ peer');
  for (const e of entries) {
    if (e.implementation !== NETAE && e.ratio !== null) log(`  ${e.task} ${e.model.padEnd(4)}  ${e.implementation.padEnd(18)} ${e.ratio.toFixed(2).padStart(6)}×`);
  }
  const targets = checkTargets({ gemm, tfjs: tfjsGemm, entries, cpuAdapter: machine.adapter.isCpuAdapter });
  log(`\nTargets (${machine.adapter.isCpuAdapter ? 'CPU adapter' : 'GPU'})\n${targetLines(targets).join('\n')}`);
  return {
    schema: 'netae-bench/1',
    date: new Date().toISOString(),
    quick,
    seconds: (performance.now() - started) / 1000,
    machine,
    peak,
    workload: {
      rows: CANONICAL.rows, cols: CANONICAL.cols, batch: CANONICAL.batch, lr: CANONICAL.lr, epochs: 1,
      models: models.map(({ name, spec }) => ({ name, spec: formatSpec(spec) })),
    },
    gemm: { netae: gemm, tfjsWebgpu: tfjsGemm, pytorch: torch.gemm },
    train: entries.filter((e) => e.task === 'train'),
    score: entries.filter((e) => e.task === 'score'),
    reported,
    peers: out.peers,
    pytorch: torch.status,
    endToEnd,
    targets,
    notes: out.notes,
  };
}
