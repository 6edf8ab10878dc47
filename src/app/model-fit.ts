import { presetTitle } from '../pipeline/recognise';

/** What a model needs of a file, and what a file offers, to say in one line why they do not fit. */
export interface FitCheck {
  readonly modelName: string;
  /** The preset the model was trained with, or null for a generic file. */
  readonly modelPreset: string | null;
  /** The input columns the model's features come from. */
  readonly needed: readonly string[];
  readonly fileName: string;
  /** The file's columns read the way the model reads files, or null when it cannot read them so (another layout). */
  readonly columns: readonly string[] | null;
  /** The preset the file's own columns match, or null. */
  readonly filePreset: string | null;
}

const SHOWN = 3;

/**
 * Null when the file has every column the model needs; otherwise one line saying so, by data set
 * where they are known (`this model was trained on NSL-KDD columns; test.conn.log has Zeek
 * conn.log columns`), else with the count and the first few missing columns.
 */
export function fitProblem(check: FitCheck): string | null {
  const has = new Set(check.columns ?? []);
  const missing = check.columns === null ? [...check.needed] : check.needed.filter((c) => !has.has(c));
  if (missing.length === 0) return null;
  const trainedOn = check.modelPreset === null ? 'other columns' : `${presetTitle(check.modelPreset)} columns`;
  if (check.filePreset !== null && check.filePreset !== check.modelPreset) {
    return `${check.modelName} was trained on ${trainedOn}; ${check.fileName} has ${presetTitle(check.filePreset)} columns`;
  }
  const some = missing.slice(0, SHOWN).join(', ');
  const more = missing.length > SHOWN ? ', …' : '';
  const n = check.needed.length;
  const lacks = missing.length === n ? `lacks all ${n} of its columns` : `lacks ${missing.length} of its ${n} columns`;
  return `${check.modelName} was trained on ${trainedOn}; ${check.fileName} ${lacks} (${some}${more})`;
}
