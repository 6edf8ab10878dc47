import activation from '../shaders/activation.wgsl?raw';
import adam from '../shaders/adam.wgsl?raw';
import adamRule from '../shaders/adam-rule.wgsl?raw';
import expand from '../shaders/expand.wgsl?raw';
import fused from '../shaders/fused.wgsl?raw';
import fusedPlain from '../shaders/fused-plain.wgsl?raw';
import fusedSubgroups from '../shaders/fused-subgroups.wgsl?raw';
import gemm from '../shaders/gemm.wgsl?raw';
import gemmRows from '../shaders/gemm-rows.wgsl?raw';
import gemmRowsSubgroup from '../shaders/gemm-rows-subgroup.wgsl?raw';
import gemmRowsWorkgroup from '../shaders/gemm-rows-workgroup.wgsl?raw';
import gemmTiled from '../shaders/gemm-tiled.wgsl?raw';
import mse from '../shaders/mse.wgsl?raw';
import reduce from '../shaders/reduce.wgsl?raw';
import rows from '../shaders/rows.wgsl?raw';
import rowScore from '../shaders/row-score.wgsl?raw';
import score from '../shaders/score.wgsl?raw';
import workgroupSum from '../shaders/workgroup-sum.wgsl?raw';

/** WGSL source of each kernel family, after the shared functions it calls (the subgroup variant starts with its `enable`). */
export const SHADERS = {
  gemm: activation + gemm,
  gemmTiled: activation + gemmTiled,
  gemmRows: gemmRows + gemmRowsWorkgroup,
  /** Needs a device with the `subgroups` feature. */
  gemmRowsSubgroups: `enable subgroups;\n${gemmRows}${gemmRowsSubgroup}`,
  mse: activation + workgroupSum + mse,
  adam: adamRule + adam,
  fused: activation + workgroupSum + adamRule + rowScore + fused + fusedPlain,
  'fused-subgroups': fusedSubgroups + activation + workgroupSum + adamRule + rowScore + fused,
  score: rowScore + score,
  reduce: workgroupSum + reduce,
  rows,
  expand,
} as const;

export type ShaderFamily = keyof typeof SHADERS;
