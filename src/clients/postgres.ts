/**
 * Every PostgreSQL connection of every process (sink pool, reconcile, offsets, runs table, health)
 * is built here from the same settings: PG_URL + PG_SSL* (resolved once, see connection-checks.ts).
 *
 * TLS modes follow libpq's sslmode (PostgreSQL docs, "SSL Support" / libpq "Protection Provided in
 * Different Modes"): require encrypts without checking the certificate; verify-ca checks the chain
 * against PG_SSL_CA; verify-full also checks that the certificate names the host.
 */
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { resolvePgSettings, type ConnectionFields, type PgSettings } from '../config/connection-checks.js';
import { ConfigError } from '../config/spec.js';
import type { Logger } from '../log/logger.js';
import { tlsMaterial } from './tls-material.js';

export function pgSettings(cfg: ConnectionFields): PgSettings {
  const { settings, problems } = resolvePgSettings(cfg);
  if (!settings) throw new ConfigError(problems);
  return settings;
}

function sslOptions(s: PgSettings): false | ConnectionOptions {
  if (s.sslMode === 'disable') return false; // explicit: PGSSLMODE in the environment must not turn it on behind our back
  const material = tlsMaterial('PG_SSL', s);
  if (s.sslMode === 'require') return { ...material, rejectUnauthorized: false };
  if (s.sslMode === 'verify-ca') return { ...material, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  return { ...material, rejectUnauthorized: true };
}

/** Client options for pg.Client / pg.Pool: connection string without ssl* parameters, TLS from the settings. */
export function pgClientConfig(cfg: ConnectionFields, applicationName: string, extra: pg.ClientConfig = {}): pg.ClientConfig {
  const s = pgSettings(cfg);
  return { connectionString: s.connectionString, application_name: applicationName, ssl: sslOptions(s), connectionTimeoutMillis: 10_000, ...extra };
}

export function createPgClient(cfg: ConnectionFields, applicationName: string, extra: pg.ClientConfig = {}): pg.Client {
  return new pg.Client(pgClientConfig(cfg, applicationName, extra));
}

export function createPgPool(cfg: ConnectionFields, applicationName: string, log: Logger, extra: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({ idleTimeoutMillis: 30_000, ...pgClientConfig(cfg, applicationName), ...extra });
  // An idle client whose server went away emits 'error' on the pool; unhandled it would crash the
  // process. The next checkout gets a fresh connection.
  pool.on('error', (err) => log.warn({ err }, 'idle PostgreSQL connection lost'));
  // A checked-out client whose connection dies emits 'error' too; the query in flight rejects and
  // the caller retries, so the event only needs a listener (else it is an uncaught exception).
  pool.on('connect', (client) => client.on('error', (err) => log.warn({ err }, 'PostgreSQL connection lost')));
  return pool;
}
