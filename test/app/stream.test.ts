import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResults, type Result } from '../../src/app/stream/wire';
import { operatorMode, startNats, type NatsServer } from './nats-server';
import { BIN, ROOT, ourErrors, run, trainedOnSample } from './run';

const TRAIN = `${ROOT}data/sample/train.conn.log`;
const TEST = `${ROOT}data/sample/test.conn.log`;
/** The sample's test log repeated to this many records for the many-worker case. */
const COPIES = 17;

let dir: string;
let model: string;
let big: string;
/** The columns results carry by default for a zeek-conn model, as `netae score` writes them. */
const KEPT = ['uid', 'ts', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p'];
/** `netae score` on the big log: score, label and kept columns by row. */
let reference: { score: number; label: string; kept: string[] }[];

beforeAll(async () => {
  ({ dir, model } = await trainedOnSample('netae-stream-', 2));
  const lines = readFileSync(TEST, 'utf8').trimEnd().split('\n');
  const head = lines.filter((l) => l.startsWith('#') && !l.startsWith('#close'));
  const body = lines.filter((l) => !l.startsWith('#'));
  big = join(dir, 'big.conn.log');
  writeFileSync(big, `${[...head, ...Array.from({ length: COPIES }, () => body).flat()].join('\n')}\n`);
  const scored = await run(['score', '--model', model, '--data', big, '--out', join(dir, 'reference.csv')]);
  expect(scored.code, scored.stderr).toBe(0);
  reference = readFileSync(join(dir, 'reference.csv'), 'utf8').trimEnd().split('\n').slice(1).map((line) => {
    const [, score, , label, ...kept] = line.split(',');
    return { score: Number(score), label, kept };
  });
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Worker {
  readonly child: ChildProcess;
  stderr(): string;
  exited: Promise<number | null>;
}

function startWorker(server: NatsServer, args: string[], env: NodeJS.ProcessEnv = {}): Worker {
  const child = spawn(process.execPath, [BIN, 'stream', '--server', server.url, '--model', model, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

async function publish(server: NatsServer, args: string[]): Promise<{ firstSeq: number; lastSeq: number; records: number; messages: number }> {
  const r = await run(['publish', '--server', server.url, '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, workers: Worker[] = []): Promise<void> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > timeoutMs) {
      throw new Error(`timed out waiting for ${what}\n${workers.map((w) => w.stderr()).join('\n---\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stored(jsm: JetStreamManager, stream: string): Promise<number> {
  try {
    return (await jsm.streams.info(stream)).state.messages;
  } catch {
    return 0;
  }
}

interface Stored {
  id: string | undefined;
  data: string;
  headers?: Record<string, string>;
}

/** Every message of a stream in order: its id, data and (with `withHeaders`) all its headers. */
async function readStream(nc: NatsConnection, stream: string, withHeaders = false): Promise<Stored[]> {
  const consumer = await jetstream(nc).consumers.get(stream);
  const out: Stored[] = [];
  const messages = await consumer.consume({ max_messages: 8192 });
  for await (const m of messages) {
    const message: Stored = { id: m.headers?.get('Nats-Msg-Id'), data: m.string() };
    if (withHeaders) message.headers = Object.fromEntries([...(m.headers ?? [])].map(([key]) => [key, m.headers!.get(key)]));
    out.push(message);
    if (m.info.pending === 0) break;
  }
  await messages.close();
  return out;
}

/**
 * Results by input sequence, checking that each message's id is `<stream>:<seq>` and that no
 * sequence comes twice; the problems found are returned with the results.
 */
function resultsBySeq(messages: Stored[], stream: string): { bySeq: Map<number, Result[]>; problems: string[] } {
  const bySeq = new Map<number, Result[]>();
  const problems: string[] = [];
  for (const message of messages) {
    const results = parseResults(message.data);
    const seq = results[0].seq;
    if (message.id !== `${stream}:${seq}`) problems.push(`sequence ${seq}: id ${message.id}`);
    if (bySeq.has(seq)) problems.push(`sequence ${seq} came twice`);
    bySeq.set(seq, results);
  }
  return { bySeq, problems };
}

/** A problem when a score is not the reference's to 1e-6 relative. */
function closeTo(got: number | null, want: number, where: string): string | null {
  if (got !== null && Math.abs(got - want) <= 1e-6 * Math.max(Math.abs(want), 1e-12)) return null;
  return `${where}: score ${got}, netae score gives ${want}`;
}

async function expectAllAcknowledged(jsm: JetStreamManager, stream: string, consumer = 'netae'): Promise<void> {
  const info = await jsm.consumers.info(stream, consumer);
  expect(info.num_pending).toBe(0);
  expect(info.num_ack_pending).toBe(0);
}

describe('usage errors, before any connection', () => {
  it('exit 2 with one line naming the problem; an unreachable server exits 1', async () => {
    const names = join(dir, 'few-names.txt');
    writeFileSync(names, 'ts\nuid\n');
    const allNames = join(dir, 'all-names.txt');
    writeFileSync(allNames, `${readFileSync(TEST, 'utf8').split('\n').find((l) => l.startsWith('#fields'))!.split('\t').slice(1).join('\n')}\n`);
    const cases: [string[], RegExp][] = [
      [['stream', '--model', model, '--input', 'a', '--output', 'b.>'], /"b\.>" holds a wildcard/],
      [['stream', '--model', model, '--input', 'a', '--output', 'a'], /must be different subjects/],
      [['stream', '--model', model, '--input', 'a b', '--output', 'c'], /"a b" is not a subject/],
      [['stream', '--model', model, '--input', 'a', '--output', 'b', '--format', 'zeek'], /--format zeek needs the order of the fields: --names FILE/],
      [['stream', '--model', model, '--input', 'a', '--output', 'b', '--format', 'csv', '--names', names], /lack the model's column\(s\) "duration"/],
      [['stream', '--model', model, '--input', 'a', '--output', 'b', '--token', 't', '--user', 'u', '--password', 'p'], /give one of a user and password, a token or a \.creds file/],
      [['stream', '--model', model, '--input', 'a', '--output', 'b', '--keep', 'uid,seq'], /--keep "seq": the output has a field of that name already/],
      [['stream', '--model', model, '--input', 'a', '--output', 'b', '--format', 'csv', '--names', allNames, '--keep', 'uid,src'], /the csv lines: no column\(s\) "src" to keep/],
      [['publish', '--subject', 'x.*', '--data', TEST], /"x\.\*" holds a wildcard/],
    ];
    for (const [args, message] of cases) {
      const r = await run([...args, '--server', 'nats://127.0.0.1:1']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(ourErrors(r.stderr)).toEqual([expect.stringMatching(message)]);
    }
    const missing = await run(['publish', '--subject', 'x', '--data', join(dir, 'none.log'), '--server', 'nats://127.0.0.1:1']);
    expect(missing.code).toBe(1);
    expect(ourErrors(missing.stderr)).toEqual([`netae: cannot read ${join(dir, 'none.log')}: no such file (--data)`]);
    const unreachable = await run(['stream', '--model', model, '--input', 'a', '--output', 'b', '--server', 'nats://u:pw@127.0.0.1:1']);
    expect(unreachable.code).toBe(1);
    expect(ourErrors(unreachable.stderr)).toEqual(['netae: cannot connect to NATS at nats://***@127.0.0.1:1: connection refused (is nats-server running there?)']);
  });

  it('a server without JetStream is refused at once, in one line that says how to start one', async () => {
    const plain = await startNats([], { jetstream: false });
    try {
      const started = performance.now();
      const r = await run(['stream', '--model', model, '--input', 'a', '--output', 'b', '--server', plain.url]);
      expect(r.code, r.stderr).toBe(1);
      expect(ourErrors(r.stderr)).toEqual([expect.stringMatching(/^netae: the NATS server has no JetStream \(start nats-server with -js\)/)]);
      expect(performance.now() - started).toBeLessThan(20_000);
    } finally {
      await plain.stop();
    }
  });
});

describe('netae stream on a real nats-server', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    server = await startNats();
    nc = await connect({ servers: server.url });
    jsm = await jetstreamManager(nc);
  });

  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it('publish refuses --names for a file that names its own columns, and publishes nothing', async () => {
    const names = join(dir, 'three.names');
    writeFileSync(names, 'a\nb\nc\n');
    const r = await run(['publish', '--server', server.url, '--subject', 'named', '--data', TEST, '--names', names]);
    expect(r.code).toBe(2);
    expect(ourErrors(r.stderr)).toEqual([`netae: --names ${names}: ${TEST} is a Zeek log, which names its own columns; leave --names out`]);
    expect(await stored(jsm, 'NETAE_named')).toBe(0);
  });

  it('publish gives each message an id of its run and place, and a file that fails part-way says how much went out', async () => {
    const lines = readFileSync(big, 'utf8').trimEnd().split('\n');
    const broken = join(dir, 'broken.conn.log');
    const bad = lines.length - 100;
    writeFileSync(broken, `${lines.map((l, i) => (i === bad - 1 ? l.split('\t').slice(0, 5).join('\t') : l)).join('\n')}\n`);
    const r = await run(['publish', '--server', server.url, '--subject', 'broken', '--data', broken, '--per-message', '10']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^netae: ${broken}, line ${bad}: expected \\d+ fields`, 'm'));
    const said = /netae: ([\d,]+) records in ([\d,]+) messages had been published to broken \(stream NETAE_broken\) when reading stopped/.exec(r.stderr);
    expect(said, r.stderr).not.toBeNull();
    const messages = await readStream(nc, 'NETAE_broken');
    expect(messages.length).toBeGreaterThan(1000);
    expect(messages.length).toBe(Number(said![2].replaceAll(',', '')));
    expect(messages.reduce((n, m) => n + m.data.trimEnd().split('\n').length, 0)).toBe(Number(said![1].replaceAll(',', '')));
    const run0 = messages[0].id!.split(':')[0];
    expect(messages.map((m) => m.id)).toEqual(messages.map((_, i) => `${run0}:${i}`));
  });

  it('3 workers score 100,000 published records, one killed with SIGKILL midway: every sequence once, scores as netae score', async () => {
    const published = await publish(server, ['--subject', 'flows', '--data', big]);
    const total = reference.length;
    expect(published).toMatchObject({ records: total, messages: total, firstSeq: 1, lastSeq: total });
    const args = ['--input', 'flows', '--output', 'scores', '--alerts', 'alerts', '--ack-wait', '3', '--batch', '2048', '--status-interval', '1'];
    const workers = [startWorker(server, args), startWorker(server, args), startWorker(server, args)];
    await until('a fifth of the results', async () => (await stored(jsm, 'NETAE_scores')) >= total / 5, 120_000, workers);
    workers[0].child.kill('SIGKILL');
    await until('every result', async () => (await stored(jsm, 'NETAE_scores')) >= total, 240_000, workers);
    for (const worker of workers.slice(1)) worker.child.kill('SIGTERM');
    expect(await workers[0].exited).toBeNull();
    for (const worker of workers.slice(1)) expect(await worker.exited, worker.stderr()).toBe(0);

    await expectAllAcknowledged(jsm, 'NETAE_flows');
    const { bySeq, problems } = resultsBySeq(await readStream(nc, 'NETAE_scores'), 'NETAE_flows');
    expect(bySeq.size).toBe(total);
    let flagged = 0;
    for (let seq = 1; seq <= total; seq++) {
      const results = bySeq.get(seq);
      if (results?.length !== 1) {
        problems.push(`sequence ${seq}: ${results?.length ?? 0} results`);
        continue;
      }
      const [result] = results;
      const problem = closeTo(result.score, reference[seq - 1].score, `sequence ${seq}`);
      if (problem !== null) problems.push(problem);
      if (result.label !== reference[seq - 1].label) problems.push(`sequence ${seq}: label ${result.label}`);
      if (KEPT.some((name, k) => result[name] !== reference[seq - 1].kept[k])) problems.push(`sequence ${seq}: kept ${KEPT.map((name) => result[name])}`);
      flagged += result.flag;
    }
    expect(problems.slice(0, 10)).toEqual([]);
    const alerts = (await readStream(nc, 'NETAE_alerts')).flatMap((m) => parseResults(m.data));
    expect(alerts.length).toBe(flagged);
    expect(alerts.every((a) => a.flag === 1 && bySeq.get(a.seq)![0].score === a.score)).toBe(true);

    const stderr = workers[1].stderr();
    expect(stderr).toMatch(/^netae: [\d,]+ records\/s, [\d,]+ records scored, [\d,]+ flagged, [\d,]+ dead-lettered, [\d,?]+ pending$/m);
    expect(stderr).toMatch(/netae: SIGTERM: finishing the batches in hand/);
    expect(stderr).toMatch(/netae: stopped: [\d,]+ records in [\d,]+ messages scored/);
  }, 600_000);

  it('Ctrl-C stops a worker at once and says what it had scored and published', async () => {
    await publish(server, ['--subject', 'intr', '--data', TEST]);
    const worker = startWorker(server, ['--input', 'intr', '--output', 'intr.scores', '--consumer', 'intr', '--quiet']);
    await until('some results', async () => (await stored(jsm, 'NETAE_intr_scores')) >= 100, 120_000, [worker]);
    worker.child.kill('SIGINT');
    expect(await worker.exited).toBe(130);
    expect(worker.stderr()).toMatch(/^netae: interrupted \(SIGINT\); [1-9][\d,]* records in [1-9][\d,]* messages scored and their results published; the messages in hand are left to be delivered again$/m);
    expect(worker.stderr()).not.toMatch(/nothing was written/);
  }, 300_000);

  it('zeek lines many to a message, csv lines one to a message; a malformed message goes to the dead-letter subject, acknowledged', async () => {
    const names = join(dir, 'names.txt');
    const fields = readFileSync(TEST, 'utf8').split('\n').find((l) => l.startsWith('#fields'))!.split('\t').slice(1);
    writeFileSync(names, `${fields.join('\n')}\n`);
    const zeek = await publish(server, ['--subject', 'zeek.conn', '--data', TEST, '--format', 'zeek', '--per-message', '50']);
    expect(zeek).toMatchObject({ records: 6000, messages: 120 });
    const js = jetstream(nc);
    const garbage = 'not\ta\tconn\tline';
    const bad = await js.publish('zeek.conn', new TextEncoder().encode(garbage));
    const csv = await publish(server, ['--subject', 'csv.conn', '--data', TEST, '--format', 'csv']);
    expect(csv).toMatchObject({ records: 6000, messages: 6000 });

    const common = ['--names', names, '--dead-letter', 'dead', '--status-interval', '1'];
    const workers = [
      startWorker(server, ['--input', 'zeek.conn', '--output', 'zeek.scores', '--format', 'zeek', '--consumer', 'zeek', ...common]),
      startWorker(server, ['--input', 'csv.conn', '--output', 'csv.scores', '--format', 'csv', '--consumer', 'csv', ...common]),
    ];
    await until('the zeek and csv results', async () =>
      (await stored(jsm, 'NETAE_zeek_scores')) >= 120 && (await stored(jsm, 'NETAE_csv_scores')) >= 6000 && (await stored(jsm, 'NETAE_dead')) >= 1, 180_000, workers);
    for (const worker of workers) worker.child.kill('SIGTERM');
    for (const worker of workers) expect(await worker.exited, worker.stderr()).toBe(0);
    await expectAllAcknowledged(jsm, 'NETAE_zeek_conn', 'zeek');
    await expectAllAcknowledged(jsm, 'NETAE_csv_conn', 'csv');

    for (const [stream, perMessage] of [['NETAE_zeek_scores', 50], ['NETAE_csv_scores', 1]] as const) {
      const input = stream === 'NETAE_zeek_scores' ? 'NETAE_zeek_conn' : 'NETAE_csv_conn';
      const { bySeq, problems } = resultsBySeq(await readStream(nc, stream), input);
      expect(bySeq.size).toBe(6000 / perMessage);
      for (const [seq, results] of bySeq) {
        if (results.length !== perMessage || results.some((r, i) => r.record !== i + 1)) problems.push(`${stream} ${seq}: records ${results.map((r) => r.record)}`);
        results.forEach((r, i) => {
          const want = reference[(seq - 1) * perMessage + i];
          const problem = closeTo(r.score, want.score, `${stream} ${seq}.${i + 1}`);
          if (problem !== null) problems.push(problem);
          if (KEPT.some((name, k) => r[name] !== want.kept[k])) problems.push(`${stream} ${seq}.${i + 1}: kept ${KEPT.map((name) => r[name])}`);
        });
      }
      expect(problems.slice(0, 10)).toEqual([]);
    }
    const dead = await readStream(nc, 'NETAE_dead', true);
    expect(dead).toHaveLength(1);
    expect(dead[0].data).toBe(garbage);
    expect(dead[0].id).toBe(`NETAE_zeek_conn:${bad.seq}:dead`);
    expect(dead[0].headers).toMatchObject({ 'Netae-Seq': String(bad.seq), 'Netae-Stream': 'NETAE_zeek_conn', 'Netae-Subject': 'zeek.conn' });
    expect(dead[0].headers?.['Netae-Reason']).toMatch(/^line 1: expected \d+ fields/);
    expect(workers[0].stderr()).toMatch(/1 dead-lettered/);
  }, 600_000);
});

describe('a server restart mid-stream', () => {
  it('loses nothing: the workers reconnect, report it, and every sequence comes once', async () => {
    const server = await startNats();
    const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    try {
      const jsm = await jetstreamManager(nc);
      const records = 24_000;
      const file = join(dir, 'restart.conn.log');
      writeFileSync(file, readFileSync(big, 'utf8').split('\n').slice(0, 8 + records).join('\n') + '\n');
      await publish(server, ['--subject', 'flows', '--data', file]);
      const args = ['--input', 'flows', '--output', 'scores', '--ack-wait', '3', '--batch', '1024', '--status-interval', '1'];
      const workers = [startWorker(server, args), startWorker(server, args)];
      await until('a tenth of the results', async () => (await stored(jsm, 'NETAE_scores')) >= records / 10, 120_000, workers);
      await server.restart();
      await until('every result', async () => (await stored(jsm, 'NETAE_scores')) >= records, 240_000, workers);
      for (const worker of workers) worker.child.kill('SIGTERM');
      for (const worker of workers) expect(await worker.exited, worker.stderr()).toBe(0);
      await expectAllAcknowledged(jsm, 'NETAE_flows');
      const { bySeq, problems } = resultsBySeq(await readStream(nc, 'NETAE_scores'), 'NETAE_flows');
      expect(bySeq.size).toBe(records);
      for (let seq = 1; seq <= records; seq++) {
        const problem = closeTo(bySeq.get(seq)?.[0].score ?? null, reference[seq - 1].score, `sequence ${seq}`);
        if (problem !== null) problems.push(problem);
      }
      expect(problems.slice(0, 10)).toEqual([]);
      for (const worker of workers) {
        expect(worker.stderr()).toMatch(/netae: lost the connection to .*; reconnecting with back-off/);
        expect(worker.stderr()).toMatch(/netae: reconnected to /);
      }
    } finally {
      await nc.close();
      await server.stop();
    }
  }, 600_000);
});

describe('credentials', () => {
  it('user and password from the environment; a wrong one fails in one line that shows no secret', async () => {
    const server = await startNats(['--user', 'netae', '--pass', 'hunter2-secret']);
    try {
      const env = { NATS_USER: 'netae', NATS_PASSWORD: 'hunter2-secret' };
      const ok = await run(`NATS_USER=${env.NATS_USER} NATS_PASSWORD=${env.NATS_PASSWORD} node ${BIN} publish --server ${server.url} --subject creds --data ${TEST} --per-message 1000 --json`);
      expect(ok.code, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ records: 6000, messages: 6 });
      const wrong = await run(['publish', '--server', server.url, '--subject', 'creds', '--data', TEST, '--user', 'netae', '--password', 'wrong-secret-pw']);
      expect(wrong.code).toBe(1);
      expect(ourErrors(wrong.stderr)).toHaveLength(1);
      expect(ourErrors(wrong.stderr)[0]).toMatch(/cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+: .*authorization/i);
      expect(wrong.stderr + wrong.stdout).not.toMatch(/wrong-secret-pw|hunter2/);
      const half = await run(['publish', '--server', server.url, '--subject', 'creds', '--data', TEST, '--user', 'netae']);
      expect(half.code).toBe(2);
      expect(ourErrors(half.stderr)[0]).toMatch(/a user needs a password/);
    } finally {
      await server.stop();
    }
  });

  it('TLS with a CA given by option or environment; an untrusted server certificate fails in one line', async () => {
    const tls = mkdtempSync(join(dir, 'tls-'));
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: tls, stdio: 'pipe' });
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=netae test CA');
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
    writeFileSync(join(tls, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
    const server = await startNats(['--tls', '--tlscert', join(tls, 'server.pem'), '--tlskey', join(tls, 'server.key')]);
    try {
      const byOption = await run(['publish', '--server', server.url, '--tls-ca', join(tls, 'ca.pem'), '--subject', 'tls', '--data', TEST, '--per-message', '1000', '--json']);
      expect(byOption.code, byOption.stderr).toBe(0);
      const byEnv = await run(`NATS_CA=${join(tls, 'ca.pem')} node ${BIN} publish --server ${server.url} --subject tls --data ${TEST} --per-message 1000 --json`);
      expect(byEnv.code, byEnv.stderr).toBe(0);
      expect(JSON.parse(byEnv.stdout)).toMatchObject({ records: 6000, firstSeq: 7, lastSeq: 12 });
      const untrusted = await run(['publish', '--server', server.url, '--tls', '--subject', 'tls', '--data', TEST]);
      expect(untrusted.code).toBe(1);
      expect(ourErrors(untrusted.stderr)).toEqual([expect.stringMatching(/cannot connect to NATS at .*: unable to verify the first certificate/)]);
    } finally {
      await server.stop();
    }
  });

  it('a .creds file (operator mode) by environment; without it, or with a broken one, one line and no secret', async () => {
    const { config, creds, seed } = operatorMode(mkdtempSync(join(dir, 'operator-')));
    const server = await startNats(['-c', config]);
    try {
      const ok = await run(`NATS_CREDS=${creds} node ${BIN} publish --server ${server.url} --subject jwt --data ${TEST} --per-message 1000 --json`);
      expect(ok.code, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ records: 6000, messages: 6 });
      const none = await run(['publish', '--server', server.url, '--subject', 'jwt', '--data', TEST]);
      expect(none.code).toBe(1);
      expect(ourErrors(none.stderr)).toEqual([expect.stringMatching(/Authorization Violation/)]);
      const broken = join(dir, 'broken.creds');
      writeFileSync(broken, readFileSync(creds, 'utf8').replace(/SU[A-Z0-9]+/, 'SUNOTASEED'));
      const bad = await run(['publish', '--server', server.url, '--creds', broken, '--subject', 'jwt', '--data', TEST]);
      expect(bad.code).toBe(1);
      expect(ourErrors(bad.stderr)).toHaveLength(1);
      expect(bad.stderr + bad.stdout + ok.stderr + none.stderr).not.toContain(seed.slice(2, 20));
    } finally {
      await server.stop();
    }
  });

  it('a token from the environment, and a worker that logs in with it', async () => {
    const server = await startNats(['--auth', 's3cret-token']);
    try {
      const published = await run(`NATS_TOKEN=s3cret-token node ${BIN} publish --server ${server.url} --subject tok --data ${TEST} --per-message 500 --json`);
      expect(published.code, published.stderr).toBe(0);
      const worker = startWorker(server, ['--input', 'tok', '--output', 'tok.scores', '--status-interval', '1'], { NATS_TOKEN: 's3cret-token' });
      const nc = await connect({ servers: server.url, token: 's3cret-token' });
      try {
        const jsm = await jetstreamManager(nc);
        await until('the results', async () => (await stored(jsm, 'NETAE_tok_scores')) >= 12, 120_000, [worker]);
      } finally {
        await nc.close();
      }
      worker.child.kill('SIGTERM');
      expect(await worker.exited, worker.stderr()).toBe(0);
      expect(worker.stderr()).not.toMatch(/s3cret-token/);
    } finally {
      await server.stop();
    }
  });
});
