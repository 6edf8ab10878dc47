import { acquireGpu } from '../src/gpu/device';
import { benchGemm } from './gemm';
import { benchStep } from './step';
import { benchScore, benchTrain } from './train';
import { printTable, saveResults } from './report';

const BENCHES = {
  gemm: { title: 'GEMM forward, Y = X·Wᵀ + b', run: benchGemm },
  train: { title: 'Training, one epoch, batch 256, Adam 1e-3', run: benchTrain },
  score: { title: 'Scoring: forward and per-row error', run: benchScore },
  step: { title: 'One training step of the deep model, kernel by kernel (batch 256)', run: benchStep },
} as const;

type BenchName = keyof typeof BENCHES;
const USAGE = `usage: bench <${Object.keys(BENCHES).join('|')}> [--quick]`;

async function main(argv: string[]): Promise<void> {
  const [name] = argv.filter((a) => !a.startsWith('--'));
  const quick = argv.includes('--quick');
  if (!(name in BENCHES)) {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const bench = BENCHES[name as BenchName];
  const gpu = await acquireGpu({ timing: true });
  try {
    console.log(`adapter: ${gpu.adapter.description || gpu.adapter.device} (${gpu.adapter.backend})`);
    const rows = await bench.run(gpu, quick);
    printTable(bench.title, rows);
    console.log(`\nsaved ${saveResults(name, gpu, rows)}`);
  } finally {
    gpu.release();
  }
}

await main(process.argv.slice(2));
