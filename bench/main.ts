import { acquireGpu } from '../src/gpu/device';
import { benchGemm } from './gemm';
import { printTable, saveResults } from './report';

const USAGE = 'usage: bench gemm [--quick]';

async function main(argv: string[]): Promise<void> {
  const [name] = argv.filter((a) => !a.startsWith('--'));
  const quick = argv.includes('--quick');
  if (name !== 'gemm') {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const gpu = await acquireGpu({ timing: true });
  try {
    console.log(`adapter: ${gpu.adapter.description || gpu.adapter.device} (${gpu.adapter.backend})`);
    const rows = await benchGemm(gpu, quick);
    printTable('GEMM forward, Y = X·Wᵀ + b', rows);
    console.log(`\nsaved ${saveResults('gemm', gpu, rows)}`);
  } finally {
    gpu.release();
  }
}

await main(process.argv.slice(2));
