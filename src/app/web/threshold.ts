import { rates, type Confusion, type Rates } from '../../pipeline/rates';
import type { PageLabels } from './protocol';

/** Scores sorted ascending, so that how many are ≥ a threshold is one binary search. */
class Sorted {
  private readonly values: Float64Array;

  constructor(values: Iterable<number>) {
    this.values = Float64Array.from(values).sort();
  }

  get size(): number {
    return this.values.length;
  }

  atLeast(threshold: number): number {
    let [lo, hi] = [0, this.values.length];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.values[mid] < threshold) lo = mid + 1;
      else hi = mid;
    }
    return this.values.length - lo;
  }
}

interface CategoryRate {
  readonly category: string;
  readonly rows: number;
  readonly flagged: number;
  readonly rate: number;
}

export interface AtThreshold extends Rates {
  readonly threshold: number;
  readonly flagged: number;
  /** Null for unlabelled records. */
  readonly confusion: Confusion | null;
  readonly categories: readonly CategoryRate[];
}

/**
 * Everything that depends on the threshold, computed from the scores in O(log n) per move of
 * the slider: a row is flagged when its score is ≥ the threshold, as `netae score` flags it.
 */
export class ThresholdIndex {
  private readonly all: Sorted;
  private readonly normal: Sorted | null;
  private readonly anomalous: Sorted | null;
  private readonly byCategory: [string, Sorted][];

  /** Rows without a label (`labels.unlabelled`) count as flagged or not, and in no measure. */
  constructor(scores: Float32Array, labels: PageLabels | null) {
    this.all = new Sorted(scores);
    if (labels === null) {
      this.normal = this.anomalous = null;
      this.byCategory = [];
      return;
    }
    const groups = new Map<string, number[]>();
    const [normal, anomalous]: number[][] = [[], []];
    scores.forEach((s, i) => {
      if (labels.unlabelled?.[i] === 1) return;
      (labels.isAnomaly[i] ? anomalous : normal).push(s);
      const category = labels.category[i];
      let group = groups.get(category);
      if (!group) groups.set(category, (group = []));
      group.push(s);
    });
    this.normal = new Sorted(normal);
    this.anomalous = new Sorted(anomalous);
    this.byCategory = [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([c, s]) => [c, new Sorted(s)]);
  }

  at(threshold: number): AtThreshold {
    const flagged = this.all.atLeast(threshold);
    const categories = this.byCategory.map(([category, s]) => {
      const hit = s.atLeast(threshold);
      return { category, rows: s.size, flagged: hit, rate: hit / s.size };
    });
    if (this.normal === null || this.anomalous === null) {
      return { threshold, flagged, confusion: null, categories, precision: 0, recall: 0, f1: 0, accuracy: 0, fpr: 0 };
    }
    const tp = this.anomalous.atLeast(threshold);
    const fp = this.normal.atLeast(threshold);
    const confusion = { tp, fp, fn: this.anomalous.size - tp, tn: this.normal.size - fp };
    return { threshold, flagged, confusion, categories, ...rates(confusion) };
  }
}

/** Maps a slider's 0…steps onto scores on a log scale, where reconstruction errors spread out. */
export class LogScale {
  private readonly lo: number;
  private readonly hi: number;

  constructor(scores: Float32Array, readonly steps = 1000) {
    let [lo, hi] = [Infinity, 0];
    for (const s of scores) {
      if (s > 0 && s < lo) lo = s;
      if (s > hi) hi = s;
    }
    this.lo = Number.isFinite(lo) ? lo : 1e-6;
    this.hi = hi > this.lo ? hi : this.lo * 10;
  }

  get domain(): [number, number] {
    return [this.lo, this.hi];
  }

  toStep(value: number): number {
    const clamped = Math.min(this.hi, Math.max(this.lo, value));
    return Math.round((Math.log(clamped / this.lo) / Math.log(this.hi / this.lo)) * this.steps);
  }

  fromStep(step: number): number {
    return this.lo * (this.hi / this.lo) ** (step / this.steps);
  }
}
