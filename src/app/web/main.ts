import type { AdapterReport } from '../../gpu/device';
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
  const name = adapter.description || [adapter.vendor, adapter.architecture].filter(Boolean).join(' ') || 'WebGPU adapter';
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

function start(): void {
  if (!('gpu' in navigator)) {
    unsupported('This browser does not offer WebGPU (navigator.gpu is missing).');
    return;
  }
  const client = new WorkerClient();
  const training = new TrainingView();
  const results = new ResultsView();
  const flagged = new FlaggedTable((rows, format, name) => {
    client.exportRows(rows, format).then(
      (text) => saveFile(name, text, format === 'csv' ? 'text/csv' : 'application/x-ndjson'),
      (error: unknown) => status((error as Error).message, true),
    );
  });
  let result: Result | null = null;
  /** A model loaded from a file: each data file dropped after it is scored with it. */
  let loaded: { bytes: Uint8Array; name: string } | null = null;
  let busy = true;

  const setBusy = (value: boolean, trainingNow = false) => {
    busy = value;
    trainButton.disabled = value;
    stopButton.disabled = !trainingNow;
    byId<HTMLButtonElement>('load-model').disabled = value;
    for (const button of [downloadModel, downloadScores]) button.disabled = value || result === null;
  };

  const showLoaded = () => {
    byId('model-loaded').hidden = loaded === null;
    byId('model-loaded-name').textContent = loaded?.name ?? '';
  };

  results.onThreshold = (threshold) => {
    labelDownloads(result, threshold);
    flagged.setThreshold(threshold);
  };

  const clearResults = () => {
    result = null;
    results.hide();
    labelDownloads(null, Number.NaN);
    for (const button of [downloadModel, downloadScores]) button.disabled = true;
  };

  const show = (next: Result) => {
    result = next;
    byId('intro').hidden = true;
    results.show(next);
    flagged.show(next, results.threshold);
    labelDownloads(next, results.threshold);
    renderSummary(next.summary, next.modelName);
    const auc = next.rocAuc === null ? '' : `, ROC-AUC ${next.rocAuc.toFixed(4)}`;
    const repairs = next.repaired || next.unseen ? `; ${format.count(next.repaired)} values repaired, ${format.count(next.unseen)} unseen categories` : '';
    status(`Scored ${format.count(next.scores.length)} rows${auc}${repairs}.`);
  };

  const fail = (error: unknown) => {
    progress.hidden = true;
    status((error as Error).message, true);
  };

  const handlers = (onProgress: (event: TrainEvent) => void): JobHandlers => ({
    phase: (text) => status(`${text[0].toUpperCase()}${text.slice(1)}…`),
    progress: onProgress,
  });

  const train = async () => {
    if (trainButton.disabled) return;
    let settings: TrainSettings;
    let data: TrainingData;
    try {
      settings = readSettings();
      data = panel.training();
    } catch (error) {
      fail(error);
      return;
    }
    loaded = null;
    showLoaded();
    clearResults();
    setBusy(true, true);
    progress.hidden = false;
    progress.value = 0;
    training.start(settings.epochs);
    let stopped = false;
    stopButton.onclick = () => {
      stopped = true;
      stopButton.disabled = true;
      client.stop();
      status('Stopping after the steps in flight…');
    };
    try {
      const next = await client.train(data, panel.testAfterTraining(), settings, handlers((event) => {
        progress.value = training.progress(event);
      }));
      const { epochs, bestEpoch, stopped: how } = next.summary;
      if (how === 'aborted') training.finish(`stopped after epoch ${epochs}, kept epoch ${bestEpoch}`, 'warn', epochs ?? undefined);
      else training.finish(`done: ${epochs} epochs${how === 'early-stopping' ? ' (stopped early)' : ''}`, 'done', epochs ?? undefined);
      show(next);
    } catch (error) {
      training.finish(stopped ? 'stopped' : 'failed', 'warn');
      fail(error);
    } finally {
      progress.hidden = true;
      setBusy(false);
    }
  };

  /** Scores the current data (or the chosen test file) with the loaded model. */
  const scoreWithLoaded = async () => {
    if (loaded === null || busy) return;
    setBusy(true);
    try {
      const next = await client.score(loaded.bytes, loaded.name, panel.testForModel(), handlers(() => undefined));
      training.hide();
      show(next);
    } catch (error) {
      fail(error);
    } finally {
      setBusy(false);
    }
  };

  const loadModel = async (file: File) => {
    if (busy) return;
    loaded = { bytes: new Uint8Array(await file.arrayBuffer()), name: file.name };
    showLoaded();
    clearResults();
    await scoreWithLoaded();
  };

  const panel = new DataPanel({
    model: (file) => void loadModel(file),
    inspect: (file) => {
      status(`Reading ${file.name}…`);
      return client.inspect(file).then((info) => {
        status(info.preset ? `Recognised ${file.name} as ${info.preset}.` : `Choose the label column of ${file.name}.`);
        return info;
      });
    },
    changed: () => {
      clearResults();
      if (loaded !== null) void scoreWithLoaded();
    },
    error: (message) => status(message, true),
  });

  for (const button of document.querySelectorAll<HTMLElement>('[data-opens]')) {
    button.addEventListener('click', () => byId(button.dataset.opens ?? '').click());
  }
  trainButton.addEventListener('click', () => void train());
  onFileChosen('model-file', (file) => void loadModel(file));
  byId('unload-model').addEventListener('click', () => {
    loaded = null;
    showLoaded();
  });
  downloadModel.addEventListener('click', () => result && saveModel(result, results.threshold));
  downloadScores.addEventListener('click', () => result && saveScores(result, results.threshold));

  client.ready.then(
    (adapter) => {
      const badge = byId('adapter');
      badge.textContent = adapterText(adapter);
      badge.title = `${adapter.vendor} ${adapter.architecture} ${adapter.description}`.trim();
      badge.className = 'adapter ok';
      setBusy(false);
      status('Ready. Press Train to fit a model on the synthetic traffic.');
    },
    (error: unknown) => unsupported(`This browser has WebGPU but gave this page no GPU device (${(error as Error).message}).`),
  );
}

start();
