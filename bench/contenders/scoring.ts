import type { Matrix32 } from '../../src/model/matrix';
import type { ScoreFigure } from './types';

/**
 * Scores the first chunk once to warm up, then times scoring every row: the same
 * measurement for every contender.
 */
export async function timeScoring(
  data: Matrix32, chunk: number, score: (values: Float32Array) => Promise<Float32Array>,
): Promise<ScoreFigure> {
  await score(data.values.subarray(0, Math.min(chunk, data.rows) * data.cols));
  const start = performance.now();
  const scores = await score(data.values);
  const seconds = (performance.now() - start) / 1000;
  if (scores.length !== data.rows) throw new Error(`scoring returned ${scores.length} scores for ${data.rows} rows`);
  return { rows: data.rows, rowsPerSecond: data.rows / seconds };
}
