import type { Command } from 'commander';
import { credentialsFrom, CredentialsError, type Credentials } from '../stream/connection';
import { UsageError } from './errors';

/** The options that reach and log in to NATS, shared by `stream` and `publish`. */
export function connectionOptions(command: Command): Command {
  return command
    .option('--server <urls>', 'NATS server URL(s), comma-separated (default: $NATS_URL, else nats://127.0.0.1:4222)')
    .option('--user <name>', 'user name (or $NATS_USER)')
    .option('--password <password>', 'password (or $NATS_PASSWORD, better: an option shows in the process list)')
    .option('--token <token>', 'token (or $NATS_TOKEN)')
    .option('--creds <file>', '.creds file: a user JWT and its NKey seed (or $NATS_CREDS)')
    .option('--tls', 'require TLS (implied by the TLS files or a tls:// server)')
    .option('--tls-ca <file>', 'CA certificate(s) to trust (or $NATS_CA)')
    .option('--tls-cert <file>', 'client certificate (or $NATS_CERT)')
    .option('--tls-key <file>', 'client key (or $NATS_KEY)');
}

/** The credentials from the options and the environment; a usage error when they do not fit together. */
export function credentialsOf(flags: Credentials): Credentials {
  try {
    return credentialsFrom(flags, process.env);
  } catch (error) {
    if (error instanceof CredentialsError) throw new UsageError(error.message);
    throw error;
  }
}
