import { rowScoreOf } from '../../src/model/model';
import * as ref from '../../src/model/reference';
import { tailScale } from '../../src/model/row-score';
import { layersOf } from '../../src/model/spec';
import { readRecordsFile } from '../../src/pipeline/io-node';
import { readDetector } from '../../src/app/cli/model-file';
import { requireThreshold } from '../../src/app/detector';
import { forwardBounds, rowErrorBounds, studentBounds, type Bounded } from '../gpu/bounds';

/**
 * What `netae score` should write for `data`: the model file's feature pipeline applied by
 * the library, then the float64 reference's score of every row (by the model's row score), with
 * its float32 error bound (test/gpu/bounds.ts).
 */
export async function referenceScores(model: string, data: string): Promise<Bounded & { threshold: number }> {
  const detector = requireThreshold(await readDetector(model), model);
  const batches: Float32Array[] = [];
  let rows = 0;
  let width = 0;
  for await (const batch of readRecordsFile(data, detector.featurizer, { ...detector.featurizer.readOptions(data), threads: 1 })) {
    batches.push(batch.matrix.slice(0, batch.rows * batch.width));
    rows += batch.rows;
    width = batch.width;
  }
  const x = ref.matrix(rows, width);
  let at = 0;
  for (const b of batches) {
    x.data.set(b, at);
    at += b.length;
  }
  const outputs = forwardBounds(layersOf(detector.model.spec), detector.model.params, x);
  const tail = tailScale(rowScoreOf(detector.model));
  const y = outputs[outputs.length - 1];
  return { ...(tail > 0 ? studentBounds(y, x, tail) : rowErrorBounds(y, x)), threshold: detector.threshold };
}

/** The columns of a scores CSV (row, score, flag, label), the header left out. */
export function parseScores(csv: string): { rows: number[]; scores: number[]; flags: number[]; labels: string[] } {
  const lines = csv.trimEnd().split('\n').slice(1).map((line) => line.split(','));
  return {
    rows: lines.map((l) => Number(l[0])),
    // Scores are float32 values, written in the fewest digits that read back as the same float32.
    scores: lines.map((l) => Math.fround(Number(l[1]))),
    flags: lines.map((l) => Number(l[2])),
    labels: lines.map((l) => l[3] ?? ''),
  };
}
