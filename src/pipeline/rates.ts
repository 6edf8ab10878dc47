export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface Rates {
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
  fpr: number;
}

/** Precision, recall, F1, accuracy and false-positive rate; 0 where a denominator is 0. */
export function rates({ tp, fp, tn, fn }: Confusion): Rates {
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return {
    precision,
    recall,
    f1: ratio(2 * tp, 2 * tp + fp + fn),
    accuracy: ratio(tp + tn, tp + fp + tn + fn),
    fpr: ratio(fp, fp + tn),
  };
}
