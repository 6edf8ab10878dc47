import type { Gpu } from './device';

/** Register-block and workgroup shape of the GEMM kernel (see src/shaders/gemm.wgsl). */
export interface GemmTiles {
  /** Rows of C per invocation (at most 16). */
  readonly TM: number;
  readonly WGX: number;
  readonly WGY: number;
  /** 1: stage TK-wide slices of A and B through workgroup memory; 0: read them directly. */
  readonly STAGED: 0 | 1;
  readonly TK: number;
}

/** CPU adapters (lavapipe, SwiftShader): one row of invocations sharing TM rows of A, no staging. */
export const DIRECT_TILES: GemmTiles = { TM: 16, WGX: 16, WGY: 1, STAGED: 0, TK: 1 };

/** GPUs: 16 × 16 invocations, each 4 × 4, over a 64 × 64 tile staged 16 deep. */
export const STAGED_TILES: GemmTiles = { TM: 4, WGX: 16, WGY: 16, STAGED: 1, TK: 16 };

export function isCpuAdapter(gpu: Gpu): boolean {
  const a = gpu.adapter;
  const text = `${a.vendor} ${a.architecture} ${a.device} ${a.description}`.toLowerCase();
  return a.isFallbackAdapter || /llvmpipe|lavapipe|swiftshader|software|warp/.test(text);
}

export function gemmTiles(gpu: Gpu): GemmTiles {
  return isCpuAdapter(gpu) ? DIRECT_TILES : STAGED_TILES;
}

export const MAX_TM = 16;

/** Block and workgroup shape of the fused kernels (src/shaders/fused.wgsl). */
export interface BlockTiles {
  /** Rows a workgroup carries through the network at once. */
  readonly ROWS: number;
  /** Invocations across a layer's vec4 columns and across the block's rows (ROWS % TY = 0). */
  readonly TX: number;
  readonly TY: number;
  /**
   * 1: share the values every invocation of a row group reads through subgroup broadcasts
   * where the device's subgroups are TX = 8 invocations (src/shaders/fused-subgroups.wgsl);
   * 0, or a device without such subgroups: each invocation reads them itself.
   */
  readonly SUBGROUPS: 0 | 1;
}

export interface TrainTiles extends BlockTiles {
  /** Outputs whose weight gradients one invocation sums at once: a multiple of 4, at most 32. */
  readonly TN: number;
  /** Most workgroups of a step's first kernel; past that, each carries several blocks in turn. */
  readonly GROUPS: number;
}

export interface FusedTiles {
  readonly train: TrainTiles;
  readonly score: BlockTiles;
}

/**
 * CPU adapters: a workgroup is one SIMD batch of 8 invocations, each owning every row of the
 * block (16 in training, as many as workgroup memory takes; 32 in scoring), so barriers cost
 * nothing; the rows' inputs reach the invocations through subgroup broadcasts. Up to 16
 * workgroups share a step (one block each at batch 256), small enough pieces for the cores to
 * share evenly when other work takes one of them.
 */
export const CPU_FUSED: FusedTiles = {
  train: { ROWS: 16, TX: 8, TY: 1, SUBGROUPS: 1, TN: 32, GROUPS: 16 },
  score: { ROWS: 32, TX: 8, TY: 1, SUBGROUPS: 1 },
};

/**
 * GPUs: 256 invocations, one row each in training, and blocks of 8 rows, so that a batch of
 * 256 keeps 32 workgroups busy; scoring takes 16 rows, four per invocation.
 */
export const GPU_FUSED: FusedTiles = {
  train: { ROWS: 8, TX: 32, TY: 8, SUBGROUPS: 0, TN: 4, GROUPS: 1024 },
  score: { ROWS: 16, TX: 32, TY: 4, SUBGROUPS: 0 },
};

export function fusedTiles(gpu: Gpu): FusedTiles {
  return isCpuAdapter(gpu) ? CPU_FUSED : GPU_FUSED;
}
