import { byId, format, h } from './dom';
import type { ModelSummary } from './protocol';

/** The Model section's list: the model's shape, threshold and how it was trained. */
export function renderSummary(s: ModelSummary, name: string): void {
  const rows: [string, string][] = [
    ['file', name],
    ['layers', s.layers],
    ['parameters', format.count(s.parameters)],
    ['features', format.count(s.features)],
    ...(s.leftOut.length ? [['left out', `${s.leftOut.join(', ')}: identifiers, not features`] as [string, string]] : []),
    ['threshold', `${format.score(s.threshold)} (${s.thresholdRule})`],
  ];
  if (s.trainedOn !== null) rows.push(['trained on', s.trainedOn]);
  if (s.trainRows !== null) {
    const heldOut = s.validationRows ? ` (${format.count(s.validationRows)} more held out for validation)` : '';
    rows.push(['training rows', `${format.count(s.trainRows)}${heldOut}`]);
  }
  if (s.epochs !== null) {
    const how = s.stopped === 'aborted' ? 'stopped' : s.stopped;
    rows.push(['epochs', `${s.epochs}${s.bestEpoch === null ? '' : `, best ${s.bestEpoch}`}${how ? ` (${how})` : ''}`]);
  }
  if (s.seconds !== null && s.samplesPerSecond !== null) {
    rows.push(['speed', `${s.seconds.toFixed(1)} s, ${format.count(Math.round(s.samplesPerSecond))} samples/s`]);
  }
  byId('model-summary').replaceChildren(...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}
