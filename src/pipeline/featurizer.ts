import type { ColumnTable } from 'arquero';
import type { RowOrigin } from './columns';
import { FittedFeatures, fitFeatures, type FeaturesJSON, type FitOptions, type Transformed, type TransformReport } from './features';
import type { ReadOptions } from './io';
import { checkSchemaJSON, labelsOf, readOptionsFor, type Labels, type Schema } from './schema';

interface FeaturizerJSON {
  kind: 'netae-pipeline';
  version: 1;
  schema: Schema;
  features: FeaturesJSON;
}

/** A schema and the features fitted under it: everything needed to read and transform new files. */
export class Featurizer {
  readonly schema: Schema;
  readonly features: FittedFeatures;

  constructor(schema: Schema, features: FittedFeatures) {
    this.schema = schema;
    this.features = features;
  }

  get width(): number {
    return this.features.width;
  }

  /** Output feature names, e.g. `src_bytes`, `service=http`, `service=<unseen>`. */
  get featureNames(): string[] {
    return this.features.names;
  }

  /** Read options for new files of this kind: names for headerless files, and the column kinds the transform needs. */
  readOptions(fileName?: string): ReadOptions {
    return readOptionsFor(this.schema, fileName);
  }

  transform(rows: ColumnTable, origin?: RowOrigin): Transformed {
    return this.features.transform(rows, origin);
  }

  transformInBlocks(rows: ColumnTable, origin: RowOrigin | undefined, each: (block: Float32Array, first: number, count: number) => void): TransformReport {
    return this.features.transformInBlocks(rows, origin, each);
  }

  /** Whether columns of these names include the schema's label column (false when it has none). */
  hasLabel(columns: readonly string[]): boolean {
    return this.schema.label !== null && columns.includes(this.schema.label);
  }

  labels(rows: ColumnTable): Labels | null {
    return labelsOf(rows, this.schema);
  }

  toJSON(): FeaturizerJSON {
    return { kind: 'netae-pipeline', version: 1, schema: structuredClone(this.schema), features: this.features.toJSON() };
  }

  static fromJSON(json: unknown): Featurizer {
    const j = json as Partial<FeaturizerJSON> | null;
    if (typeof j !== 'object' || j === null || j.kind !== 'netae-pipeline') {
      throw new Error('not a netae pipeline: expected an object with kind "netae-pipeline"');
    }
    if (j.version !== 1) throw new Error(`not a netae pipeline: version ${JSON.stringify(j.version)} is not supported (expected 1)`);
    if (j.schema === undefined) throw new Error('not a netae pipeline: no schema');
    return new Featurizer(checkSchemaJSON(j.schema), FittedFeatures.fromJSON(j.features));
  }
}

/** Fits the schema's features on the given (normal) rows. */
export function fitFeaturizer(schema: Schema, rows: ColumnTable, options?: FitOptions): Featurizer {
  return new Featurizer(schema, fitFeatures(rows, schema.features, options));
}
