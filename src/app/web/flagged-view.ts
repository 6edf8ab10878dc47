import { expectedText, formatValue, type ColumnError } from '../explain';
import { byId, format, h } from './dom';
import { derivedName } from './downloads';
import { FlaggedIndex, NEAR_ROWS, pageOf, type FlaggedQuery, type FlaggedView, type SortKey } from './flagged';
import type { ExplainedRow, ExportFormat, Result } from './protocol';

const PAGE_ROWS = 25;
const ANY = '';

/** What the table hands back: the rows it lists, to export with their original fields. */
export type ExportRows = (rows: Uint32Array, format: ExportFormat, name: string) => void;

/**
 * The rows behind the threshold: every flagged row (or the rows nearest the threshold, to review
 * false positives), filtered by category and by explained column, sorted by a column heading,
 * a page at a time; each with the record's own fields and the columns the model found least
 * normal in it, beside what it expected.
 */
export class FlaggedTable {
  private index: FlaggedIndex | null = null;
  private result: Result | null = null;
  private query: FlaggedQuery = { threshold: 0, view: 'flagged', category: null, column: null, sort: 'score', descending: true };
  private rows: number[] = [];
  private page = 0;
  private frame = 0;
  private readonly view = byId<HTMLSelectElement>('flagged-view');
  private readonly category = byId<HTMLSelectElement>('flagged-category');
  private readonly column = byId<HTMLSelectElement>('flagged-column');

  constructor(private readonly exportRows: ExportRows) {
    this.view.addEventListener('change', () => this.update({ view: this.view.value as FlaggedView }));
    this.category.addEventListener('change', () => this.update({ category: this.category.value || null }));
    this.column.addEventListener('change', () => this.update({ column: this.column.value || null }));
    byId('flagged-prev').addEventListener('click', () => this.turn(-1));
    byId('flagged-next').addEventListener('click', () => this.turn(1));
    for (const format of ['csv', 'ndjson'] as const) {
      byId(`export-${format}`).addEventListener('click', () => {
        if (this.rows.length) this.exportRows(Uint32Array.from(this.rows), format, this.exportName(format));
      });
    }
  }

  show(result: Result, threshold: number): void {
    this.result = result;
    this.index = new FlaggedIndex(result.scores, result.labels?.category ?? null, result.explained);
    this.query = { threshold, view: 'flagged', category: null, column: null, sort: 'score', descending: true };
    this.view.value = 'flagged';
    this.view.options[1].textContent = `Near the threshold (${NEAR_ROWS} either side)`;
    fill(this.category, 'All categories', this.index.categoryNames());
    this.category.hidden = result.labels === null;
    fill(this.column, 'Any column', this.index.explainedColumns());
    this.refresh();
  }

