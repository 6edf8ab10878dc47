import { readFileSync } from 'node:fs';
import { credsAuthenticator, type NatsConnection, type Status } from '@nats-io/transport-node';
import { connect, type NodeConnectionOptions } from '@nats-io/transport-node';
import { backoff } from './flow';

/** How to reach and log in to NATS. Secrets stay here: nothing prints them. */
export interface Credentials {
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  /** A `.creds` file (a user JWT and its NKey seed). */
  readonly creds?: string;
  /** Require TLS (implied by any of the files below or a `tls://` server). */
  readonly tls?: boolean;
  readonly tlsCa?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
}

/** The environment variables read when the option is not given (the names the `nats` tool uses, and NATS_TOKEN). */
export const CREDENTIAL_ENV = {
  user: 'NATS_USER',
  password: 'NATS_PASSWORD',
  token: 'NATS_TOKEN',
  creds: 'NATS_CREDS',
  tlsCa: 'NATS_CA',
  tlsCert: 'NATS_CERT',
  tlsKey: 'NATS_KEY',
} as const;

export const DEFAULT_SERVER = 'nats://127.0.0.1:4222';

/** Server URLs from the option, else `NATS_URL`, else the local default; comma-separated lists allowed. */
export function serversFrom(option: string | undefined, env: NodeJS.ProcessEnv): string[] {
  return (option ?? env.NATS_URL ?? DEFAULT_SERVER).split(',').map((s) => s.trim()).filter(Boolean);
}

/** Credentials from options, each falling back to its environment variable. */
export function credentialsFrom(options: Credentials, env: NodeJS.ProcessEnv): Credentials {
  const pick = (key: keyof typeof CREDENTIAL_ENV) => options[key] ?? (env[CREDENTIAL_ENV[key]] || undefined);
  const found: Credentials = {
    user: pick('user'),
    password: pick('password'),
    token: pick('token'),
    creds: pick('creds'),
    tls: options.tls,
    tlsCa: pick('tlsCa'),
    tlsCert: pick('tlsCert'),
    tlsKey: pick('tlsKey'),
  };
  if ((found.user === undefined) !== (found.password === undefined)) {
    throw new CredentialsError('a user needs a password and a password a user (--user and --password, or NATS_USER and NATS_PASSWORD)');
  }
  const kinds = [found.user !== undefined, found.token !== undefined, found.creds !== undefined].filter(Boolean).length;
  if (kinds > 1) throw new CredentialsError('give one of a user and password, a token or a .creds file');
  if ((found.tlsCert === undefined) !== (found.tlsKey === undefined)) {
    throw new CredentialsError('a TLS client certificate needs its key (--tls-cert with --tls-key)');
  }
  return found;
}

/** A usage error in the credentials given. */
export class CredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialsError';
  }
}

/** A server URL with any user and password in it hidden. */
export function redact(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//***@');
}

/** Messages about the connection, for the operator. */
export type ConnectionNote = (text: string) => void;

/**
 * Connects to NATS. After the first connection, a lost one is retried for ever with back-off
 * (100 ms doubling to 5 s, with jitter) and every change is reported through `note`;
 * publications made meanwhile wait in the client. The first connection is tried once: a wrong
 * address or login fails at once with a clear message.
 */
export async function connectNats(servers: string[], credentials: Credentials, name: string, note: ConnectionNote): Promise<NatsConnection> {
  let attempts = 0;
  const options: NodeConnectionOptions = {
    servers,
    name,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectDelayHandler: () => backoff(attempts++),
    pingInterval: 20_000,
    ...authOptions(credentials),
  };
  let nc: NatsConnection;
  try {
    nc = await connect(options);
  } catch (error) {
    throw new Error(`cannot connect to NATS at ${servers.map(redact).join(', ')}: ${describe(error)}`);
  }
  void watch(nc, note, () => (attempts = 0));
  return nc;
}

function authOptions(credentials: Credentials): Partial<NodeConnectionOptions> {
  const options: Partial<NodeConnectionOptions> = {};
  if (credentials.user !== undefined) Object.assign(options, { user: credentials.user, pass: credentials.password });
  if (credentials.token !== undefined) options.token = credentials.token;
  if (credentials.creds !== undefined) {
    const bytes = new Uint8Array(readFileSync(credentials.creds));
    options.authenticator = credsAuthenticator(bytes);
  }
  if (credentials.tls || credentials.tlsCa !== undefined || credentials.tlsCert !== undefined) {
    options.tls = {
      ...(credentials.tlsCa === undefined ? {} : { caFile: credentials.tlsCa }),
      ...(credentials.tlsCert === undefined ? {} : { certFile: credentials.tlsCert, keyFile: credentials.tlsKey }),
    };
  }
  return options;
}

/** How long a closing connection may take to hand the server what it holds. */
const DRAIN_MS = 10_000;

/**
 * Closes a connection once what it holds has reached the server (drained), or at once after
 * `ms` when the server does not answer (down, or stalled): a stop is not held up by the bus.
 */
export async function drainWithin(nc: NatsConnection, ms = DRAIN_MS): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    const drained = await Promise.race([nc.drain().then(() => true, () => false), late]);
    if (!drained) await nc.close();
  } finally {
    clearTimeout(timer);
  }
}

/** An error from the client, in one line, with a hint for the common causes. */
export function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string })?.code;
  if (/authorization|authentication|user authentication/i.test(message)) return `${message} (check the user and password, token or .creds file)`;
  if (code === 'ECONNREFUSED' || /ECONNREFUSED|CONNECTION_REFUSED|connection refused/i.test(message)) return `connection refused (is nats-server running there?)`;
  return message.split('\n')[0];
}

async function watch(nc: NatsConnection, note: ConnectionNote, reconnected: () => void): Promise<void> {
  let lost = 0;
  let lastNote = 0;
  for await (const status of nc.status() as AsyncIterable<Status>) {
    switch (status.type) {
      case 'disconnect':
        lost = performance.now();
        lastNote = lost;
        note(`lost the connection to ${redact(status.server)}; reconnecting with back-off`);
        break;
      case 'reconnecting':
        if (performance.now() - lastNote > 30_000) {
          lastNote = performance.now();
          note(`still reconnecting after ${Math.round((lastNote - lost) / 1000)} s`);
        }
        break;
      case 'reconnect':
        reconnected();
        note(`reconnected to ${redact(status.server)} after ${((performance.now() - lost) / 1000).toFixed(1)} s`);
        break;
      case 'ldm':
        note(`${redact(status.server)} is shutting down (lame duck mode); will move to another server`);
        break;
      case 'error':
        note(`server error: ${describe(status.error)}`);
        break;
      case 'staleConnection':
        note('the connection went stale (no answer to pings); reconnecting');
        break;
      default:
        break;
    }
  }
}
