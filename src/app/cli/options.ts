import { InvalidArgumentError } from 'commander';
import { checkSpecText } from '../../model/spec';
import { presetNames, type SchemaSpec } from '../../pipeline';
import { quote } from '../../pipeline/errors';
import { readNamesFile } from '../../pipeline/io-node';
import type { Format } from '../../pipeline/text-table';
import { UsageError } from './errors';

/** A number as written on a command line: decimal digits, a point, an exponent (not `0x10`, ` 2` or `Infinity`). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A flag's whole number, from `min` to `max` (by default the largest integer a double holds exactly). */
export function wholeNumber(min = 1, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max.toLocaleString('en-US')}`;
      throw new InvalidArgumentError(`expected a whole number ${range}, got ${quote(text)}`);
    }
    return value;
  };
}

/** A flag's number in [min, max], or in (min, max] where `above` says the bound itself is refused (a rate of 0). */
export function realNumber(min = 0, max = Infinity, above = false): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!DECIMAL.test(text) || !Number.isFinite(value) || value < min || (above && value === min) || value > max) {
      throw new InvalidArgumentError(`expected a number ${above ? `above ${min}` : `from ${min}`}${max === Infinity ? '' : `${above ? ' and at most' : ' to'} ${max}`}, got ${quote(text)}`);
    }
    return value;
  };
}

/** A `--layers` spec, checked as far as it can be before the data gives the input width. */
export function layers(text: string): string {
  try {
    checkSpecText(text);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return text;
}

/** Comma-separated values, repeatable: `--drop a,b --drop c`. */
export function list(text: string, previous: string[] = []): string[] {
  return [...previous, ...text.split(',').map((s) => s.trim()).filter(Boolean)];
}

export interface DataFlags {
  preset?: string;
  label?: string;
  normal?: string[];
  attack?: string[];
  drop?: string[];
  category?: string[];
  log1p?: string[];
  names?: string;
  header?: boolean;
  attackCategory?: string;
}

function hasGenericFlags(flags: DataFlags): boolean {
  return flags.label !== undefined || flags.normal !== undefined || flags.attack !== undefined || flags.drop !== undefined
    || flags.category !== undefined || flags.names !== undefined || flags.log1p !== undefined
    || (flags.attackCategory !== undefined && flags.attackCategory !== NO_CATEGORY);
}

/** Whether the flags say anything about the columns' roles (otherwise netae may recognise the file). */
export function hasSchemaFlags(flags: DataFlags): boolean {
  return flags.preset !== undefined || hasGenericFlags(flags) || flags.header === false;
}

/** The columns' roles from the flags: a preset, or a label column and its normal value(s). */
export async function schemaSpec(flags: DataFlags): Promise<SchemaSpec> {
  const generic = hasGenericFlags(flags);
  if (flags.preset !== undefined) {
    if (generic) throw new UsageError('--preset takes no --label, --normal, --attack, --drop, --category, --log1p, --names or --attack-category');
    if (!presetNames.includes(flags.preset)) {
      throw new UsageError(`unknown preset ${quote(flags.preset)}; expected one of ${presetNames.join(', ')}`);
    }
    return { preset: flags.preset, ...(flags.attackCategory === NO_CATEGORY ? { categoryColumn: null } : {}) };
  }
  if (flags.label !== undefined && !flags.normal?.length) throw new UsageError('--label needs --normal VALUE (the label of normal rows)');
  if (flags.label === undefined && flags.normal !== undefined) throw new UsageError('--normal needs --label COLUMN');
  if (flags.label === undefined && flags.attack !== undefined) throw new UsageError('--attack needs --label COLUMN');
  if (flags.attack !== undefined && flags.attack.length === 0) throw new UsageError('--attack needs a VALUE (the label of attack rows)');
  if (flags.label !== undefined) {
    for (const [flag, columns] of [['--drop', flags.drop], ['--category', flags.category]] as const) {
      if (columns?.includes(flags.label)) throw new UsageError(`${flag} ${quote(flags.label)}: that column is the label (--label), which is never a feature; leave it out of ${flag}`);
    }
  }
  for (const column of flags.category ?? []) {
    if (flags.drop?.includes(column)) throw new UsageError(`--category ${quote(column)}: that column is dropped (--drop); give it to one of the two`);
  }
  const names = flags.names === undefined ? undefined : await readNamesFile(flags.names);
  if (names !== undefined && names.names.length === 0) throw new UsageError(`--names ${flags.names}: no column names in the file`);
  const categorical = [...(flags.category ?? []), ...(names?.categorical ?? []).filter((c) => !flags.category?.includes(c) && !flags.drop?.includes(c))];
  /** The role the flags give a column, as said in messages, or null. */
  const roleOf = (column: string) => (column === flags.label ? 'the label (--label)'
    : flags.drop?.includes(column) ? 'dropped (--drop)'
      : flags.category?.includes(column) ? 'one-hot encoded (--category)' : null);
  for (const column of flags.log1p ?? []) {
    const role = roleOf(column) ?? (categorical.includes(column) ? `symbolic in ${flags.names}` : null);
    if (role !== null) throw new UsageError(`--log1p ${quote(column)}: that column is ${role}; log1p applies to numeric features`);
  }
  const category = flags.attackCategory === NO_CATEGORY ? undefined : flags.attackCategory;
  const categoryRole = category === undefined ? null : roleOf(category) ?? (flags.log1p?.includes(category) ? 'a log1p feature (--log1p)' : null);
  if (categoryRole !== null) {
    throw new UsageError(`--attack-category ${quote(category!)}: that column is ${categoryRole}; the attack category is a column of its own, never a feature`);
  }
  return {
    label: flags.label,
    normal: flags.normal,
    attack: flags.attack,
    drop: flags.drop,
    categorical: categorical.length ? categorical : undefined,
    log1p: flags.log1p,
    names: names?.names,
    header: flags.header === false ? false : undefined,
    categoryColumn: category,
  };
}

/** `--attack-category none`: no column names the attacks' categories, and none is guessed. */
export const NO_CATEGORY = 'none';

/** How messages name a file format. */
const FORMAT_NAMES: Record<Format, string> = { csv: 'CSV', tsv: 'TSV', zeek: 'a Zeek log', arrow: 'Arrow', parquet: 'Parquet' };

/** A UsageError where `--names FILE` is given for a file whose format names its own columns (Arrow, Parquet, Zeek). */
export function checkNamesFor(format: Format, names: string | undefined, file: string): void {
  if (names !== undefined && format !== 'csv' && format !== 'tsv') {
    throw new UsageError(`--names ${names}: ${file} is ${FORMAT_NAMES[format]}, which names its own columns; leave --names out`);
  }
}
