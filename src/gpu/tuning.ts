import { runsOnCpu } from './adapter';
import type { Gpu } from './device';

export function isCpuAdapter(gpu: Gpu): boolean {
  return runsOnCpu(gpu.adapter);
}

// ---- GEMM -------------------------------------------------------------------------------
// The tilings of the three dense-layer products (src/gpu/gemm.ts). CPU adapters use
// DIRECT_TILES; GPUs time the candidates for each product and size class at first use
// (src/gpu/autotune.ts) and keep the fastest for the device.

/** gemm.wgsl's register-blocked kernel: TM rows × 4 columns per invocation, operands read directly. */
export interface DirectTiling {
  readonly kind: 'direct';
  readonly name: string;
  /** Rows of C per invocation (at most 16). */
  readonly TM: number;
  readonly WGX: number;
  readonly WGY: number;
}

/**
 * gemm-tiled.wgsl's block-tiled kernels: a workgroup computes a BM × BN block of C through
 * workgroup memory, BK of K at a time; each invocation a TM × TN register tile (4 or 8 each).
 */
export interface BlockTiling {
  readonly kind: 'block';
  readonly name: string;
  readonly BM: number;
  readonly BN: number;
  readonly BK: number;
  readonly TM: number;
  readonly TN: number;
}

/**
 * gemm-rows.wgsl's backward-weight kernel: a workgroup of WG invocations owns an RN × RK patch
 * of dW (4 or 8 each) and splits the rows among its invocations; their partial patches are
 * summed in workgroup memory, or with subgroup operations (`subgroups`: the device must have
 * the feature).
 */
export interface RowsTiling {
  readonly kind: 'rows';
  readonly name: string;
  readonly RN: number;
  readonly RK: number;
  readonly WG: number;
  readonly subgroups: boolean;
}

export type GemmTiling = DirectTiling | BlockTiling | RowsTiling;

/** CPU adapters (lavapipe, SwiftShader): one row of invocations sharing TM rows of A, no staging. */
export const DIRECT_TILES: DirectTiling = { kind: 'direct', name: 'direct', TM: 16, WGX: 16, WGY: 1 };

const block = (name: string, BM: number, BN: number, BK: number, TM: number, TN: number): BlockTiling => ({
  kind: 'block', name, BM, BN, BK, TM, TN,
});

/**
 * The GPU candidates. 256 invocations: 128 × 128 blocks of 8 × 8 for large products, 128 × 64
 * and 64 × 128 for products with one side of 64 or so, 64 × 64 of 4 × 4; 64 invocations of
 * 8 × 8 over 64 × 64 blocks, where large blocks would be too few to fill the GPU (1,024³ is
 * 64 blocks of 128 × 128). All fit the 32 KiB of workgroup memory that lavapipe and
 * SwiftShader offer, so that every one is tested there.
 */
export const BLOCK_TILINGS: readonly BlockTiling[] = [
  block('block128x128', 128, 128, 8, 8, 8),
  block('block128x64', 128, 64, 8, 8, 4),
  block('block64x128', 64, 128, 8, 4, 8),
  block('block64x64', 64, 64, 16, 4, 4),
  block('block64x64-8x8', 64, 64, 8, 8, 8),
];

const rows = (RN: number, RK: number, subgroups: boolean): RowsTiling => ({
  kind: 'rows', name: `rows${RN}x${RK}${subgroups ? '-subgroups' : ''}`, RN, RK, WG: 64, subgroups,
});

/**
 * Further GPU candidates for dW = dZᵀ·X alone, which has few outputs and a long sum over the
 * batch: 4 × 4 patches for more workgroups, 8 × 8 for fewer loads per product.
 */
export const ROWS_TILINGS: readonly RowsTiling[] = [rows(4, 4, false), rows(8, 8, false), rows(4, 4, true), rows(8, 8, true)];

/** Every tiling by name, for forcing one (`NETAE_GEMM_TILING`, `forceGemmTiling`). */
export const GEMM_TILINGS: readonly GemmTiling[] = [DIRECT_TILES, ...BLOCK_TILINGS, ...ROWS_TILINGS];

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
