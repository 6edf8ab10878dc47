import { InvalidArgumentError } from 'commander';
import { checkSpecText } from '../../model/spec';
import { presetNames, type SchemaSpec, type ThresholdRule } from '../../pipeline';
import { quote } from '../../pipeline/errors';
import { readNamesFile } from '../../pipeline/io-node';
import { UsageError } from './errors';

export function wholeNumber(min = 1): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError(`expected a whole number ≥ ${min}, got ${quote(text)}`);
    return value;
  };
}

export function realNumber(min = 0, max = Infinity): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
      throw new InvalidArgumentError(`expected a number in [${min}, ${max}], got ${quote(text)}`);
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
  drop?: string[];
  category?: string[];
  log1p?: string[];
  names?: string;
  header?: boolean;
}

/** The columns' roles from the flags: a preset, or a label column and its normal value(s). */
export async function schemaSpec(flags: DataFlags): Promise<SchemaSpec> {
  const generic = flags.label !== undefined || flags.normal !== undefined || flags.drop !== undefined
    || flags.category !== undefined || flags.names !== undefined || flags.log1p !== undefined;
  if (flags.preset !== undefined) {
    if (generic) throw new UsageError('--preset takes no --label, --normal, --drop, --category, --log1p or --names');
    if (!presetNames.includes(flags.preset)) {
      throw new UsageError(`unknown preset ${quote(flags.preset)}; expected one of ${presetNames.join(', ')}`);
    }
    return { preset: flags.preset };
  }
  if (flags.label !== undefined && !flags.normal?.length) throw new UsageError('--label needs --normal VALUE (the label of normal rows)');
  if (flags.label === undefined && flags.normal !== undefined) throw new UsageError('--normal needs --label COLUMN');
  return {
    label: flags.label,
    normal: flags.normal,
    drop: flags.drop,
    categorical: flags.category,
    log1p: flags.log1p,
    names: flags.names === undefined ? undefined : await readNamesFile(flags.names),
    header: flags.header,
  };
}

/**
 * The threshold rule from `--threshold-mode`, `--percentile` and `--threshold`: a percentile of
 * the held-out normal scores (99 unless given), the best F1, or a fixed value. `--threshold`
 * alone means fixed; a value given for a mode that does not use it is refused.
 */
export function thresholdRule(mode: string | undefined, percentile?: number, value?: number): ThresholdRule {
  const chosen = mode ?? (value === undefined ? 'percentile' : 'fixed');
  if (percentile !== undefined && chosen !== 'percentile') {
    throw new UsageError(`--percentile goes with --threshold-mode percentile, not ${mode ?? 'with --threshold'}`);
  }
  if (value !== undefined && chosen !== 'fixed') throw new UsageError(`--threshold goes with --threshold-mode fixed, not ${chosen}`);
  switch (chosen) {
    case 'percentile': return { kind: 'percentile', percentile: percentile ?? 99 };
    case 'best-f1': return { kind: 'best-f1' };
    case 'fixed':
      if (value === undefined) throw new UsageError('--threshold-mode fixed needs --threshold X');
      return { kind: 'fixed', value };
    default: throw new UsageError(`unknown --threshold-mode ${quote(mode)}; expected percentile, best-f1 or fixed`);
  }
}
