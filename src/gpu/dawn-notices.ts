/**
 * Dawn's notices that are no news to a netae user.
 *
 * When Dawn discovers a Vulkan adapter whose limits exceed its own, it lowers them and says so on
 * the process's standard error, from native code (`dawn::WarningLog`, in its limit normalisation):
 * lavapipe reports 1,000,000 dynamic uniform and storage buffers per pipeline layout (RADV
 * 500,000), Dawn allows 16, so every process that asks for an adapter printed
 *
 *     Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 …
 *     Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 …
 *
 * No WebGPU call or Dawn toggle avoids the comparison, and netae uses at most 2 such buffers.
 * Discovery runs synchronously inside the first `requestAdapter()` of a Dawn instance, so
 * `withoutDawnNotices` points descriptor 2 at a temporary file for the length of that call, puts
 * the original back, and writes every line Dawn printed except these two to standard error:
 * real errors still show.
 */
export const DAWN_LIMIT_NOTICE = /^Warning: maxDynamic(?:Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/;

/** The parts of `node:fs` this needs (passed in, so that the browser bundle never imports it). */
export interface DescriptorFs {
  openSync(path: string, flags: string): number;
  closeSync(fd: number): void;
  unlinkSync(path: string): void;
  fstatSync(fd: number): { isFile(): boolean; size: number };
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  writeSync(fd: number, text: string): number;
}

const STDERR = 2;

/** Lines of `text` other than Dawn's limit notices, each ending in a newline. */
export function withoutNotices(text: string): string {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const kept = lines.filter((line) => !DAWN_LIMIT_NOTICE.test(line));
  return kept.length ? `${kept.join('\n')}\n` : '';
}

/**
 * Runs `work` (synchronous) with descriptor 2 pointing at `scratch`, then restores it and writes
 * what was printed, less Dawn's limit notices, to standard error. Only on Linux, where
 * `/proc/self/fd/2` reopens standard error, and only when standard error is a terminal, pipe
 * or device: a regular file may be shared with standard output (`> log 2>&1`), and a second
 * handle on it would write at its own offset. Otherwise `work` runs as is.
 *
 * Closing descriptor 2 and opening `scratch` run back to back, so `scratch` takes descriptor
 * 2, the lowest free one (0 and 1 are checked to be open). A file another thread opened in
 * the instant between those two calls would take descriptor 2 instead; `work` then runs without
 * the filter. `scratch` is unlinked as soon as it is open.
 */
export function withoutDawnNotices<T>(fs: DescriptorFs, platform: string, scratch: string, work: () => T): T {
  const saved = platform === 'linux' ? reopenStderr(fs) : null;
  if (saved === null) return work();
  const restore = () => {
    fs.openSync(`/proc/self/fd/${saved}`, 'w');
    fs.closeSync(saved);
  };
  fs.closeSync(STDERR);
  let fd: number;
  try {
    fd = fs.openSync(scratch, 'w+');
  } catch {
    restore();
    return work();
  }
  if (fd !== STDERR) {
    fs.closeSync(fd);
    fs.closeSync(saved);
    return work();
  }
  let captured = '';
  try {
    fs.unlinkSync(scratch);
    return work();
  } finally {
    captured = readAll(fs, STDERR);
    fs.closeSync(STDERR);
    restore();
    const rest = withoutNotices(captured);
    if (rest) fs.writeSync(STDERR, rest);
  }
}

/** A second descriptor on standard error, or null where this cannot or should not be done. */
function reopenStderr(fs: DescriptorFs): number | null {
  try {
    if (fs.fstatSync(STDERR).isFile()) return null;
    fs.fstatSync(0);
    fs.fstatSync(1);
    return fs.openSync(`/proc/self/fd/${STDERR}`, 'w');
  } catch {
    return null;
  }
}

function readAll(fs: DescriptorFs, fd: number): string {
  const size = fs.fstatSync(fd).size;
  const bytes = new Uint8Array(size);
  let at = 0;
  while (at < size) {
    const n = fs.readSync(fd, bytes, at, size - at, at);
    if (n <= 0) break;
    at += n;
  }
  return new TextDecoder().decode(bytes.subarray(0, at));
}
