import { table as arqueroTable, type ColumnTable } from 'arquero';
import { columnValues, type Column, type ColumnKind, type RowOrigin } from './columns';
import { InputError, quote } from './errors';
import type { FeatureSpec } from './features';
import { identifierColumns, type LeftOut } from './identifiers';
import type { ReadOptions } from './io';
import { getPreset, PRESETS, type Preset } from './presets';
import type { Format } from './text-table';
import { isMissingText } from './values';

/** Roles given by hand for a file no preset describes. */
export interface GenericSpec {
  /** Label column; without one the data is unlabelled. */
  label?: string;
  /** Label value(s) that mean normal; required with `label`. `*` in a value stands for any text. */
  normal?: string | string[];
  /**
   * Label value(s) of attacks, `*` as in `normal`: a row whose label is neither normal nor one of
   * these is unlabelled (see Labels' `unlabelled`), as CTU-13's background flows. Default: every
   * label that is not normal or missing is an attack.
   */
  attack?: string | string[];
  /** Columns that are neither features nor labels (ids, addresses, timestamps). */
  drop?: string[];
  /**
   * Columns to one-hot encode; other text columns are categorical too, number columns numeric,
   * except text columns that look like identifiers (see `identifiers.ts`), which are left out
   * unless named here.
   */
  categorical?: string[];
  log1p?: string[];
  /** Column names for a headerless file, or to replace a header's. */
  names?: string[];
  /** Whether the first row is a header; unset, as text-layout.ts's LayoutOptions say. */
  header?: boolean;
  /** Most frequent categories kept per column (default 100); the rest count as unseen. */
  maxCategories?: number;
  /** Column naming each attack's category (`attack_cat`, `type`): reported per category, never a feature. Needs `label`. */
  categoryColumn?: string;
  /** Label value → attack family, for labels that are attack names of a known data set. */
  families?: Record<string, string>;
}

/**
 * A preset's roles; `categoryColumn: null` leaves out its attack category (its label is the
 * category). `label` and `normal`: a label column the preset does not name, and its normal
 * value(s), for a file that has the preset's features but labels its rows in a column of its own.
 */
export interface PresetSpec {
  preset: string;
  categoryColumn?: null;
  label?: string;
  normal?: string[];
}

export type SchemaSpec = PresetSpec | GenericSpec;

/** The roles of a file's columns, resolved against the file: plain JSON. */
export interface Schema {
  preset: string | null;
  read: { header?: boolean; names?: string[]; namesFrom?: string; format?: Format };
  /** Label column, or null for unlabelled data. */
  label: string | null;
  normal: string[];
  /** Label values of attacks (see GenericSpec's `attack`); absent: every other label. */
  attack?: string[];
  categoryColumn: string | null;
  families: Record<string, string> | null;
  features: FeatureSpec;
  /** Columns of a generic file left out of the features because they look like identifiers. */
  leftOut?: LeftOut[];
}

const GENERIC_MAX_CATEGORIES = 100;

const FORMATS: readonly string[] = ['csv', 'tsv', 'zeek', 'arrow', 'parquet'];

/**
 * A schema as a model file holds it (JSON), checked field by field, so that a file netae did not
 * write is refused with the field named rather than misread (a `normal` that is not a list would
 * count every row as an attack).
 */
