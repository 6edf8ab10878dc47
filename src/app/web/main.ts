import { adapterTitle, type AdapterReport } from '../../gpu/adapter';
import { decodeModel, requireFeatures } from '../../model/model';
import type { TrainEvent } from '../../model/trainer';
import { DataPanel } from './data-panel';
import { byId, format, h, onFileChosen } from './dom';
import { saveFile, saveModel, saveScores } from './downloads';
import { FlaggedTable } from './flagged-view';
import { renderSummary } from './model-summary';
import type { JobHandlers, Result, TrainingData, TrainSettings } from './protocol';
import { ResultsView } from './results-view';
import { readSettings } from './settings';
import { TrainingView } from './training-view';
import { WorkerClient } from './worker-client';

const trainButton = byId<HTMLButtonElement>('train');
const stopButton = byId<HTMLButtonElement>('stop');
const downloadModel = byId<HTMLButtonElement>('download-model');
const downloadScores = byId<HTMLButtonElement>('download-scores');
const progress = byId<HTMLProgressElement>('progress');

function status(text: string, error = false): void {
  const line = byId('status');
  line.textContent = text;
  line.classList.toggle('error', error);
}

function unsupported(reason: string): void {
  byId('app').hidden = true;
  byId('unsupported').hidden = false;
  byId('unsupported-reason').textContent = reason;
  const badge = byId('adapter');
  badge.textContent = 'WebGPU unavailable';
  badge.className = 'adapter bad';
}

function adapterText(adapter: AdapterReport): string {
  const name = adapterTitle(adapter);
  return adapter.isFallbackAdapter ? `${name} (software fallback)` : name;
}

/** The download buttons say which threshold their files carry. */
function labelDownloads(result: Result | null, threshold: number): void {
  if (result === null || !Number.isFinite(threshold)) {
    downloadModel.textContent = 'Download model';
    downloadScores.textContent = 'Download scores';
    return;
  }
  const chosen = threshold === result.summary.threshold ? '' : ' (chosen)';
  downloadModel.replaceChildren('Download model', h('small', {}, `threshold ${format.score(threshold)}${chosen}`));
  downloadScores.replaceChildren('Download scores', h('small', {}, `flagged at ≥ ${format.score(threshold)}`));
  downloadModel.title = chosen
    ? 'The model with the threshold on screen, recorded with mode "chosen": netae score and eval flag rows at it'
    : 'The model with its own threshold';
}

/** The page: its views, the worker that trains and scores, and what is on screen. */
class Page {
  private readonly client = new WorkerClient();
  private readonly training = new TrainingView();
  private readonly results = new ResultsView();
  private readonly flagged: FlaggedTable;
  private readonly panel: DataPanel;
  private result: Result | null = null;
  /** A model loaded from a file: each data file dropped after it is scored with it. */
  private loaded: { bytes: Uint8Array; name: string } | null = null;
  private busy = true;

  constructor() {
    this.flagged = new FlaggedTable((rows, format, name) => {
      this.client.exportRows(rows, format).then(
        (text) => saveFile(name, text, format === 'csv' ? 'text/csv' : 'application/x-ndjson'),
        (error: unknown) => status((error as Error).message, true),
      );
    });
    this.panel = new DataPanel({
      model: (file) => void this.loadModel(file),
      inspect: (file) => {
        status(`Reading ${file.name}…`);
        return this.client.inspect(file).then((info) => {
          status(info.preset ? `Recognised ${file.name} as ${info.preset}.` : `Choose the label column of ${file.name}.`);
          return info;
        });
      },
      changed: () => {
        this.clearResults();
        if (this.loaded !== null) void this.scoreWithLoaded();
      },
      error: (message) => status(message, true),
      busy: () => this.busy,
    });
    this.results.onThreshold = (threshold) => {
      labelDownloads(this.result, threshold);
      this.flagged.setThreshold(threshold);
    };
  }

  /** Wires the buttons and waits for the worker's GPU. */
  start(): void {
    for (const button of document.querySelectorAll<HTMLElement>('[data-opens]')) {
      button.addEventListener('click', () => byId(button.dataset.opens ?? '').click());
    }
    trainButton.addEventListener('click', () => void this.train());
    onFileChosen('model-file', (file) => void this.loadModel(file));
    byId('unload-model').addEventListener('click', () => {
      this.loaded = null;
      this.showLoaded();
    });
    downloadModel.addEventListener('click', () => this.result && saveModel(this.result, this.results.threshold));
    downloadScores.addEventListener('click', () => this.result && saveScores(this.result, this.results.threshold));
    this.client.ready.then(
      (adapter) => this.ready(adapter),
      (error: unknown) => unsupported(`This browser has WebGPU but gave this page no GPU device (${(error as Error).message}).`),
    );
  }

