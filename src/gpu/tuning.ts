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
