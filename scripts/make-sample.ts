import { mkdir, rename, writeFile } from 'node:fs/promises';
import { sampleLogs } from '../src/synthetic/sample';

const dir = new URL('../data/sample/', import.meta.url);
await mkdir(dir, { recursive: true });
for (const [name, text] of Object.entries(sampleLogs())) {
  const target = new URL(`${name}.conn.log`, dir);
  const temporary = new URL(`${name}.conn.log.tmp`, dir);
  await writeFile(temporary, text);
  await rename(temporary, target);
  console.log(`wrote ${target.pathname} (${text.length.toLocaleString('en-US')} bytes)`);
}
