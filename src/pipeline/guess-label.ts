import type { ColumnTable } from 'arquero';
import { labelsOfValues } from './schema';
import { categoryKey, isMissingText, parseNumber } from './values';

/**
 * Column names that usually hold the label of a record, the likeliest first, as {@link nameKey}
 * writes them (Edge-IIoTset's `Attack_label` is `attacklabel`).
 */
const LABEL_COLUMNS = ['label', 'class', 'attack', 'outcome', 'attacklabel', 'attackcat', 'category', 'target'];

/** A column's name in lower case without `_`, `-` or spaces: `attack_type`, `attackType` and `Attack Type` alike. */
function nameKey(name: string): string {
  return name.toLowerCase().replace(/[-_ ]/g, '');
}

/** What may follow a word for normal traffic: `traffic` or `flow` (CIC-IoT2023's `BenignTraffic`). */
const TRAFFIC = '([ _-]?(traffic|flows?))?';

/**
 * Label values that mean normal traffic, any case, the surest first: a column holding several
 * has the first for its normal traffic (a CTU-13 copy's `Background` is not). KDD Cup 99 ends its
 * labels with a full stop.
 */
const NORMAL_VALUES = [`(normal|benign)${TRAFFIC}\\.?`, `legitimate${TRAFFIC}`, '0|false|negative', `background${TRAFFIC}`]
  .map((pattern) => new RegExp(`^(${pattern})$`, 'i'));

/** The distinct values of each of a table's columns, as text, in the order met. */
export function distinctValues(table: ColumnTable): (column: string) => string[] {
  return (column) => [...new Set(Array.from(table.array(column) as ArrayLike<unknown>, categoryKey))];
}

/** The values among a label column's values that may mean normal traffic, the surest first (see NORMAL_VALUES). */
function normalValues(values: readonly string[]): string[] {
  return NORMAL_VALUES.flatMap((pattern) => values.filter((v) => pattern.test(v)));
}

/** The value among a label column's values that likely means normal traffic: a known one, else the first. */
export function guessNormal(values: readonly string[]): string | null {
  return normalValues(values)[0] ?? values[0] ?? null;
}

/**
 * The likely label column of a file that matches no preset, and its value for normal traffic:
 * a column of few distinct values (those in `values`) with a label's usual name, else the last
 * such column. A file of one column has none: that column is all it has to learn from.
 */
export function guessLabel(columns: readonly string[], values: Readonly<Record<string, readonly string[]>>): { label: string | null; normal: string | null } {
  if (columns.length < 2) return { label: null, normal: null };
  const label = columns.find((c) => (LABEL_COLUMNS.includes(nameKey(c)) || c.toLowerCase() === 'y') && values[c]) ?? [...columns].reverse().find((c) => values[c]) ?? null;
  if (label === null) return { label, normal: null };
  return { label, normal: guessNormal(values[label]) };
}

/** The most distinct values a column may show in a file's first rows to be taken for its label. */
const MOST_LABEL_VALUES = 64;

/**
 * The label column of a file that matches no preset, where it is plain enough to take without
 * being told: a column with a label's usual name, few distinct values, one of which is a known
 * value for normal traffic (`values` holds each column's distinct values in the first rows, in the
 * order met), the surest where there are several (`others`: the rest of them, attacks' labels
 * then). Of several such columns (a label and an attack category), the first in LABEL_COLUMNS'
 * order. Null when there is none.
 */
export function plainLabel(columns: readonly string[], values: (column: string) => readonly string[]): { label: string; normal: string; others: string[] } | null {
  for (const name of LABEL_COLUMNS) {
    const column = columns.find((c) => nameKey(c) === name);
    if (column === undefined) continue;
    const seen = values(column);
    const [normal, ...others] = normalValues(seen);
    if (seen.length <= MOST_LABEL_VALUES && normal !== undefined) return { label: column, normal, others };
  }
  return null;
}

/**
 * Column names that usually hold an attack's category beside a label, the likeliest first, as
 * {@link nameKey} writes them: UNSW-NB15's `attack_cat`, CIDDS-001's `attackType`, IoT-23's
 * `detailed-label`, the NetFlow releases' (NF-UNSW-NB15-v2, …) `Attack` beside their `Label`.
 */
const CATEGORY_COLUMNS = ['attackcat', 'category', 'attackcategory', 'attacktype', 'type', 'detailedlabel', 'attack'];

/** What a category column holds in normal rows, where it holds anything but a missing value (`-`, `---`, …): normal traffic named as such. */
const NORMAL_CATEGORY = new RegExp(`^(normal|benign|legitimate|background)${TRAFFIC}$`, 'i');

/**
 * The column naming each attack's category beside a label (UNSW-NB15's `attack_cat`, ToN-IoT's
 * `type`, BoT-IoT's `category`): one with such a name, other than the label, that in the rows
 * of `rows` is missing or says normal (`normal`, `Benign`, …) in every normal row, and in the
 * attack rows, where there are any, holds text (not only numbers: an ICMP `type` is a feature)
 * of at most 64 values. None without normal rows to look at.
 */
export function plainCategory(columns: readonly string[], label: string, rows: RowValues): string | null {
  if (rows.normalRows === 0) return null;
  for (const name of CATEGORY_COLUMNS) {
    const column = columns.find((c) => c !== label && nameKey(c) === name);
    if (column === undefined || !rows.normal(column).every((v) => NORMAL_CATEGORY.test(v))) continue;
    const attacks = rows.attack(column);
    if (rows.attackRows === 0 || (attacks.length <= MOST_LABEL_VALUES && attacks.some((v) => parseNumber(v) === undefined))) return column;
  }
  return null;
}

/** The distinct values of a table's columns in its normal rows and in its attack rows, trimmed, missing ones left out. */
export interface RowValues {
  normal(column: string): string[];
  attack(column: string): string[];
  normalRows: number;
  attackRows: number;
}

/**
 * {@link RowValues} of `table`, its rows labelled by `label` as labelsOf labels them: normal where
 * the label is one of `normal`, an attack where it is one of `attack` (without `attack`, any other
 * label but a missing one), the rest neither.
 */
export function rowValues(table: ColumnTable, label: string, normal: readonly string[], attack?: readonly string[]): RowValues {
  const schema = { normal: [...normal], ...(attack === undefined ? {} : { attack: [...attack] }), families: null };
  const labels = labelsOfValues(Array.from(table.array(label) as ArrayLike<unknown>, categoryKey), null, schema);
  const NORMAL = 0;
  const ATTACK = 1;
  const kind = Array.from(labels.isAnomaly, (a, i) => (labels.unlabelled?.[i] === 1 ? -1 : a === 1 ? ATTACK : NORMAL));
  const of = (wanted: number) => (column: string) => {
    const found = new Set<string>();
    const cells = table.array(column) as ArrayLike<unknown>;
    for (let i = 0; i < kind.length; i++) {
      if (kind[i] !== wanted) continue;
      const text = categoryKey(cells[i]).trim();
      if (!isMissingText(text)) found.add(text);
    }
    return [...found];
  };
  const count = (wanted: number) => kind.filter((k) => k === wanted).length;
  return { normal: of(NORMAL), attack: of(ATTACK), normalRows: count(NORMAL), attackRows: count(ATTACK) };
}
