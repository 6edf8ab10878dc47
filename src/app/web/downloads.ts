import { scoresCsv } from '../scores-csv';
import type { Result } from './protocol';

/** Hands bytes to the browser as a file download. */
function saveFile(name: string, data: BlobPart, type: string): void {
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

export function saveModel(result: Result): void {
  saveFile(result.modelName, result.model as Uint8Array<ArrayBuffer>, 'application/octet-stream');
}

/** The scores as `netae score` writes them, flagged at the model's threshold. */
export function saveScores(result: Result): void {
  const base = result.data.replace(/^.*[\\/]/, '').replace(/\.gz$/i, '').replace(/\.[^.]+$/, '') || 'records';
  saveFile(`${base.replaceAll(/\s+/g, '-')}.scores.csv`, scoresCsv(result.scores, result.summary.threshold, result.labelText), 'text/csv');
}
