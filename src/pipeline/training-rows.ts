import { emptyReport, mergeReports, type TransformReport } from './features';
import type { RecordBatch } from './records';
import { sampleKey, withinEdge, type LineSample, type SampleEdge } from './row-sample';
import { labelsOfValues, type Schema } from './schema';
import { textValues } from './text-column';

/** Where kept rows go: row `slot` of a store of `capacity` rows (the GPU's, say). A slot put again is replaced. */
export interface RowStore {
  /** Rows kept at most: of more normal rows in the sample, those with the smallest keys. */
  readonly capacity: number;
  put(slot: number, source: Float32Array, offset: number): void;
  /** Awaited after each batch's rows are put: a store whose writes hold memory until done waits for them here, once there are many. */
  settled?(): Promise<void>;
}

/** Which rows to keep and where they go. */
export interface TrainingRowsOptions {
  /** The sample the rows are drawn from, also given to the reader of the batches (RecordOptions' `skipOutside`). */
  sample: TrainingSample;
  store: RowStore;
  /** Given each batch's feature matrix once its rows are put in the store (back to the decoding threads, say). */
  spent?: (matrix: Float32Array) => void;
  /** Called after each batch with the rows met so far, those passed over included (for progress). */
  onRows?: (rows: number) => void;
}

export interface TrainingRows {
  /** The store's slot of each row kept, in file order. */
  slots: Uint32Array;
  /** Features a row. */
  width: number;
  /** The repairs made in the rows read: the sample's. */
  report: TransformReport;
  /** Normal rows in the sample, kept or not. */
  normalRows: number;
  /** Rows in the file, those passed over unread included. */
  rowsRead: number;
}

/**
 * The sample of a file that training reads again, known by its edge (SampleEdge, found by the
 * first read): a reader passes over the rows above it unread.
 */
export class TrainingSample implements LineSample {
  constructor(readonly seed: number, readonly edge: SampleEdge | null) {}

  /** Keys are whole multiples of 2⁻⁵³: the next key above the edge's is the first outside the sample, whatever its line. */
  cut(): number {
    return this.edge === null ? Infinity : this.edge.key + 2 ** -53;
  }
}

/**
 * The normal rows of a sample of a file, read from its batches of feature rows (`readRecords`,
 * dense, with the sample as their `skipOutside`), put in a store as they come: the rows that
 * training starts from, made without a table and without holding them on the host. Memory holds
 * a key per row kept and one batch. The label column (the schema's) must be among the batches'
 * text columns; a schema without one makes every row normal.
 */
export async function readTrainingRows(batches: AsyncIterable<RecordBatch>, schema: Schema, options: TrainingRowsOptions): Promise<TrainingRows> {
  const report = emptyReport();
  const { sample, store } = options;
  const kept = new SmallestKeys(store.capacity);
  let width = 0;
  let rowsRead = 0;
  let normalRows = 0;
  for await (const batch of batches) {
    if (batch.packed) throw new Error('training rows are read from dense feature rows');
    width = batch.width;
    rowsRead += batch.rows + batch.skippedRows;
    const normal = normalOf(batch, schema);
    for (let i = 0; i < batch.rows; i++) {
      const line = batch.lines[i];
      const key = sampleKey(line, sample.seed);
      if (!withinEdge(sample.edge, key, line) || (normal !== null && normal[i] === 0)) continue;
      normalRows++;
      const slot = kept.offer(key, line);
      if (slot >= 0) store.put(slot, batch.matrix, i * batch.width);
    }
    mergeReports(report, batch.report);
    options.spent?.(batch.matrix);
    options.onRows?.(rowsRead);
    await store.settled?.();
  }
  return { slots: kept.slotsInOrder(), width, report, normalRows, rowsRead };
}

/** Per row of a batch, 1 where it is normal; null when the schema has no label. */
function normalOf(batch: RecordBatch, schema: Schema): Uint8Array | null {
  if (schema.label === null) return null;
  const column = batch.texts[schema.label];
  const anomaly = labelsOfValues(textValues(column), null, schema).isAnomaly;
  return Uint8Array.from(column.codes, (code) => 1 - anomaly[code]);
}

/**
 * Slots for at most `capacity` rows: of the rows offered, those with the smallest keys (ties to
 * the earlier place), held in a max-heap by key so that a smaller key takes the slot of the
 * largest held. Storage grows as rows come, up to `capacity` rows.
 */
class SmallestKeys {
  private keys = new Float64Array(0);
  private places = new Float64Array(0);
  /** Slots ordered as a max-heap by (key, place). */
  private heap = new Int32Array(0);
  private count = 0;
  private evicted = false;

  constructor(private readonly capacity: number) {}

  /** The slot for a row with this key at this place: a new one while there is room, else the largest key's if this one is smaller; −1 when the row is not kept. */
  offer(key: number, place: number): number {
    if (this.count < this.capacity) {
      if (this.count === this.keys.length) this.grow();
      const slot = this.count++;
      this.keys[slot] = key;
      this.places[slot] = place;
      this.heap[slot] = slot;
      this.siftUp(slot);
      return slot;
    }
    if (this.capacity === 0) return -1;
    const top = this.heap[0];
    if (key > this.keys[top] || (key === this.keys[top] && place > this.places[top])) return -1;
    this.keys[top] = key;
    this.places[top] = place;
    this.evicted = true;
    this.siftDown(0);
    return top;
  }

  /** The slots held, in the order of their rows' places. */
  slotsInOrder(): Uint32Array {
    const slots = Uint32Array.from({ length: this.count }, (_, i) => i);
    return this.evicted ? slots.sort((a, b) => this.places[a] - this.places[b]) : slots;
  }

  private grow(): void {
    const rows = Math.min(this.capacity, Math.max(1024, this.keys.length * 2));
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
