import { PRESETS } from '../../pipeline/presets';
import { presetTitle } from '../../pipeline/recognise';
import type { SchemaSpec } from '../../pipeline/schema';
import { byId, format, h, onFileChosen } from './dom';
import { guessNormal } from '../../pipeline/guess-label';
import type { FileInfo, ScoringData, TrainingData } from './protocol';

const GENERIC = 'generic';
const UNLABELLED = '';
const NO_CATEGORY = '';

export interface DataPanelEvents {
  /** A `.safetensors` file was dropped or chosen. */
  model(file: File): void;
  inspect(file: File): Promise<FileInfo>;
  /** The data changed: a file was read (null: back to the synthetic traffic), or another file to score was chosen. */
  changed(file: File | null): void;
  error(message: string): void;
  /** Whether a job is running: the data cannot change under it. */
  busy(): boolean;
}

/** The Data section: the embedded synthetic traffic or a visitor's file, its columns' roles, and the file to score. */
export class DataPanel {
  private current: { file: File; info: FileInfo } | null = null;
  private test: File | null = null;
  private readonly preset = byId<HTMLSelectElement>('preset');
  private readonly labelColumn = byId<HTMLSelectElement>('label-column');
  private readonly normalValue = byId<HTMLInputElement>('normal-value');
  private readonly categoryColumn = byId<HTMLSelectElement>('category-column');

  constructor(private readonly events: DataPanelEvents) {
    const zone = byId('dropzone');
    window.addEventListener('dragover', (e) => e.preventDefault());
    window.addEventListener('drop', (e) => {
      e.preventDefault();
      zone.classList.remove('over');
      const file = e.dataTransfer?.files[0];
      if (file) void this.open(file);
    });
    zone.addEventListener('dragenter', () => zone.classList.add('over'));
    zone.addEventListener('dragleave', () => zone.classList.remove('over'));
    zone.addEventListener('keydown', (e) => {
      if (e.target === zone && (e.key === 'Enter' || e.key === ' ')) byId('data-file').click();
    });
    onFileChosen('data-file', (file) => void this.open(file));
    onFileChosen('test-file', (file) => this.setTest(file));
    byId('use-sample').addEventListener('click', () => this.useSample());
    this.preset.replaceChildren(
      ...PRESETS.map((p) => h('option', { value: p.name }, presetTitle(p.name))),
      h('option', { value: GENERIC }, 'Generic: choose the label column'),
    );
    this.preset.addEventListener('change', () => this.showGeneric());
    this.labelColumn.addEventListener('change', () => {
      this.fillNormalValues(true);
      this.fillCategories();
    });
  }

  /** True, after saying so, when a job is running: the data it was given stays on screen with its results. */
  private held(file: File | null): boolean {
    if (!this.events.busy()) return false;
    this.events.error(`Wait for the job in hand to end (or Stop it) before choosing ${file === null ? 'the synthetic traffic' : file.name}.`);
    return true;
  }

  private async open(file: File): Promise<void> {
    if (/\.safetensors$/i.test(file.name)) {
      this.events.model(file);
      return;
    }
    if (this.held(file)) return;
    try {
      const info = await this.events.inspect(file);
      this.current = { file, info };
      this.test = null;
      this.render();
      this.events.changed(file);
    } catch (error) {
      const message = (error as Error).message;
      this.events.error(message.startsWith(file.name) ? message : `${file.name}: ${message}`);
    }
  }

  private useSample(): void {
    if (this.held(null)) return;
    this.current = null;
    this.test = null;
    this.render();
    this.events.changed(null);
  }

  private setTest(file: File): void {
    if (this.held(file)) return;
    this.test = file;
    byId('test-name').textContent = file.name;
    this.events.changed(file);
  }

  private render(): void {
    const name = byId('data-name');
    const detail = byId('data-detail');
    byId('schema').hidden = this.current === null;
    if (this.current === null) {
      name.textContent = 'Synthetic traffic';
      detail.textContent = 'Embedded Zeek conn.logs: 8,000 training rows (5% attacks), 6,000 test rows (25% attacks)';
      return;
    }
    const { file, info } = this.current;
    name.textContent = file.name;
    const kind = info.preset ? `${presetTitle(info.preset)} columns` : 'no known preset: choose the label column';
    detail.textContent = `${format.bytes(file.size)} · ${info.format.toUpperCase()} · ${info.columns.length} columns · ${kind}`;
    byId('test-name').textContent = 'the same file';
    this.preset.value = info.preset ?? GENERIC;
    this.labelColumn.replaceChildren(
      h('option', { value: UNLABELLED }, '(none: unlabelled)'),
      ...info.columns.map((c) => h('option', { value: c }, c)),
    );
    this.labelColumn.value = info.label ?? UNLABELLED;
    this.fillNormalValues(false);
    if (info.normal !== null) this.normalValue.value = info.normal;
    this.fillCategories();
    this.categoryColumn.value = info.category ?? NO_CATEGORY;
    this.showGeneric();
  }

  private showGeneric(): void {
    byId('generic').hidden = this.preset.value !== GENERIC;
  }

  private fillNormalValues(reset: boolean): void {
    const values = this.current?.info.values[this.labelColumn.value] ?? [];
    byId('normal-values').replaceChildren(...values.map((v) => h('option', { value: v })));
    this.normalValue.disabled = this.labelColumn.value === UNLABELLED;
    if (reset) this.normalValue.value = guessNormal(values) ?? '';
  }

  /** The columns that may name each attack's category: every column but the label. */
  private fillCategories(): void {
    const label = this.labelColumn.value;
    const chosen = this.categoryColumn.value;
    const columns = (this.current?.info.columns ?? []).filter((c) => c !== label);
    this.categoryColumn.replaceChildren(
      h('option', { value: NO_CATEGORY }, '(none: the label)'),
      ...columns.map((c) => h('option', { value: c }, c)),
    );
    this.categoryColumn.value = columns.includes(chosen) ? chosen : NO_CATEGORY;
    this.categoryColumn.disabled = label === UNLABELLED;
  }

  private spec(): SchemaSpec {
    if (this.preset.value !== GENERIC) return { preset: this.preset.value };
    const label = this.labelColumn.value;
    if (label === UNLABELLED) return {};
    const normal = this.normalValue.value.trim();
    if (normal === '') throw new Error(`enter the value of "${label}" that means normal traffic`);
    const category = this.categoryColumn.value;
    return category === NO_CATEGORY ? { label, normal } : { label, normal, categoryColumn: category };
  }

  /** The data to train on; an Error saying what to fix when the roles are incomplete. */
  training(): TrainingData {
    return this.current === null ? { kind: 'sample' } : { kind: 'file', file: this.current.file, spec: this.spec() };
  }

  /** The records to score after training: null means the training file itself. */
  testAfterTraining(): ScoringData | null {
    if (this.test) return { kind: 'file', file: this.test };
    return this.current === null ? { kind: 'sample' } : null;
  }

  /** The records to score with a loaded model. */
  testForModel(): ScoringData {
    const file = this.test ?? this.current?.file;
    return file ? { kind: 'file', file } : { kind: 'sample' };
  }
}
