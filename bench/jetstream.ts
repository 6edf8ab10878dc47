import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { streamName } from '../src/app/stream/jetstream';
import { natsServerBinary, startNats } from '../test/app/nats-server';
import type { Described, Row } from './report';
import { runNode, workload } from './score-cli';

/** The workload's data lines repeated to `rows` records (a Zeek log keeps its header once). */
function writeRecords(path: string, text: string, rows: number): void {
  const lines = text.trimEnd().split('\n');
  const head = lines.filter((l) => l.startsWith('#') && !l.startsWith('#close'));
  const body = lines.filter((l) => !l.startsWith('#'));
  const out = [...head];
  for (let i = 0; i < rows; i++) out.push(body[i % body.length]);
  writeFileSync(path, `${out.join('\n')}\n`);
}

async function stored(jsm: JetStreamManager, stream: string): Promise<number> {
  try {
    return (await jsm.streams.info(stream)).state.messages;
  } catch {
    return 0;
  }
}

/** Seconds between the first and the last message a stream stored. */
async function storedSpan(jsm: JetStreamManager, stream: string): Promise<number> {
  const info = await jsm.streams.info(stream);
  const first = await jsm.streams.getMessage(stream, { seq: info.state.first_seq });
  const last = await jsm.streams.getMessage(stream, { seq: info.state.last_seq });
  if (first === null || last === null) return 0;
  return (last.time.getTime() - first.time.getTime()) / 1000;
}

/**
 * Records/s through JetStream: a local nats-server (`-js`, file store), a model trained on the
 * workload (NSL-KDD where at hand, else the synthetic conn.log), its records repeated to 200,000
 * (50,000 with `quick`) and published once per message size (1 and 100 records a message: CSV
 * lines for NSL-KDD, JSON for the conn.log). Then 1 and 2 `netae stream` workers score the
 * backlog into a fresh output subject each; timed from starting the workers to the last result
 * stored (start-up included, as for `netae score`), and also between the first and last result
 * stored (steady). Beside them, `netae score` on the same file, end to end.
 */
export async function benchJetStream(quick: boolean, cli: string): Promise<Described> {
  const binary = natsServerBinary();
  console.warn(`nats-server: ${binary}`);
  const dir = mkdtempSync(join(tmpdir(), 'netae-jetstream-'));
  const server = await startNats();
  const nc = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    const w = workload(dir);
    const nsl = w.train.includes('nsl-kdd');
    const format = nsl ? 'csv' : 'json';
    const model = join(dir, 'model.safetensors');
    const trained = await runNode(cli, ['train', ...w.train, '--out', model, '--epochs', '2', '--json']);
    if (trained.code !== 0) throw new Error(`netae train failed: ${trained.stderr}`);
    const records = quick ? 50_000 : 200_000;
    const file = join(dir, nsl ? 'records.csv' : 'records.conn.log');
    writeRecords(file, w.records, records);

    const devNull = openSync('/dev/null', 'w');
    let scoreRate: number;
    const rows: Row[] = [];
    try {
      const scored = await runNode(cli, ['score', '--model', model, '--data', file, '--out', '-', '--quiet'], devNull);
      if (scored.code !== 0) throw new Error(`netae score failed: ${scored.stderr}`);
      scoreRate = records / scored.seconds;
      rows.push({
        run: 'netae score (file to CSV)', workload: w.name, format: '—', 'records/message': null, records,
        seconds: scored.seconds, 'records/s': scoreRate, 'steady records/s': null, 'per worker ÷ score': 1,
      });
    } finally {
      closeSync(devNull);
    }

    for (const perMessage of [1, 100]) {
      const subject = `records.${perMessage}`;
      const published = await runNode(cli, [
        'publish', '--server', server.url, '--subject', subject, '--data', file, '--format', format,
        '--per-message', String(perMessage), '--quiet', ...(nsl ? ['--preset', 'nsl-kdd'] : []),
      ]);
      if (published.code !== 0) throw new Error(`netae publish failed: ${published.stderr}`);
      rows.push({
        run: 'netae publish', workload: w.name, format, 'records/message': perMessage, records,
        seconds: published.seconds, 'records/s': records / published.seconds, 'steady records/s': null, 'per worker ÷ score': null,
      });
      const messages = Math.ceil(records / perMessage);
      for (const workers of [1, 2]) {
        const output = `scores.${perMessage}.${workers}`;
        const args = [cli, 'stream', '--server', server.url, '--model', model, '--input', subject, '--output', output, '--consumer', `bench-${perMessage}-${workers}`, '--format', format, '--quiet'];
        const start = performance.now();
        const children = Array.from({ length: workers }, () => spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
        const errors = children.map((child) => {
          let text = '';
          child.stderr!.on('data', (d) => (text += d));
          return () => text;
        });
        const exits = children.map((child) => new Promise<number | null>((resolve) => child.on('close', resolve)));
        const stream = streamName(output);
        while ((await stored(jsm, stream)) < messages) {
          if (performance.now() - start > 1_200_000) throw new Error(`workers did not finish in 20 minutes:\n${errors.map((e) => e()).join('\n')}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        const seconds = (performance.now() - start) / 1000;
        for (const child of children) child.kill('SIGTERM');
        const codes = await Promise.all(exits);
        if (codes.some((code) => code !== 0)) throw new Error(`a worker exited with ${codes}:\n${errors.map((e) => e()).join('\n')}`);
        const span = await storedSpan(jsm, stream);
        rows.push({
          run: `netae stream × ${workers}`, workload: w.name, format, 'records/message': perMessage, records, seconds,
          'records/s': records / seconds, 'steady records/s': span > 0 ? records / span : null,
          'per worker ÷ score': records / seconds / workers / scoreRate,
        });
      }
    }
    return { rows, notes: [`workload: ${w.name}: ${w.source}`, `nats-server: ${binary}`] };
  } finally {
    await nc.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