  /** Follows the threshold on screen, redrawn on the next frame (the slider moves often). */
  setThreshold(threshold: number): void {
    if (!this.index || threshold === this.query.threshold) return;
    this.query = { ...this.query, threshold };
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => this.refresh());
  }

  private update(change: Partial<FlaggedQuery>): void {
    this.query = { ...this.query, ...change };
    this.page = 0;
    this.refresh();
  }

  private turn(by: number): void {
    this.page += by;
    this.render();
  }

  private refresh(): void {
    if (!this.index) return;
    this.rows = this.index.select(this.query);
    this.page = Math.min(this.page, Math.max(0, Math.ceil(this.rows.length / PAGE_ROWS) - 1));
    this.render();
  }

  private exportName(extension: string): string {
    return derivedName(this.result!, `${this.query.view === 'flagged' ? 'flagged' : 'near-threshold'}.${extension}`);
  }

  private render(): void {
    const index = this.index;
    const result = this.result;
    if (!index || !result) return;
    const { rows, first, last, pages } = pageOf(this.rows, this.page, PAGE_ROWS);
    this.page = Math.min(this.page, pages - 1);
    const total = index.flaggedCount(this.query.threshold);
    const what = this.query.view === 'flagged' ? 'flagged' : 'near the threshold';
    const filtered = this.query.category !== null || this.query.column !== null ? ' (filtered)' : '';
    byId('flagged-summary').textContent = `${format.count(total)} rows flagged at ${format.score(this.query.threshold)}`
      + (result.explained.length < result.scores.length ? ` · details for the ${format.count(result.explained.length)} highest scores` : '');
    byId('flagged-page').textContent = this.rows.length
      ? `rows ${format.count(first)}–${format.count(last)} of ${format.count(this.rows.length)} ${what}${filtered}`
      : `no rows ${what}${filtered}`;
    byId<HTMLButtonElement>('flagged-prev').disabled = this.page === 0;
    byId<HTMLButtonElement>('flagged-next').disabled = this.page >= pages - 1;
    for (const format of ['csv', 'ndjson']) {
      const button = byId<HTMLButtonElement>(`export-${format}`);
      button.disabled = this.rows.length === 0;
      button.textContent = `${format.toUpperCase()} (${this.rows.length.toLocaleString('en-US')} rows)`;
    }
    const labelled = result.labels !== null;
    const heading = (key: SortKey, text: string, numeric: boolean) => {
      const active = this.query.sort === key;
      const button = h('button', { type: 'button', class: 'sort', 'data-sort': key }, text, active ? (this.query.descending ? ' ▼' : ' ▲') : '');
      button.addEventListener('click', () => this.update({ sort: key, descending: active ? !this.query.descending : key !== 'row' && key !== 'category' }));
      return h('th', { class: numeric ? 'num' : '', 'aria-sort': active ? (this.query.descending ? 'descending' : 'ascending') : 'none' }, button);
    };
    byId('flagged-rows').replaceChildren(
      h('thead', {}, h('tr', {},
        heading('row', 'Row', true), heading('score', 'Score', true), labelled && heading('category', 'Label', false),
        result.flowHeadings.length > 0 && h('th', { title: result.flowHeadings.map((f) => f.name).join(', ') }, 'Flow'),
        h('th', {}, 'Least normal columns: value (expected) share of error'))),
      h('tbody', {}, ...rows.map((i) => {
        const explained = index.explanation(i);
        const category = index.category(i);
        const below = index.score(i) < this.query.threshold;
        return h('tr', { class: below ? 'below' : '', 'data-row': i + 1 },
          h('td', { class: 'num' }, format.count(i + 1)),
          h('td', { class: 'num', title: below ? 'below the threshold: not flagged' : '' }, format.score(index.score(i))),
          labelled && h('td', {}, h('span', { class: `tag ${category === 'normal' ? 'normal' : 'anomalous'}` }, category ?? '')),
          result.flowHeadings.length > 0 && h('td', { class: 'flow' }, ...flowLines(result, explained)),
          h('td', {}, explained ? h('div', { class: 'features' }, ...explained.errors.map(errorText)) : h('span', { class: 'muted' }, 'not explained')),
        );
      })),
    );
  }
}

/** The flow in two lines: `host:port → host:port proto service`, then the time and id, muted. */
function flowLines(result: Result, explained: ExplainedRow | undefined): HTMLElement[] {
  if (!explained) return [];
  const parts = result.flowHeadings.map((f, k) => ({ ...f, text: explained.flow[k] ?? '' }));
  const line = (keep: (part: string) => boolean, muted: boolean) => {
    const shown = parts.filter((p) => keep(p.part) && p.text !== '');
    return h('div', { class: muted ? 'muted' : '' }, ...shown.flatMap((p, k) => [k > 0 ? ' ' : '', h('span', { title: p.name }, p.text)]));
  };
  return [line((p) => p !== 'time' && p !== 'id', false), line((p) => p === 'time' || p === 'id', true)];
}

function fill(select: HTMLSelectElement, all: string, values: readonly string[]): void {
  select.replaceChildren(h('option', { value: ANY }, all), ...values.map((v) => h('option', { value: v }, v)));
  select.value = ANY;
}

/** `resp_bytes 181,540 expected ≈ 137 62%`: a column's value beside the model's expectation. */
function errorText(e: ColumnError): HTMLElement {
  return h('span', { class: 'feature' },
    h('b', {}, e.column), ' ', formatValue(e.value), ' ',
    h('span', { class: 'expected' }, `(expected ${expectedText(e)})`), ' ', h('i', {}, format.percent(e.share, 0)));
}
