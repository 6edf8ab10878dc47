import { describe, expect, it } from 'vitest';
import { deviceBlocks, DeviceRowStore, readRows, uploadRows } from '../../src/model/device-rows';
import { pickRows, type Matrix32 } from '../../src/model/matrix';
import { permutation, seededRandom } from '../../src/model/random';
import { parseSpec } from '../../src/model/spec';
import { train } from '../../src/model/trainer';
import { testGpu } from '../gpu/helpers';

const gpu = await testGpu();

function randomData(rows: number, cols: number, seed: number): Matrix32 {
  const random = seededRandom(seed);
  return { values: Float32Array.from({ length: rows * cols }, () => random() * 2 - 1), rows, cols };
}

describe('DeviceRowStore', () => {
  it('holds the last row put in each slot, through runs longer than its staging, scattered slots and slots put again', async () => {
    // 1,000 columns: the store stages 1,048 rows (4 MiB) at a time.
    const [capacity, cols] = [2600, 1000];
    const data = randomData(4000, cols, 1);
    const store = new DeviceRowStore(gpu, capacity, cols);
    const expected = new Float32Array(capacity * cols);
    const put = (slot: number, row: number) => {
      store.put(slot, data.values, row * cols);
      expected.set(data.values.subarray(row * cols, (row + 1) * cols), slot * cols);
    };
    try {
      for (let slot = 0; slot < capacity; slot++) put(slot, slot);
      const random = seededRandom(2);
      for (let row = capacity; row < data.rows; row++) put(Math.floor(random() * capacity), row);
      put(capacity - 1, 0);
      put(0, 1);
      const slots = permutation(capacity, seededRandom(3));
      const got = await readRows(gpu, store.rows(slots).tensor, slots);
      const want = pickRows(expected, cols, slots);
      expect(got.length).toBe(want.length);
      // The first value that differs, if any (toEqual takes seconds on millions of values).
      expect(got.findIndex((v, i) => !Object.is(v, want[i]))).toBe(-1);
    } finally {
      store.release();
    }
  });

  it('waits for the GPU to do its writes once more than 32 MiB of them are in flight, not before', async () => {
    const cols = 1000;
    const rowBytes = cols * 4;
    const data = randomData(1, cols, 4);
    const store = new DeviceRowStore(gpu, 10_000, cols);
    const queue = Object.getPrototypeOf(gpu.device.queue) as GPUQueue;
    const done = queue.onSubmittedWorkDone;
    let waits = 0;
    queue.onSubmittedWorkDone = function (this: GPUQueue) {
      waits++;
      return done.call(this);
    };
    try {
      const put = async (from: number, to: number) => {
        for (let slot = from; slot < to; slot++) store.put(slot, data.values, 0);
        await store.settled();
      };
      const most = Math.floor((32 << 20) / rowBytes);
      await put(0, most - 1100);
      expect(waits, 'about 25 MiB written, the rest staged').toBe(0);
      await put(most - 1100, most + 1100);
      expect(waits).toBe(1);
      await put(most + 1100, most + 1200);
      expect(waits).toBe(1);
    } finally {
      queue.onSubmittedWorkDone = done;
      store.release();
    }
  });

  it('reads rows back a block at a time, through their slots', async () => {
    const data = randomData(300, 3, 8);
    const slots = permutation(400, seededRandom(9)).subarray(0, data.rows);
    const store = new DeviceRowStore(gpu, 400, data.cols);
    try {
      for (let i = 0; i < data.rows; i++) store.put(slots[i], data.values, i * data.cols);
      const blocks = deviceBlocks(gpu, store.rows(slots.slice()), 250);
      expect([blocks.rows, blocks.cols]).toEqual([250, 3]);
      for (const [first, count] of [[0, 1], [17, 100], [249, 1], [0, 250]]) {
        expect(await blocks.read(first, count)).toEqual(data.values.slice(first * 3, (first + count) * 3));
      }
    } finally {
      store.release();
    }
  });

  it('refuses a slot outside its rows', () => {
    const store = new DeviceRowStore(gpu, 4, 3);
    try {
      expect(() => store.put(4, new Float32Array(3), 0)).toThrow(/slot 4 is outside the 4 rows/);
    } finally {
      store.release();
    }
  });
});

describe('training on rows held on the GPU', () => {
  const spec = parseSpec('8-4-8', 8);
  const options = { spec, epochs: 3, batchSize: 32, seed: 5, patience: 0 };

  it.each([0.1, 0])('trains, rows in any slots, as on the same rows in a host matrix (validation %s)', async (validation) => {
    const data = randomData(700, 8, 4);
    // Row i of the data in slot slots[i] of a store with room to spare.
    const slots = permutation(900, seededRandom(6)).subarray(0, data.rows);
    const store = new DeviceRowStore(gpu, 900, data.cols);
    try {
      for (let i = 0; i < data.rows; i++) store.put(slots[i], data.values, i * data.cols);
      const onDevice = await train(gpu, store.rows(slots.slice()), { ...options, validation });
      const onHost = await train(gpu, data, { ...options, validation });
      expect(onDevice.params).toEqual(onHost.params);
      expect(onDevice.history.map((h) => h.valLoss)).toEqual(onHost.history.map((h) => h.valLoss));
      expect(onDevice.heldOut).toEqual(onHost.heldOut);
      const held = validation > 0 ? onHost.heldOut : Uint32Array.from({ length: data.rows - onHost.validationRows }, (_, i) => i);
      const heldRows = await onHost.heldOutRows.read(0, onHost.heldOutRows.rows);
      expect(heldRows).toEqual(pickRows(data.values, data.cols, held));
      expect(await onDevice.heldOutRows.read(0, onDevice.heldOutRows.rows)).toEqual(heldRows);
    } finally {
      store.release();
    }
  });

  it('uploads a host matrix as it is, row by row', async () => {
    const data = randomData(333, 5, 7);
    const rows = uploadRows(gpu, data);
    try {
      const order = Uint32Array.from({ length: data.rows }, (_, i) => i);
      expect(await readRows(gpu, rows.tensor, order)).toEqual(data.values);
    } finally {
      rows.tensor.buffer.destroy();
    }
  });
});
