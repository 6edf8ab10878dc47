import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initParams } from '../../src/model/init';
import { formatSpec, type LayerSpec } from '../../src/model/spec';
import type { Matrix32 } from '../../src/model/matrix';
import type { GemmShape } from '../gemm-common';

interface TorchTrain {
  readonly model: string;
  readonly spec: string;
  readonly mode: 'eager' | 'cuda-graph';
  readonly rows: number;
  readonly samples_per_second: number;
  readonly ms_per_step: number;
  readonly loss: number;
}

interface TorchScore {
  readonly model: string;
  readonly spec: string;
  readonly mode: 'eager';
  readonly rows: number;
  readonly rows_per_second: number;
}

export interface TorchGemm {
  readonly shape: [number, number, number];
  readonly ms: number;
  readonly gflops: number;
}

/** What bench/torch_bench.py writes. */
export interface TorchResults {
  readonly torch: string;
  readonly device: 'cuda' | 'cpu';
  readonly gpu: string | null;
  readonly cuda: string | null;
  readonly threads: number;
  readonly train: readonly TorchTrain[];
  readonly score: readonly TorchScore[];
  readonly gemm: readonly TorchGemm[];
}

type TorchOutcome =
  | { readonly status: 'measured'; readonly results: TorchResults }
  | { readonly status: 'skipped' | 'failed'; readonly detail: string };

const SCRIPT = resolve(process.cwd(), 'bench', 'torch_bench.py');

/** NETAE_BENCH_PYTHON, else the first of `python3` on the PATH and the system's /usr/bin/python3. */
function pythons(): string[] {
  const chosen = process.env.NETAE_BENCH_PYTHON;
  return chosen ? [chosen] : ['python3', '/usr/bin/python3'];
}

/** The first Python that can import PyTorch, or why there is none. */
function findTorch(): { python: string } | { missing: string } {
  const tried: string[] = [];
  for (const python of pythons()) {
    const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 120_000 });
    if (!probe.error && probe.status === 0) return { python };
    tried.push(probe.error ? `${python}: not found` : `${python}: no torch`);
  }
  return { missing: `no Python with PyTorch (${tried.join('; ')})` };
}

interface TorchJob {
  readonly data: Matrix32;
  readonly scoreRows: number;
  readonly models: readonly { name: string; spec: LayerSpec }[];
  readonly gemm: readonly GemmShape[];
  readonly timeoutSeconds: number;
}

/**
 * Runs bench/torch_bench.py on the same rows and initial parameters that netae trains on,
 * passed as raw float32 files, and reads back its JSON.
 */
export function runTorch(job: TorchJob): TorchOutcome {
  const found = findTorch();
  if ('missing' in found) return { status: 'skipped', detail: found.missing };
  const dir = mkdtempSync(join(tmpdir(), 'netae-torch-'));
  try {
    const file = (name: string, values: Float32Array) => {
      const path = join(dir, name);
      writeFileSync(path, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      return path;
    };
    const out = join(dir, 'torch.json');
    const args = [
      SCRIPT, '--data', file('data.f32', job.data.values), '--rows', String(job.data.rows), '--cols', String(job.data.cols),
      '--score-rows', String(job.scoreRows), '--out', out,
      '--gemm', job.gemm.map((s) => s.join('x')).join(','),
      ...job.models.flatMap(({ name, spec }) => ['--model', `${name}=${formatSpec(spec)}@${file(`init-${name}.f32`, initParams(spec, 1))}`]),
    ];
    const run = spawnSync(found.python, args, { stdio: ['ignore', 'inherit', 'inherit'], timeout: job.timeoutSeconds * 1000 });
    if (run.error) return { status: 'failed', detail: `bench/torch_bench.py: ${run.error.message}` };
    if (run.status !== 0) return { status: 'failed', detail: `bench/torch_bench.py exited with ${run.status}` };
    return { status: 'measured', results: JSON.parse(readFileSync(out, 'utf8')) as TorchResults };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
