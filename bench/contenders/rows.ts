import { CANONICAL } from '../workload';

/** Rows trained on and scored: netae and the fast peers take the canonical workload (fewer in a quick run). */
export const FULL_ROWS = (quick: boolean) => ({ train: quick ? 16_384 : CANONICAL.rows, score: quick ? 65_536 : 4 * 65_536 });

/** Peers that run plain JavaScript on one thread take fewer; their figures are per sample all the same. */
export const SLOW_ROWS = (quick: boolean) => ({ train: quick ? 2048 : 8192, score: quick ? 8192 : 32_768 });