export function checkSchemaJSON(json: unknown): Schema {
  const fail = (why: string): never => {
    throw new Error(`not a netae schema: ${why}`);
  };
  const texts = (x: unknown): x is string[] => Array.isArray(x) && x.every((v) => typeof v === 'string');
  const textOrNull = (x: unknown) => x === null || typeof x === 'string';
  if (typeof json !== 'object' || json === null) return fail('expected an object');
  const s = json as Record<string, unknown>;
  if (s.preset !== null && !(typeof s.preset === 'string' && PRESETS.some((p) => p.name === s.preset))) {
    fail(`preset ${typeof s.preset === 'string' ? quote(s.preset) : String(JSON.stringify(s.preset))} is not one this netae knows (${PRESETS.map((p) => p.name).join(', ')})`);
  }
  const read = s.read as Record<string, unknown> | null;
  if (typeof read !== 'object' || read === null) return fail('read must be an object');
  if (read.header !== undefined && typeof read.header !== 'boolean') fail('read.header must be true or false');
  if (read.names !== undefined && !texts(read.names)) fail('read.names must be a list of column names');
  if (read.namesFrom !== undefined && typeof read.namesFrom !== 'string') fail('read.namesFrom must be text');
  if (read.format !== undefined && !FORMATS.includes(read.format as string)) fail(`read.format must be one of ${FORMATS.join(', ')}`);
  if (!textOrNull(s.label)) fail('label must be a column name or null');
  if (!texts(s.normal)) fail('normal must be a list of label values');
  if (s.attack !== undefined && !texts(s.attack)) fail('attack must be a list of label values');
  if (!textOrNull(s.categoryColumn)) fail('categoryColumn must be a column name or null');
  const families = s.families as Record<string, unknown> | null;
  if (families !== null && (typeof families !== 'object' || Array.isArray(families) || !Object.values(families).every((v) => typeof v === 'string'))) {
    fail('families must map labels to family names, or be null');
  }
  const features = s.features as Record<string, unknown> | null;
  if (typeof features !== 'object' || features === null) return fail('features must be an object');
  if (!texts(features.numeric) || !texts(features.categorical)) fail('features.numeric and features.categorical must be lists of column names');
  if (features.log1p !== undefined && !texts(features.log1p)) fail('features.log1p must be a list of column names');
  const most = features.maxCategories;
  if (most !== undefined && !(typeof most === 'number' && Number.isSafeInteger(most) && most >= 1)) fail('features.maxCategories must be a whole number ≥ 1');
  const leftOut = s.leftOut;
  if (leftOut !== undefined && !(Array.isArray(leftOut) && leftOut.every((l) => typeof l === 'object' && l !== null && typeof l.column === 'string' && typeof l.reason === 'string'))) {
    fail('leftOut must be a list of columns and reasons');
  }
  return json as Schema;
}

function isPresetSpec(spec: SchemaSpec): spec is PresetSpec {
  return typeof (spec as { preset?: unknown }).preset === 'string';
}

/** How to read files for a spec: names for headerless files, and column kinds. */
export function readOptionsFor(spec: SchemaSpec | Schema, fileName?: string): ReadOptions {
  const schema = 'features' in spec ? spec : draftSchema(spec);
  const types: Record<string, ColumnKind> = {};
  for (const name of schema.features.numeric) types[name] = 'number';
  for (const name of schema.features.categorical) types[name] = 'string';
  if (schema.label !== null) types[schema.label] = 'string';
  if (schema.categoryColumn !== null) types[schema.categoryColumn] = 'string';
  for (const name of ('drop' in spec ? spec.drop : undefined) ?? []) types[name] = 'string';
  const unset = PRESETS.find((preset) => preset.name === schema.preset)?.unset;
  return { ...schema.read, fileName, types, ...(unset === undefined ? {} : { unset }) };
}

/**
 * The columns a preset reads, chosen from a file's names: its features, label and category
 * columns (every column when one of its features is missing, so the error lists the file's
 * columns). Undefined for a generic spec, which reads every column. Reading for training
 * passes this, so that columns no feature uses take no memory.
 */
export function presetColumns(spec: SchemaSpec): ((names: readonly string[]) => string[]) | undefined {
  if (!isPresetSpec(spec)) return undefined;
  const schema = draftSchema(spec);
  const features = [...schema.features.numeric, ...schema.features.categorical];
  const wanted = new Set([...features, ...[schema.label, schema.categoryColumn].filter((c): c is string => c !== null)]);
  return (names) => (features.every((name) => names.includes(name)) ? names.filter((name) => wanted.has(name)) : [...names]);
}

/** The schema a spec gives before looking at a file (generic specs leave numeric columns to the data). */
function draftSchema(spec: SchemaSpec): Schema {
  if (isPresetSpec(spec)) {
    const preset = presetSchema(getPreset(spec.preset));
    const { attack: _attack, ...ownLabel } = preset;
    const schema = spec.label === undefined ? preset : { ...ownLabel, label: spec.label, normal: spec.normal ?? [] };
    return spec.categoryColumn === null ? { ...schema, categoryColumn: null } : schema;
  }
  const categorical = spec.categorical ?? [];
  return {
    preset: null,
    read: spec.names === undefined ? { header: spec.header } : { header: spec.header, names: spec.names, namesFrom: 'the given names' },
    label: spec.label ?? null,
    normal: toList(spec.normal),
    ...(spec.attack === undefined ? {} : { attack: toList(spec.attack) }),
    categoryColumn: spec.categoryColumn ?? null,
    families: spec.families ?? null,
    features: { numeric: [], categorical, log1p: spec.log1p ?? [], maxCategories: spec.maxCategories ?? GENERIC_MAX_CATEGORIES },
  };
}

