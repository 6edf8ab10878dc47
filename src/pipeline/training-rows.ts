import { emptyReport, mergeReports, type Transformed } from './features';
import type { RecordBatch } from './records';
import { sampleKey } from './row-sample';
import { labelsOfValues, type Schema } from './schema';
import { textValues } from './text-column';

/** Which rows to keep, and how many at most. */
export interface TrainingRowsOptions {
  /** Whether the row at a place (0, 1, … in file order) is in the sample; asked once per row, in order (see sampleMembers). */
  inSample: (place: number) => boolean;
  /** Rows kept at most: of more normal rows in the sample, those with the smallest keys under `seed`. */
  most: number;
  seed: number;
  /** Given each batch's feature matrix once its rows are copied out (back to the decoding threads, say). */
  spent?: (matrix: Float32Array) => void;
}

export interface TrainingRows {
  /** The rows kept, in file order; the report counts the repairs in every row read. */
  features: Transformed;
  /** Normal rows in the sample, kept or not. */
  normalRows: number;
  /** Rows read, in the sample or not. */
  rowsRead: number;
}

/**
 * The normal rows of a sample of a file, read from its batches of feature rows (`readRecords`,
 * dense): the matrix that training starts from, made without a table. Memory holds the rows kept
 * and one batch. The label column (the schema's) must be among the batches' text columns; a
 * schema without one makes every row normal.
 */
export async function readTrainingRows(batches: AsyncIterable<RecordBatch>, schema: Schema, options: TrainingRowsOptions): Promise<TrainingRows> {
  const report = emptyReport();
  let kept: SmallestRows | null = null;
  let place = 0;
  let normalRows = 0;
  for await (const batch of batches) {
    if (batch.packed) throw new Error('training rows are read from dense feature rows');
    kept ??= new SmallestRows(options.most, batch.width);
    const normal = normalOf(batch, schema);
    for (let i = 0; i < batch.rows; i++, place++) {
      if (!options.inSample(place) || (normal !== null && normal[i] === 0)) continue;
      normalRows++;
      kept.offer(sampleKey(place, options.seed), place, batch.matrix, i * batch.width);
    }
    mergeReports(report, batch.report);
    options.spent?.(batch.matrix);
  }
  const width = kept?.width ?? 0;
  const matrix = kept?.inOrder() ?? new Float32Array(0);
  return { features: { matrix, rows: matrix.length / Math.max(1, width), width, report }, normalRows, rowsRead: place };
}

/** Per row of a batch, 1 where it is normal; null when the schema has no label. */
function normalOf(batch: RecordBatch, schema: Schema): Uint8Array | null {
  if (schema.label === null) return null;
  const column = batch.texts[schema.label];
  const anomaly = labelsOfValues(textValues(column), null, schema).isAnomaly;
  return Uint8Array.from(column.codes, (code) => 1 - anomaly[code]);
}

/**
 * At most `capacity` rows of `width` values: of the rows offered, those with the smallest keys
 * (ties to the earlier place), held in a max-heap by key so that a smaller key takes the place of
 * the largest held. Storage grows as rows come, up to `capacity` rows.
 */
class SmallestRows {
  private values = new Float32Array(0);
  private keys = new Float64Array(0);
  private places = new Float64Array(0);
  /** Slots ordered as a max-heap by (key, place). */
  private heap = new Int32Array(0);
  private count = 0;
  private evicted = false;

  constructor(private readonly capacity: number, readonly width: number) {}

  offer(key: number, place: number, source: Float32Array, offset: number): void {
    const { width } = this;
    if (this.count < this.capacity) {
      if (this.count === this.keys.length) this.grow();
      const slot = this.count++;
      this.values.set(source.subarray(offset, offset + width), slot * width);
      this.keys[slot] = key;
      this.places[slot] = place;
      this.heap[slot] = slot;
      this.siftUp(slot);
      return;
    }
    if (this.capacity === 0) return;
    const top = this.heap[0];
    if (key > this.keys[top] || (key === this.keys[top] && place > this.places[top])) return;
    this.values.set(source.subarray(offset, offset + width), top * width);
    this.keys[top] = key;
    this.places[top] = place;
    this.evicted = true;
    this.siftDown(0);
  }

  /** The rows held, in the order of their places. */
  inOrder(): Float32Array {
    const { width, count } = this;
    const values = this.values.subarray(0, count * width);
    if (!this.evicted) return values;
    const order = Int32Array.from({ length: count }, (_, i) => i).sort((a, b) => this.places[a] - this.places[b]);
    const row = new Float32Array(width);
    const done = new Uint8Array(count);
    for (let start = 0; start < count; start++) {
      if (done[start]) continue;
      row.set(values.subarray(start * width, (start + 1) * width));
      let at = start;
      for (;;) {
        done[at] = 1;
        const from = order[at];
        if (from === start) break;
        values.copyWithin(at * width, from * width, (from + 1) * width);
        at = from;
      }
      values.set(row, at * width);
    }
    return values;
  }

  private grow(): void {
    const rows = Math.min(this.capacity, Math.max(1024, this.keys.length * 2));
    const values = new Float32Array(rows * this.width);
    values.set(this.values);
    this.values = values;
    for (const name of ['keys', 'places'] as const) {
      const grown = new Float64Array(rows);
      grown.set(this[name]);
      this[name] = grown;
    }
    const heap = new Int32Array(rows);
    heap.set(this.heap);
    this.heap = heap;
  }

  /** Whether slot a sorts after slot b: a larger key, or the same key at a later place. */
  private after(a: number, b: number): boolean {
    return this.keys[a] > this.keys[b] || (this.keys[a] === this.keys[b] && this.places[a] > this.places[b]);
  }

  private siftUp(i: number): void {
    const { heap } = this;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.after(heap[i], heap[parent])) return;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const { heap, count } = this;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= count) return;
      const right = left + 1;
      const child = right < count && this.after(heap[right], heap[left]) ? right : left;
      if (!this.after(heap[child], heap[i])) return;
      [heap[i], heap[child]] = [heap[child], heap[i]];
      i = child;
    }
  }
}
