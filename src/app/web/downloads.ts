import { decodeModel, encodeModel } from '../../model/model';
import { scoresCsv } from '../scores-csv';
import type { Result } from './protocol';

/** Hands bytes to the browser as a file download. */
export function saveFile(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * The model file with `threshold` as its threshold: the file as it is when that is its own,
 * else the same weights and featurizer recording the threshold with mode `chosen`.
 */
export function modelWithThreshold(result: Result, threshold: number): Uint8Array {
  if (threshold === result.summary.threshold) return result.model;
  const model = decodeModel(result.model, { source: result.modelName });
  return encodeModel({ ...model, meta: { ...model.meta, threshold: { value: threshold, mode: 'chosen' } } });
}

export function saveModel(result: Result, threshold: number): void {
  saveFile(result.modelName, modelWithThreshold(result, threshold) as Uint8Array<ArrayBuffer>, 'application/octet-stream');
}

/** The name of a file derived from the scored records': `test.conn.log` → `test.<suffix>`. */
export function derivedName(result: Result, suffix: string): string {
  const base = result.data.replace(/^.*[\\/]/, '').replace(/\.gz$/i, '').replace(/\.[^.]+$/, '').replaceAll(/\s+/g, '-');
  return `${base || 'records'}.${suffix}`;
}

/** The scores as `netae score` writes them, flagged at `threshold`. */
export function saveScores(result: Result, threshold: number): void {
  saveFile(derivedName(result, 'scores.csv'), scoresCsv(result.scores, threshold, result.labelText), 'text/csv');
}
