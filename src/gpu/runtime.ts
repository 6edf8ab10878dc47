/** True in Node (and not in a browser page or worker), where WebGPU comes from Dawn's bindings. */
export function isNode(): boolean {
  return typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string'
    && typeof (globalThis as { window?: unknown }).window === 'undefined';
}
