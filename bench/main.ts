import { resolve } from 'node:path';
import { acquireGpu, adapterTitle } from '../src/gpu/device';
import { benchFeatures } from './features';
import { benchGemm } from './gemm';
import { RESULTS_DIR, printTable, saveResults, type Described, type Row } from './report';
import { renderSaved, saveSuite, updateReadme } from './save-suite';
import { NETAE_CLI } from './bundles';
import { benchJetStream } from './jetstream';
import { benchScoreCli, chosenGroups } from './score-cli';
import { runScorePart, SCORE_PARTS, type ScorePart } from './score-parts';
import { benchStep } from './step';
import { benchStreamRead, STREAM_READ_CHILD, streamReadChild } from './stream-read';
import { runSuite } from './suite';
import { benchScore, benchTrain } from './train';

const BENCHES = {
  gemm: { title: 'GEMM: the dense layer\'s three products with every tiling, and TF.js WebGPU\'s forward', run: benchGemm },
  train: { title: 'Training, one epoch, batch 256, Adam 1e-3', run: benchTrain },
  score: { title: 'Scoring: forward and per-row error', run: benchScore },
  step: { title: 'One training step of the deep model, kernel by kernel, and of the others whole (batch 256)', run: benchStep },
  'score-cli': { title: 'netae score end to end: a CSV to /dev/null', run: (_gpu: unknown, quick: boolean) => benchScoreCli(quick, NETAE_CLI) },
  jetstream: { title: 'Records through NATS JetStream: netae stream workers beside netae score', run: (_gpu: unknown, quick: boolean) => benchJetStream(quick, NETAE_CLI) },
} as const;

type BenchName = keyof typeof BENCHES;
const USAGE = `usage: bench <all|${Object.keys(BENCHES).join('|')}> [--quick] [--out DIR]
       bench features [--out DIR]
       bench stream
       bench render RESULTS.json
       bench readme RESULTS.json
  all: the whole suite (GEMM, training and scoring against TensorFlow.js, the CPU reference and
       PyTorch where it can be imported), saved as JSON, Markdown and SVG charts
  features: reading, transforming and decoding NSL-KDD (or synthetic) CSV into feature rows
  stream: a 1 GiB CSV streamed through the fitted pipeline, for its rate and peak memory
  render: writes a saved suite's Markdown and charts again
  readme: puts a saved suite's summary into README.md, between its bench markers`;

interface Args {
  readonly name: string;
  readonly quick: boolean;
  readonly out: string;
}

function parseArgs(argv: readonly string[]): Args | string {
  let quick = false;
  let out = RESULTS_DIR;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--out') {
      const dir = argv[++i];
      if (!dir) return '--out needs a folder';
      out = resolve(dir);
    } else if (arg.startsWith('--')) return `unknown option ${arg}`;
    else names.push(arg);
  }
  const [name = 'all', file] = names;
  if (name === 'render' || name === 'readme') return file ? { name, quick, out: resolve(file) } : `${name} needs a results JSON file`;
  if (name !== 'all' && name !== 'features' && !(name in BENCHES)) return `unknown benchmark ${name}`;
  return { name, quick, out };
}

async function runOne(name: BenchName, quick: boolean, out: string): Promise<void> {
  const bench = BENCHES[name];
  const gpu = await acquireGpu({ timing: true });
  try {
    console.log(`adapter: ${adapterTitle(gpu.adapter)} (${gpu.adapter.backend})`);
    const result: Row[] | Described = await bench.run(gpu, quick);
    const { rows, notes, timelines } = Array.isArray(result) ? { rows: result, notes: [], timelines: undefined } : result;
    printTable(bench.title, rows);
    for (const note of notes) console.log(note);
    console.log(`\nsaved ${await saveResults(out, name, gpu, rows, { ...(notes.length ? { notes } : {}), ...(timelines?.length ? { timelines } : {}) })}`);
  } finally {
    gpu.release();
  }
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'features') {
    const args = parseArgs(argv);
    if (typeof args === 'string') {
      console.error(`${args}\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    await benchFeatures(args.out);
    return;
  }
  if (argv[0] === 'stream') {
    await benchStreamRead();
    return;
  }
  if (argv[0] === STREAM_READ_CHILD) {
    const [, csv, pipelineFile] = argv;
    await streamReadChild(csv, pipelineFile);
    return;
  }
  if (argv[0] === 'score-part') {
    const [, part, model, data, threads] = argv;
    if (!SCORE_PARTS.includes(part as ScorePart)) throw new Error(`score-part takes ${SCORE_PARTS.join(', ')}`);
    console.log(JSON.stringify(await runScorePart(part as ScorePart, model, data, Number(threads))));
    return;
  }
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    console.error(`${args}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  chosenGroups();
  if (args.name === 'render') {
    console.log((await renderSaved(args.out)).join('\n'));
    return;
  }
  if (args.name === 'readme') {
    console.log(await updateReadme(args.out, resolve('README.md')));
    return;
  }
  if (args.name !== 'all') return runOne(args.name as BenchName, args.quick, args.out);
  const results = await runSuite(args.quick);
  const files = await saveSuite(results, args.out);
  console.log(`\nsuite finished in ${Math.round(results.seconds)} s; saved:\n${files.map((f) => `  ${f}`).join('\n')}`);
}

await main(process.argv.slice(2));