function presetSchema(preset: Preset): Schema {
  const from = `the ${preset.name} preset${preset.namesNote ? `; ${preset.namesNote}` : ''}`;
  const read = preset.read.names === undefined ? { ...preset.read } : { ...preset.read, namesFrom: from };
  return {
    preset: preset.name,
    read,
    label: preset.label,
    normal: preset.normal,
    ...(preset.attack === undefined ? {} : { attack: preset.attack }),
    categoryColumn: preset.categoryColumn ?? null,
    families: preset.families ?? null,
    features: {
      numeric: preset.numeric,
      categorical: preset.categorical,
      maxCategories: preset.maxCategories,
    },
  };
}

/**
 * Resolves a spec against a file's table. A preset must find all its feature columns (its label
 * column may be absent: unlabelled data); a generic spec must name columns the file has, and every
 * other column becomes a feature: numeric when read as numbers, categorical when read as text.
 */
export function resolveSchema(table: ColumnTable, spec: SchemaSpec, file = 'input', lines: ArrayLike<number> = rowNumbers(table.numRows())): Schema {
  const draft = draftSchema(spec);
  const columns = table.columnNames();
  const has = new Set(columns);
  if (isPresetSpec(spec)) {
    const optional = new Set(getPreset(spec.preset).optional ?? []);
    const needed = [...draft.features.numeric, ...draft.features.categorical];
    const missing = needed.filter((name) => !has.has(name) && !optional.has(name));
    if (missing.length > 0) {
      throw new InputError(
        { file },
        `the ${spec.preset} preset needs ${missing.length} column(s) the file lacks: ${list(missing)} (the file has: ${list(columns)})`,
      );
    }
    const label = draft.label !== null && has.has(draft.label) ? draft.label : null;
    const categoryColumn = label !== null && draft.categoryColumn !== null && has.has(draft.categoryColumn) ? draft.categoryColumn : null;
    const present = (names: string[]) => names.filter((name) => has.has(name));
    const features = { ...draft.features, numeric: present(draft.features.numeric), categorical: present(draft.features.categorical) };
    return { ...draft, label, categoryColumn, features };
  }
  const named = (what: string, names: string[]) => {
    const unknown = names.filter((name) => !has.has(name));
    if (unknown.length > 0) throw new InputError({ file }, `${what} ${list(unknown)} not in the file (it has: ${list(columns)})`);
  };
  if (draft.label !== null) {
    named('label column', [draft.label]);
    if (draft.normal.length === 0) throw new InputError({ file, column: draft.label }, 'a label column needs the label value that means normal');
  }
  if (draft.categoryColumn !== null) {
    if (draft.label === null) throw new InputError({ file, column: draft.categoryColumn }, 'an attack category column needs a label column');
    named('attack category column', [draft.categoryColumn]);
  }
  named('column(s) to drop', spec.drop ?? []);
  named('categorical column(s)', draft.features.categorical);
  named('log1p column(s)', draft.features.log1p ?? []);
  const skip = new Set([...(spec.drop ?? []), ...[draft.label, draft.categoryColumn].filter((c): c is string => c !== null)]);
  const given = new Set(draft.features.categorical);
  const features = columns.filter((name) => !skip.has(name));
  const isText = (name: string) => given.has(name) || !(table.column(name) instanceof Float64Array);
  const log1p = new Set(draft.features.log1p ?? []);
  const leftOut = identifierColumns(table, features.filter((name) => !given.has(name) && !log1p.has(name)), lines);
  const left = new Set(leftOut.map((l) => l.column));
  const kept = features.filter((name) => !left.has(name));
  for (const name of draft.features.log1p ?? []) {
    if (isText(name)) throw new InputError({ file, column: name }, 'a log1p column must hold numbers, and this one is read as text: a categorical feature');
  }
  return {
    ...draft,
    read: { ...draft.read, header: draft.read.header ?? (draft.read.names === undefined ? true : undefined) },
    features: {
      ...draft.features,
      categorical: kept.filter(isText),
      numeric: kept.filter((name) => !isText(name)),
    },
    leftOut,
  };
}

/** Rows numbered from 1, as the lines of a table with no origin. */
export function rowNumbers(rows: number): Int32Array {
  return Int32Array.from({ length: rows }, (_, i) => i + 1);
}

