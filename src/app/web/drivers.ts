import { DriverTally, type CategoryDrivers } from '../explain';
import type { Result } from './protocol';

export interface DriversAt {
  /** Per category with flagged rows, its drivers. */
  readonly byCategory: ReadonlyMap<string, CategoryDrivers>;
  /** The flagged rows they come from: every flagged row, or the explained ones when fewer. */
  readonly rows: number;
}

/**
 * The features that drive each category's detections at a threshold, as `netae eval` reports
 * them: their mean share of the row score over the category's flagged rows.
 * The rows are the explained ones (the highest scores, highest first), so the flagged among them
 * are a prefix: all flagged rows, unless more are flagged than were explained.
 */
export function driversAt(result: Pick<Result, 'explained' | 'contributions' | 'scores' | 'labels'>, threshold: number, top: number): DriversAt {
  const { explained, contributions, scores, labels } = result;
  if (labels === null) return { byCategory: new Map(), rows: 0 };
  const tally = new DriverTally(contributions.names);
  let rows = 0;
  while (rows < explained.length && scores[explained[rows].index] >= threshold) {
    tally.add(labels.category[explained[rows].index], contributions.shares, contributions.keys, rows * contributions.columns, contributions.columns);
    rows++;
  }
  return { byCategory: new Map(tally.drivers(top).map((d) => [d.category, d])), rows };
}
