import { pickRows } from '../model/matrix';
import type { Scorer } from '../model/scorer';
import type { DriverTally, Explainer } from './explain';

/**
 * Adds the flagged rows (score ≥ threshold) of a row-major matrix to a tally, each under its
 * category: the model's reconstruction of them is read back, at most `scorer.chunk` rows at a
 * time, and each row's shares of error by feature are added.
 */
export async function tallyFlagged(
  tally: DriverTally, scorer: Scorer, explainer: Explainer,
  matrix: Float32Array, scores: ArrayLike<number>, threshold: number, categories: readonly string[],
): Promise<void> {
  const width = explainer.width;
  const flagged: number[] = [];
  for (let i = 0; i < scores.length; i++) if (scores[i] >= threshold) flagged.push(i);
  const columns = explainer.columns.length;
  const shares = new Float64Array(columns);
  const keys = new Int32Array(columns);
  for (let start = 0; start < flagged.length; start += scorer.chunk) {
    const rows = flagged.slice(start, start + scorer.chunk);
    const picked = pickRows(matrix, width, rows);
    const reconstruction = await scorer.reconstruct(picked);
    rows.forEach((i, n) => {
      const x = picked.subarray(n * width, (n + 1) * width);
      explainer.contributions(x, reconstruction.subarray(n * width, (n + 1) * width), shares, keys);
      tally.add(categories[i], shares, keys, 0, columns);
    });
  }
}