/** Per row: whether it is an anomaly, and its category (`normal` for normal rows). */
export interface Labels {
  isAnomaly: Uint8Array;
  category: string[];
  normalCount: number;
  /**
   * Per row, 1 where the label is missing (`-`, empty, `NA`, … as values.ts reads them) and not
   * a normal value, or where the schema lists its attacks and the label is none of them: a row
   * neither normal nor an attack, which training leaves out as it leaves out attacks
   * (`isAnomaly` is 1) and measures leave out altogether. Null when every row has one.
   */
  unlabelled: Uint8Array | null;
}

/** Rows whose label is missing (see Labels' `unlabelled`). */
export function unlabelledCount(labels: Labels): number {
  return labels.unlabelled === null ? 0 : labels.unlabelled.reduce((n, u) => n + u, 0);
}

/** The places of the rows with a label, or null when every row has one. */
export function labelledRows(labels: Labels): Int32Array | null {
  const { unlabelled } = labels;
  if (unlabelled === null) return null;
  const rows = new Int32Array(unlabelled.length - unlabelledCount(labels));
  for (let i = 0, n = 0; i < unlabelled.length; i++) if (unlabelled[i] === 0) rows[n++] = i;
  return rows;
}

/** The scores of the rows with a label, and their labels: what measures against labels are taken over. */
export function labelledScores(scores: Float32Array, labels: Labels): { scores: Float32Array; labels: Labels } {
  const rows = labelledRows(labels);
  return rows === null ? { scores, labels } : { scores: Float32Array.from(rows, (i) => scores[i]), labels: pickLabels(labels, rows) };
}

/** The labels of the rows at `rows` (from labelledRows), in that order. */
export function pickLabels(labels: Labels, rows: Int32Array): Labels {
  const isAnomaly = Uint8Array.from(rows, (i) => labels.isAnomaly[i]);
  const category = Array.from(rows, (i) => labels.category[i]);
  const normalCount = isAnomaly.length - isAnomaly.reduce((n, a) => n + a, 0);
  return { isAnomaly, category, normalCount, unlabelled: null };
}

/**
 * Whether a label is one of `values`: the same text, a whole number written with a point and
 * zeros or without (`0.0` is `0`, as pandas writes labels it read as floats); or, where a value
 * holds `*`, text that `*` stands in for, none included (`*Normal*` matches
 * `flow=From-Normal-V42-Jist`).
 */
export function labelMatcher(values: readonly string[]): (label: string) => boolean {
  const exact = new Set(values.filter((v) => !v.includes('*')).map(wholeNumber));
  const patterns = values.filter((v) => v.includes('*')).map((v) => new RegExp(`^${v.split('*').map(escapeRegExp).join('.*')}$`, 's'));
  return (label) => exact.has(wholeNumber(label)) || patterns.some((p) => p.test(label));
}

/** A whole number written with a point and zeros (`1.0`) as it is written without them; other text as it is. */
function wholeNumber(text: string): string {
  return /^[+-]?\d+\.0+$/.test(text) ? text.slice(0, text.indexOf('.')) : text;
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.|?+()[\]{}]/g, '\\$&');
}

/**
 * Labels of a table, or null when the schema has no label column. A row is normal when its
 * trimmed label is one of the schema's normal values (see {@link labelMatcher}). Its category is `normal` for normal rows,
 * else the category column's value (where the table has the column and the value is not
 * missing), else the label's family where the map has one, else the label itself.
 */
export function labelsOf(table: ColumnTable, schema: Schema): Labels | null {
  if (schema.label === null) return null;
  const labels = columnValues(table, schema.label);
  const category = schema.categoryColumn;
  const categories = category === null || !table.columnNames().includes(category) ? null : columnValues(table, category);
  return labelsOfValues(labels, categories, schema);
}

