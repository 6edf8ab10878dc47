import type { ExplainedRow } from './protocol';

export type FlaggedView = 'flagged' | 'near';
export type SortKey = 'score' | 'row' | 'category';

export interface FlaggedQuery {
  readonly threshold: number;
  /** `flagged`: every row with score ≥ threshold; `near`: the rows closest to it on either side. */
  readonly view: FlaggedView;
  /** Only rows of this category (null: all). */
  readonly category: string | null;
  /** Only rows with this column among their worst-reconstructed ones (null: all). */
  readonly column: string | null;
  readonly sort: SortKey;
  readonly descending: boolean;
}

/** Rows shown on each side of the threshold in the `near` view. */
export const NEAR_ROWS = 50;

/**
 * The rows behind a threshold, for the table under the charts: all rows ordered by score once,
 * so that the flagged rows at any threshold are a prefix of that order (found by binary search),
 * then filtered by category and explained column and sorted as asked.
 */
export class FlaggedIndex {
  /** Row indices by score, highest first (ties by row). */
  private readonly byScore: Uint32Array;
  private readonly explained: Map<number, ExplainedRow>;

  constructor(
    private readonly scores: Float32Array,
    private readonly categories: readonly string[] | null,
    explained: readonly ExplainedRow[],
  ) {
    this.byScore = Uint32Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
    this.explained = new Map(explained.map((r) => [r.index, r]));
  }

  /** How many rows score ≥ the threshold. */
  flaggedCount(threshold: number): number {
    let [lo, hi] = [0, this.byScore.length];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.scores[this.byScore[mid]] >= threshold) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The rows a query selects, in its order (0-based indices). */
  select(q: FlaggedQuery): number[] {
    const flagged = this.flaggedCount(q.threshold);
    const span = q.view === 'flagged'
      ? this.byScore.subarray(0, flagged)
      : this.byScore.subarray(Math.max(0, flagged - NEAR_ROWS), Math.min(this.byScore.length, flagged + NEAR_ROWS));
    const rows = Array.from(span).filter((i) =>
      (q.category === null || this.categories?.[i] === q.category)
      && (q.column === null || (this.explained.get(i)?.errors.some((e) => e.column === q.column) ?? false)));
    return this.sorted(rows, q.sort, q.descending);
  }

  explanation(index: number): ExplainedRow | undefined {
    return this.explained.get(index);
  }

  category(index: number): string | null {
    return this.categories?.[index] ?? null;
  }

  score(index: number): number {
    return this.scores[index];
  }

  /** The categories of the rows, in name order (empty when unlabelled). */
  categoryNames(): string[] {
    return this.categories === null ? [] : [...new Set(this.categories)].sort();
  }

  /** The columns that appear among explanations, the most frequent first. */
  explainedColumns(): string[] {
    const counts = new Map<string, number>();
    for (const r of this.explained.values()) for (const e of r.errors) counts.set(e.column, (counts.get(e.column) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([c]) => c);
  }

  private sorted(rows: number[], key: SortKey, descending: boolean): number[] {
    const sign = descending ? -1 : 1;
    const byScore = (a: number, b: number) => (this.scores[a] - this.scores[b]) || a - b;
    const compare = key === 'score' ? byScore
      : key === 'row' ? (a: number, b: number) => a - b
        : (a: number, b: number) => {
          const [x, y] = [this.categories?.[a] ?? '', this.categories?.[b] ?? ''];
          return x < y ? -1 : x > y ? 1 : -byScore(a, b) * sign;
        };
    return rows.sort((a, b) => sign * compare(a, b));
  }
}

/** A page of `size` rows: its rows and the 1-based first and last row numbers it shows. */
export function pageOf<T>(rows: readonly T[], page: number, size: number): { rows: T[]; first: number; last: number; pages: number } {
  const pages = Math.max(1, Math.ceil(rows.length / size));
  const at = Math.min(Math.max(0, page), pages - 1);
  const shown = rows.slice(at * size, (at + 1) * size);
  return { rows: shown, first: shown.length ? at * size + 1 : 0, last: at * size + shown.length, pages };
}
