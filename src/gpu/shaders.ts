import activation from '../shaders/activation.wgsl?raw';
import adam from '../shaders/adam.wgsl?raw';
import gemm from '../shaders/gemm.wgsl?raw';
import mse from '../shaders/mse.wgsl?raw';
import reduce from '../shaders/reduce.wgsl?raw';
import rows from '../shaders/rows.wgsl?raw';
import score from '../shaders/score.wgsl?raw';

/** WGSL source of each kernel family; families that fuse an activation get its functions first. */
export const SHADERS = {
  gemm: activation + gemm,
  mse: activation + mse,
  adam,
  score,
  reduce,
  rows,
} as const;

export type ShaderFamily = keyof typeof SHADERS;