/** {@link labelsOf} from the label column's values (and the category column's, when the schema has one). */
export function labelsOfValues(labels: ArrayLike<unknown>, categories: ArrayLike<unknown> | null, schema: Pick<Schema, 'normal' | 'attack' | 'families'>): Labels {
  const isNormal = labelMatcher(schema.normal);
  const isAttack = schema.attack === undefined ? null : labelMatcher(schema.attack);
  const n = labels.length;
  const isAnomaly = new Uint8Array(n);
  const category = new Array<string>(n);
  let normalCount = 0;
  let unlabelled: Uint8Array | null = null;
  // A label column holds few distinct values: each is trimmed, and matched, once.
  const read = new Map<unknown, { label: string; normal: boolean; missing: boolean }>();
  for (let i = 0; i < n; i++) {
    const value = labels[i];
    let entry = read.get(value);
    if (entry === undefined) {
      const label = String(value ?? '').trim();
      const normal = isNormal(label);
      read.set(value, (entry = { label, normal, missing: !normal && (isMissingText(label) || (isAttack !== null && !isAttack(label))) }));
    }
    const { label } = entry;
    if (entry.normal) {
      category[i] = 'normal';
      normalCount++;
      continue;
    }
    isAnomaly[i] = 1;
    if (entry.missing) (unlabelled ??= new Uint8Array(n))[i] = 1;
    category[i] = categories === null ? familyOf(label, schema.families) : attackCategory(categories[i], label, schema.families);
  }
  return { isAnomaly, category, normalCount, unlabelled };
}

/** An attack label's family, where the map has it, else the label itself. */
function familyOf(label: string, families: Record<string, string> | null): string {
  return families !== null && Object.hasOwn(families, label) ? families[label] : label;
}

/**
 * An attack row's category from the category column's value: the label's (family) where the value
 * is missing; `normal` in any case, the normal rows' group, said as an attack's (`Normal (label 1)`).
 */
function attackCategory(value: unknown, label: string, families: Record<string, string> | null): string {
  const text = String(value ?? '').trim();
  if (isMissingText(text)) return familyOf(label, families);
  return text.toLowerCase() === 'normal' ? `${text} (label ${label})` : text;
}

/**
 * The normal rows of a labelled table (all rows of an unlabelled one), with their origin lines.
 * An Error naming the file and label column when no row is normal.
 */
export function normalRows<T extends RowOrigin>(
  table: ColumnTable,
  schema: Schema,
  origin: T,
): { table: ColumnTable; origin: T } {
  const labels = labelsOf(table, schema);
  if (labels === null) return { table, origin };
  if (labels.normalCount === 0) {
    const seen = new Map<string, number>();
    const values = columnValues(table, schema.label!);
    for (let i = 0; i < values.length; i++) {
      const key = String(values[i]).trim();
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    const found = [...seen].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([v, c]) => `${quote(v)} (${c})`);
    throw new InputError(
      { file: origin.file, column: schema.label! },
      `no row has a normal label (${schema.normal.map((v) => quote(v)).join(' or ')}); labels found: ${found.join(', ')}`,
    );
  }
  const keep = new Int32Array(labels.normalCount);
  const lines = new Int32Array(labels.normalCount);
  for (let i = 0, k = 0; i < labels.isAnomaly.length; i++) {
    if (labels.isAnomaly[i] === 0) {
      keep[k] = i;
      lines[k++] = origin.lines[i] ?? i + 1;
    }
  }
  return { table: pickTableRows(table, keep), origin: { ...origin, lines } };
}

/**
 * The rows `keep` of a table (numbered as the table shows them, after any filter or order), in
 * that order. Columns as io reads them (Float64Array, string array) are gathered directly; others
 * through Arquero.
 */
function pickTableRows(shown: ColumnTable, keep: Int32Array): ColumnTable {
  const table = shown.isFiltered() || shown.isOrdered() ? shown.reify() : shown;
  const names = table.columnNames();
  const columns = names.map((name) => table.column(name));
  if (!columns.every((c) => c instanceof Float64Array || Array.isArray(c))) return table.reify(Array.from(keep));
  const data: Record<string, Column> = {};
  names.forEach((name, j) => {
    const column = columns[j] as Column;
    data[name] = column instanceof Float64Array ? pickNumbers(column, keep) : pickStrings(column, keep);
  });
  return arqueroTable(data, names);
}

function pickNumbers(column: Float64Array, keep: Int32Array): Float64Array {
  const out = new Float64Array(keep.length);
  for (let k = 0; k < keep.length; k++) out[k] = column[keep[k]];
  return out;
}

function pickStrings(column: string[], keep: Int32Array): string[] {
  const out = new Array<string>(keep.length);
  for (let k = 0; k < keep.length; k++) out[k] = column[keep[k]];
  return out;
}

function toList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function list(names: string[], max = 12): string {
  const shown = names.slice(0, max).map((n) => quote(n)).join(', ');
  return names.length > max ? `${shown}, … (${names.length} in all)` : shown;
}
