import { describe, expect, it } from 'vitest';
import { SpareBuffers } from '../../src/pipeline/worker-thread-node';

describe('SpareBuffers', () => {
  it('keeps the whole buffer of a view given back, each buffer once, at most as many as asked', () => {
    const spares = new SpareBuffers(2);
    const a = new Float32Array(8);
    const b = new Uint8Array(16);
    spares.give(a.subarray(2, 4));
    spares.give(a);
    spares.give(b);
    spares.give(new Uint8Array(4));
    expect(spares.take()).toBe(b.buffer);
    expect(spares.take()).toBe(a.buffer);
    expect(spares.take()).toBeUndefined();
  });

  it('does not keep a buffer already moved to another thread', () => {
    const spares = new SpareBuffers(4);
    const moved = new Uint8Array(32);
    structuredClone(moved.buffer, { transfer: [moved.buffer] });
    spares.give(moved);
    expect(spares.take()).toBeUndefined();
  });
});
