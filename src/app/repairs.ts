import type { Featurizer, TransformReport } from '../pipeline';

type ColumnCounts = TransformReport['columns'];

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * One line per column that needed repairs, in the pipeline's column order: missing values (set to
 * the fitted median), infinities (set to the fitted max or min), values clipped to the bound, and
 * categories outside the encoder (unseen in fitting, or outside the kept most frequent N).
 */
export function repairLines(columns: ColumnCounts, featurizer: Featurizer): string[] {
  const features = featurizer.features;
  const kept = new Map(features.categories.map((c) => [c.column, c]));
  const order = features.columns;
  const known = new Set(order);
  const lines: string[] = [];
  for (const column of [...order, ...Object.keys(columns).filter((c) => !known.has(c))]) {
    const c = columns[column];
    if (c === undefined) continue;
    const parts: string[] = [];
    if (c.missing) parts.push(`${count(c.missing)} missing (set to the median)`);
    if (c.infinite) parts.push(`${count(c.infinite)} infinite (set to the max or min)`);
    if (c.clipped) parts.push(`${count(c.clipped)} clipped to ±${features.bound}`);
    if (c.unseen) {
      const k = kept.get(column);
      parts.push(k?.distinct === undefined
        ? `${count(c.unseen)} unseen categories`
        : `${count(c.unseen)} values outside the kept ${count(k.kept)} (of ${count(k.distinct)} seen in training)`);
    }
    if (parts.length) lines.push(`${column}: ${parts.join(', ')}`);
  }
  return lines;
}

/** The totals in one line: values repaired, clipped and outside the categories. */
export function repairTotals(report: Pick<TransformReport, 'repaired' | 'clipped' | 'unseen'>): string {
  return [
    `${count(report.repaired)} values repaired`,
    `${count(report.clipped)} clipped`,
    `${count(report.unseen)} outside the categories`,
  ].join(', ');
}

/** Rows skipped as holding no record, said in a summary: `3 rows holding no record skipped (…)`. */
export function blankRowsNote(rows: number): string {
  return `${count(rows)} ${rows === 1 ? 'row' : 'rows'} holding no record skipped (all fields empty, or the header row again)`;
}
