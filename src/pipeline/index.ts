export type { RowOrigin } from './columns';
export { readChunks, readTable, parseText, type Chunk, type ReadResult } from './io';
export { readRecords, inChunks, type RecordBatch, type RecordOptions } from './records';
export { expandRows, packedLayout, NO_SLOT, type PackedLayout } from './packed-rows';
export { rowTexts, textValue, textValues, type TextColumn } from './text-column';
export { PRESETS, presetNames, getPreset, type Preset } from './presets';
export { firstRows, presetFeaturesIn, presetTitle, recognisePreset } from './recognise';
export { labelledRows, labelledScores, normalRows, pickLabels, unlabelledCount, type Labels, type GenericSpec, type SchemaSpec } from './schema';
export { readDataset, parseDataset, type Dataset } from './dataset';
export {
  DEFAULT_SCALING,
  DEFAULT_BOUND,
  mergeReports,
  type Scaling,
  type TransformReport,
} from './features';
export { categoryKey } from './values';
export { Featurizer, fitFeaturizer } from './featurizer';
export {
  confusionMatrix,
  rates,
  rocCurve,
  prCurve,
  rocAuc,
  prAuc,
  bestF1Threshold,
  percentileThreshold,
  detectionByCategory,
  evaluate,
  evaluateAtBoth,
  evaluateGroups,
  type Categories,
  type Confusion,
  type Evaluation,
  type Rates,
  type ScoreGroup,
  type ThresholdRule,
} from './metrics';
export { fprThreshold, fprThresholdFromRanks, madThreshold, rankedScores, rateOf, type RankedScores, type RateThreshold } from './thresholds';
