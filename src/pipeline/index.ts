export { InputError, type InputLocation } from './errors';
export { parseNumber } from './values';
export type { Column, ColumnKind, RowOrigin } from './columns';
export type { ByteSource } from './bytes';
export {
  readChunks,
  readTable,
  parseText,
  detectTextFormat,
  type Chunk,
  type Format,
  type ReadOptions,
  type ReadResult,
  type TextFormat,
} from './io';
export { toZeekLog, parseZeekHeader } from './zeek';
export { PRESETS, presetNames, getPreset, type Preset } from './presets';
export {
  resolveSchema,
  readOptionsFor,
  labelsOf,
  normalRows,
  type GenericSpec,
  type Labels,
  type Schema,
  type SchemaSpec,
} from './schema';
export { readDataset, parseDataset, toDataset, parseNames, type Dataset } from './dataset';
export {
  fitFeatures,
  FittedFeatures,
  mergeReports,
  categoryKey,
  UNSEEN,
  type FeatureSpec,
  type FeaturesJSON,
  type FitOptions,
  type RepairCounts,
  type Scaling,
  type Transformed,
  type TransformReport,
} from './features';
export { FittedPipeline, fitPipeline, type PipelineJSON } from './pipeline';
export {
  MetricError,
  confusionMatrix,
  rates,
  rocCurve,
  prCurve,
  rocAuc,
  prAuc,
  bestF1Threshold,
  percentileThreshold,
  parseThresholdRule,
  chooseThreshold,
  detectionByCategory,
  evaluate,
  type BinaryLabels,
  type Confusion,
  type Evaluation,
  type Rates,
  type Scores,
  type ThresholdRule,
} from './metrics';
export { generateTraffic, ATTACK_KINDS, TRAFFIC_COLUMNS, type AttackKind, type TrafficOptions } from './synthetic';
export { sampleLogs, SAMPLE } from './sample';
