/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range in the data that follows, and an optional
 * `__metadata__` map of strings. Only F32 tensors are read and written.
 */

import { quote } from '../pipeline/errors';

export interface F32Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface SafetensorsFile {
  readonly tensors: ReadonlyMap<string, F32Tensor>;
  readonly metadata: Readonly<Record<string, string>>;
}

const MAX_HEADER = 100 * 1024 * 1024;

export function encodeSafetensors(tensors: ReadonlyMap<string, F32Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = t.data.length * 4;
    if (t.shape.reduce((a, b) => a * b, 1) !== t.data.length) {
      throw new Error(`tensor ${quote(name)}: shape [${t.shape.join(', ')}] does not hold ${t.data.length} values`);
    }
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const spaced = new Uint8Array(padded).fill(0x20);
    spaced.set(json);
    json = spaced;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/** Reads a safetensors file, refusing anything malformed with an error that starts with `source`. */
export function decodeSafetensors(bytes: Uint8Array, source = 'model file'): SafetensorsFile {
  const fail = (why: string): never => {
    throw new Error(`${source}: ${why}`);
  };
  if (bytes.length < 8) fail(`not a safetensors file: ${bytes.length} bytes, too short for the header length`);
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > bytes.length - 8) {
    fail(`not a safetensors file, or truncated: its header claims ${headerLength} bytes but only ${bytes.length - 8} follow`);
  }
  if (headerLength > MAX_HEADER || headerLength < 2) fail(`not a safetensors file: a header of ${headerLength} bytes`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    fail('not a safetensors file: the header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the header is not a JSON object');
  const entries = header as Record<string, unknown>;
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, F32Tensor>();
  const ranges: [number, number, string][] = [];
  for (const [name, value] of Object.entries(entries)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null) fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__ ${quote(k)} is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info !== 'object' || info === null) fail(`tensor ${quote(name)}: no dtype, shape and data_offsets`);
    if (info.dtype !== 'F32') fail(`tensor ${quote(name)} has dtype ${quote(info.dtype)}; netae reads F32 tensors only (convert with .float())`);
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor ${quote(name)}: shape ${quote(JSON.stringify(shape))} is not a list of sizes`);
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isInteger(d) && d >= 0)) {
      fail(`tensor ${quote(name)}: data_offsets ${quote(JSON.stringify(offsets))} is not a [begin, end] pair`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin || end > dataLength) {
      fail(`tensor ${quote(name)}: data_offsets [${begin}, ${end}] point past the end of the data (${dataLength} bytes): the file is truncated or corrupt`);
    }
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== count * 4) fail(`tensor ${quote(name)}: shape [${(shape as number[]).join(', ')}] needs ${count * 4} bytes but data_offsets span ${end - begin}`);
    ranges.push([begin, end, name]);
    // Uint8Array's own slice copies; a Node Buffer's would be a view into a larger buffer.
    const copy = Uint8Array.prototype.slice.call(bytes, dataStart + begin, dataStart + end);
    tensors.set(name, { shape: shape as number[], data: new Float32Array(copy.buffer, 0, count) });
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let covered = 0;
  for (const [begin, end, name] of ranges) {
    if (begin < covered) fail(`tensor ${quote(name)} overlaps another tensor's bytes`);
    if (begin > covered) fail(`bytes ${covered}–${begin} of the data belong to no tensor`);
    covered = end;
  }
  if (covered !== dataLength) fail(`bytes ${covered}–${dataLength} of the data belong to no tensor`);
  return { tensors, metadata };
}