  private ready(adapter: AdapterReport): void {
    const badge = byId('adapter');
    badge.textContent = adapterText(adapter);
    badge.title = `${adapter.vendor} ${adapter.architecture} ${adapter.description}`.trim();
    badge.className = 'adapter ok';
    this.setBusy(false);
    status('Ready. Press Train to fit a model on the synthetic traffic.');
  }

  private setBusy(value: boolean, trainingNow = false): void {
    this.busy = value;
    trainButton.disabled = value;
    stopButton.disabled = !trainingNow;
    byId<HTMLButtonElement>('load-model').disabled = value;
    for (const button of [downloadModel, downloadScores]) button.disabled = value || this.result === null;
  }

  private showLoaded(): void {
    byId('model-loaded').hidden = this.loaded === null;
    byId('model-loaded-name').textContent = this.loaded?.name ?? '';
  }

  private clearResults(): void {
    this.result = null;
    this.results.hide();
    labelDownloads(null, Number.NaN);
    for (const button of [downloadModel, downloadScores]) button.disabled = true;
  }

  private show(next: Result): void {
    this.result = next;
    byId('intro').hidden = true;
    this.results.show(next);
    this.flagged.show(next, this.results.threshold);
    labelDownloads(next, this.results.threshold);
    renderSummary(next.summary, next.modelName);
    const auc = next.rocAuc === null ? '' : `, ROC-AUC ${next.rocAuc.toFixed(4)}`;
    const repairs = next.repaired || next.unseen ? `; ${format.count(next.repaired)} values repaired, ${format.count(next.unseen)} unseen categories` : '';
    status(`Scored ${format.count(next.scores.length)} rows${auc}${repairs}.`);
  }

  private fail(error: unknown): void {
    progress.hidden = true;
    status((error as Error).message, true);
  }

  private handlers(onProgress: (event: TrainEvent) => void): JobHandlers {
    return {
      phase: (text) => status(`${text[0].toUpperCase()}${text.slice(1)}…`),
      progress: onProgress,
    };
  }

  /** Trains on the chosen data with the settings on screen, then shows the scored test data. */
  private async train(): Promise<void> {
    if (trainButton.disabled) return;
    let settings: TrainSettings;
    let data: TrainingData;
    try {
      settings = readSettings();
      data = this.panel.training();
    } catch (error) {
      this.fail(error);
      return;
    }
    this.loaded = null;
    this.showLoaded();
    this.clearResults();
    this.setBusy(true, true);
    progress.hidden = false;
    progress.value = 0;
    this.training.start(settings.epochs);
    let stopped = false;
    stopButton.onclick = () => {
      stopped = true;
      stopButton.disabled = true;
      this.client.stop();
      status('Stopping after the steps in flight…');
    };
    try {
      const next = await this.client.train(data, this.panel.testAfterTraining(), settings, this.handlers((event) => {
        progress.value = this.training.progress(event);
      }));
      const { epochs, bestEpoch, stopped: how } = next.summary;
      if (how === 'aborted') this.training.finish(`stopped after epoch ${epochs}, kept epoch ${bestEpoch}`, 'warn', epochs ?? undefined);
      else this.training.finish(`done: ${epochs} epochs${how === 'early-stopping' ? ' (stopped early)' : ''}`, 'done', epochs ?? undefined);
      this.show(next);
    } catch (error) {
      this.training.finish(stopped ? 'stopped' : 'failed', 'warn');
      this.fail(error);
    } finally {
      progress.hidden = true;
      this.setBusy(false);
    }
  }

  /** Scores the current data (or the chosen test file) with the loaded model. */
  private async scoreWithLoaded(): Promise<void> {
    if (this.loaded === null) return;
    this.setBusy(true);
    try {
      const next = await this.client.score(this.loaded.bytes, this.loaded.name, this.panel.testForModel(), this.handlers(() => undefined));
      this.training.hide();
      this.show(next);
    } catch (error) {
      this.fail(error);
    } finally {
      this.setBusy(false);
    }
  }

  /** Loads a model file, checked first: one that is not a netae model is refused and the model loaded before stays. */
  private async loadModel(file: File): Promise<void> {
    if (this.busy) {
      status(`Wait for the job in hand to end (or Stop it) before loading ${file.name}.`, true);
      return;
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    try {
      requireFeatures(decodeModel(bytes, { source: file.name }), file.name);
    } catch (error) {
      this.fail(error);
      return;
    }
    this.loaded = { bytes, name: file.name };
    this.showLoaded();
    this.clearResults();
    await this.scoreWithLoaded();
  }
}

if ('gpu' in navigator) new Page().start();
else unsupported('This browser does not offer WebGPU (navigator.gpu is missing).');
