/**
 * The detector: a featurizer (the schema and its fitted features), an autoencoder and a
 * threshold. Fitting, picking the threshold, scoring, evaluating and summarising live here,
 * shared by the CLI and the page.
 */
export { addRepairs, detectorOf, detectorScorer, detectorTail, requireThreshold, scoreRows, type Detector, type Flagging, type Scored } from './detector';
export {
  ENOUGH_STEPS, ENOUGH_THRESHOLD_ROWS, ERROR_FLOOR, errorWeights, fitDetector, heldOutShare, standardiseErrors,
  type DetectorOptions, type Fitted,
} from './fit';
export { checkThresholdRule, DEFAULT_THRESHOLD, pickThreshold } from './threshold';
export { evaluateRecords, Evaluator, labelColumn, type EvalResult, type Report } from './evaluate';
export { describeRowScore, summarize, thresholdOnTrainingRows, type DetectorSummary, type TrainingRecord } from './summary';
