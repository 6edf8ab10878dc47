import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { nkeys } from '@nats-io/transport-node';

type KeyPair = ReturnType<typeof nkeys.createUser>;

/** A nats-server with JetStream on a free localhost port and a temporary store, for one test file. */
export interface NatsServer {
  readonly url: string;
  readonly port: number;
  /** Everything the server wrote, for a failing test's message. */
  log(): string;
  /** Stops the server (SIGTERM: it flushes its store) and starts it again on the same port and store. */
  restart(): Promise<void>;
  /** Stops the server and removes its store. */
  stop(): Promise<void>;
}

/** The nats-server binary: `$NATS_SERVER`, else on the PATH or in the Debian package's /usr/sbin. */
export function natsServerBinary(): string {
  const candidates = [
    process.env.NATS_SERVER,
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'nats-server')),
    '/usr/sbin/nats-server',
    '/usr/local/bin/nats-server',
  ];
  const found = candidates.find((path) => path !== undefined && path !== '' && existsSync(path));
  if (found === undefined) throw new Error('nats-server not found: run scripts/setup-system.sh (Debian package nats-server), or set NATS_SERVER');
  return found;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts nats-server with `-js -sd DIR` on 127.0.0.1 and a free port; `args` adds options
 * (credentials, TLS); `jetstream: false` leaves JetStream off.
 */
export async function startNats(args: string[] = [], { jetstream = true } = {}): Promise<NatsServer> {
  const binary = natsServerBinary();
  const port = await freePort();
  const store = mkdtempSync(join(tmpdir(), 'netae-nats-'));
  let output = '';
  let child: ChildProcess | null = null;

  const launch = () => new Promise<void>((resolve, reject) => {
    const proc = spawn(binary, [...(jetstream ? ['-js', '-sd', store] : []), '-a', '127.0.0.1', '-p', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const timer = setTimeout(() => reject(new Error(`nats-server did not start in 20 s:\n${output}`)), 20_000);
    const read = (data: Buffer) => {
      output += data;
      if (output.includes('Server is ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout?.on('data', read);
    proc.stderr?.on('data', read);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited (${code}):\n${output}`));
    });
  });

  const halt = () => new Promise<void>((resolve) => {
    const proc = child;
    child = null;
    if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.removeAllListeners('exit');
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
  });

  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    log: () => output,
    async restart() {
      await halt();
      output = output.replace(/Server is ready/g, 'Server was ready');
      await launch();
    },
    async stop() {
      await halt();
      rmSync(store, { recursive: true, force: true });
    },
  };
}

/**
 * A server configuration in operator mode (accounts and users by signed JWT, as `nsc` makes
 * them) and a `.creds` file for one user of its JetStream-enabled account, written to `dir`.
 */
export function operatorMode(dir: string): { config: string; creds: string; seed: string } {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const sign = (claims: Record<string, unknown>, issuer: KeyPair) => {
    const head = `${encode({ typ: 'JWT', alg: 'ed25519-nkey' })}.${encode({ jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ...claims })}`;
    return `${head}.${Buffer.from(issuer.sign(new TextEncoder().encode(head))).toString('base64url')}`;
  };
  const operator = nkeys.createOperator();
  const account = nkeys.createAccount();
  const system = nkeys.createAccount();
  const user = nkeys.createUser();
  const limits = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
  const op = operator.getPublicKey();
  const operatorJwt = sign({ iss: op, sub: op, name: 'operator', nats: { system_account: system.getPublicKey(), type: 'operator', version: 2 } }, operator);
  const accountJwt = sign({ iss: op, sub: account.getPublicKey(), name: 'netae', nats: { limits: { ...limits, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 }, type: 'account', version: 2 } }, operator);
  const systemJwt = sign({ iss: op, sub: system.getPublicKey(), name: 'SYS', nats: { limits, type: 'account', version: 2 } }, operator);
  const userJwt = sign({ iss: account.getPublicKey(), sub: user.getPublicKey(), name: 'worker', nats: { pub: {}, sub: {}, subs: -1, data: -1, payload: -1, type: 'user', version: 2 } }, account);
  const config = join(dir, 'operator.conf');
  writeFileSync(config, [
    `operator: ${operatorJwt}`,
    `system_account: ${system.getPublicKey()}`,
    'resolver: MEMORY',
    `resolver_preload: {\n  ${account.getPublicKey()}: ${accountJwt}\n  ${system.getPublicKey()}: ${systemJwt}\n}`,
  ].join('\n'));
  const seed = new TextDecoder().decode(user.getSeed());
  const creds = join(dir, 'worker.creds');
  writeFileSync(creds, `-----BEGIN NATS USER JWT-----\n${userJwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`);
  return { config, creds, seed };
}
