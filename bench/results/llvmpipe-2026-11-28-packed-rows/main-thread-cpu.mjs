import { appendFileSync, readFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { globals } from 'webgpu';
// At exit, appends to $CPU_OUT: the main thread's CPU time (utime + stime, ms), the wall time it
// spent inside GPUQueue.writeBuffer (ms) and the bytes written through it.
if (isMainThread) {
  let ns = 0n;
  let bytes = 0;
  const write = globals.GPUQueue.prototype.writeBuffer;
  globals.GPUQueue.prototype.writeBuffer = function (buffer, offset, data, dataOffset, size) {
    const t = process.hrtime.bigint();
    const r = write.call(this, buffer, offset, data, dataOffset, size);
    ns += process.hrtime.bigint() - t;
    bytes += size ?? data.byteLength;
    return r;
  };
  process.on('exit', () => {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    appendFileSync(process.env.CPU_OUT, `${(Number(fields[11]) + Number(fields[12])) * 10} ${(Number(ns) / 1e6).toFixed(1)} ${bytes}\n`);
  });
}
