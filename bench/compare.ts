type Task = 'train' | 'score';

/** One implementation's figure on one task and model: samples/s for training, rows/s for scoring. */
export interface Entry {
  readonly task: Task;
  readonly model: string;
  readonly spec: string;
  readonly implementation: string;
  readonly label: string;
  readonly rows: number;
  readonly rate: number;
  readonly msPerStep?: number;
  readonly loss?: number;
  /** netae's rate over this one's (above 1: netae is faster); null for netae itself or where netae has no figure. */
  readonly ratio: number | null;
}

export type Figure = Omit<Entry, 'ratio'>;

export const NETAE = 'netae';

/** Adds to each figure netae's ratio to it, on the same task and model. */
export function withRatios(figures: readonly Figure[]): Entry[] {
  return figures.map((f) => {
    const ours = figures.find((o) => o.implementation === NETAE && o.task === f.task && o.model === f.model);
    const ratio = ours && f.implementation !== NETAE && f.rate > 0 ? ours.rate / f.rate : null;
    return { ...f, ratio };
  });
}

export function unit(task: Task): string {
  return task === 'train' ? 'samples/s' : 'rows/s';
}

/** A count or rate rounded to a whole number, with thousands separators. */
export const int = (x: number) => Math.round(x).toLocaleString('en-US');
