import { quote } from '../pipeline/errors';
import { PRESETS } from '../pipeline/presets';
import type { Featurizer } from '../pipeline/featurizer';
import type { Schema } from '../pipeline/schema';

/**
 * The input columns copied into each result, so that a flag can be joined back to its record:
 * those `--keep` names, none for `--keep none`, and by default those the model's preset names
 * (for Zeek conn.log: `uid`, `ts` and the connection's endpoints).
 */
export interface Keep {
  readonly columns: readonly string[];
  /** Whether the columns were given: a file must have them all. Defaults are kept where a file has them. */
  readonly given: boolean;
}

/**
 * The keep choice from a `--keep` list (undefined when not given) and the model's schema; an
 * Error for `none` among other names, or for a name the output uses for its own fields (`reserved`).
 */
export function keepOf(flag: readonly string[] | undefined, schema: Schema, reserved: readonly string[]): Keep {
  if (flag === undefined) return { columns: PRESETS.find((p) => p.name === schema.preset)?.keep ?? [], given: false };
  if (flag.length === 1 && flag[0] === 'none') return { columns: [], given: true };
  if (flag.includes('none')) throw new Error('--keep none takes no other column');
  const clash = flag.filter((c) => reserved.includes(c));
  if (clash.length > 0) throw new Error(`--keep ${clash.map((c) => quote(c)).join(', ')}: the output has a field of that name already`);
  return { columns: [...new Set(flag)], given: true };
}

/**
 * The kept columns of a file with these column names, in the order asked. A given column the
 * file lacks is an Error naming it; a default one is left out. A column written anyway (the
 * label, in `written`) is not repeated.
 */
export function keptColumns(keep: Keep, names: readonly string[], file: string, written: readonly string[]): string[] {
  const has = new Set(names);
  const missing = keep.columns.filter((c) => !has.has(c));
  if (keep.given && missing.length > 0) {
    const listed = names.slice(0, 12).map((c) => quote(c)).join(', ');
    throw new Error(`${file}: no column(s) ${missing.map((c) => quote(c)).join(', ')} to keep (--keep); its columns are ${listed}${names.length > 12 ? ', …' : ''}`);
  }
  return keep.columns.filter((c) => has.has(c) && !written.includes(c));
}

/** The text columns a result written for a file with these column names holds: the label, where the file has it, then the kept columns. */
export function writtenTexts(keep: Keep, featurizer: Featurizer, names: readonly string[], file: string): string[] {
  const labelled = featurizer.hasLabel(names) ? [featurizer.schema.label!] : [];
  return [...labelled, ...keptColumns(keep, names, file, labelled)];
}
