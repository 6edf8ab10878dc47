import { ShapeError } from './errors';

/** The activations the kernels fuse (src/shaders/activation.wgsl), in the order of their WGSL codes. */
export const ACTIVATIONS = ['identity', 'relu', 'sigmoid', 'tanh'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** The `ACT` override of a kernel for an activation. */
export function actCode(op: string, act: Activation): number {
  const code = ACTIVATIONS.indexOf(act);
  if (code < 0) throw new ShapeError(op, `unknown activation "${String(act)}"; expected one of ${ACTIVATIONS.join(', ')}`);
  return code;
}
