/**
 * A private PostgreSQL 15 cluster for tests that need a server configured differently from the
 * shared one (TLS on, client certificates, passwords, WAL settings) or that crash it: initdb +
 * pg_ctl from the machine's PostgreSQL binaries, on a free port, in a temp dir, stopped and removed
 * by the test.
 * As root (CI containers) the server runs as the `postgres` user, as initdb requires.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync, appendFileSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PG_BIN = process.env.CDC_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PgClusterOptions {
  /** Server certificate and key (PEM paths) and the CA client certificates must chain to (none: no TLS). */
  tls?: { cert: string; key: string; ca: string };
  /** More postgresql.conf lines. */
  conf?: string[];
  /** pg_hba.conf lines (host/hostssl/hostnossl …); a local trust line is added for set-up. */
  hba: string[];
  /** Addresses to listen on (default 127.0.0.1). */
  listen?: string[];
  /** SQL run over the Unix socket once started (roles, databases). */
  setup?: string[];
}

export interface PgCluster {
  port: number;
  dir: string;
  log(): string;
  psql(sql: string, db?: string): string;
  /** A crash: `pg_ctl stop -m immediate` (no shutdown checkpoint, WAL not yet written is lost). */
  crash(): void;
  /** Starts it again after crash() (crash recovery). */
  start(): void;
  stop(): void;
}

import { freePort } from './free-port.js';

export { freePort };

function postgresIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export async function startPgCluster(o: PgClusterOptions): Promise<PgCluster> {
  const ids = postgresIds();
  const asServer = (cmd: string, args: string[]) =>
    ids
      ? execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      : execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const dir = mkdtempSync(join(tmpdir(), 'cdc-pg-'));
  const data = join(dir, 'data');
  if (ids) chownSync(dir, ids.uid, ids.gid);
  asServer(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const tls = o.tls;
  if (tls)
    for (const [name, src] of [
      ['server.crt', tls.cert],
      ['server.key', tls.key],
      ['ca.crt', tls.ca],
    ] as const) {
      const dst = join(data, name);
      copyFileSync(src, dst);
      chmodSync(dst, 0o600); // PostgreSQL refuses a key readable by others
      if (ids) chownSync(dst, ids.uid, ids.gid);
    }
  const port = await freePort();
  appendFileSync(
    join(data, 'postgresql.conf'),
    [
      `port = ${port}`,
      `listen_addresses = '${(o.listen ?? ['127.0.0.1']).join(',')}'`,
      `unix_socket_directories = '${dir}'`,
      ...(tls ? ['ssl = on', "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'", "ssl_ca_file = 'ca.crt'"] : []),
      'fsync = off',
      'shared_buffers = 16MB',
      'max_connections = 30',
      'log_connections = on',
      "password_encryption = 'scram-sha-256'",
      ...(o.conf ?? []),
      '',
    ].join('\n'),
  );
  writeFileSync(join(data, 'pg_hba.conf'), ['local all all trust', ...o.hba, ''].join('\n'));
  const logFile = join(dir, 'server.log');
  const start = () => asServer(join(PG_BIN, 'pg_ctl'), ['-D', data, '-l', logFile, '-w', '-t', '60', 'start']);
  start();
  const psql = (sql: string, db = 'postgres') => asServer('psql', ['-h', dir, '-p', String(port), '-U', 'postgres', '-d', db, '-v', 'ON_ERROR_STOP=1', '-tAc', sql]);
  for (const sql of o.setup ?? []) psql(sql);
  return {
    port,
    dir,
    log: () => execFileSync('cat', [logFile], { encoding: 'utf8' }),
    psql,
    crash: () => asServer(join(PG_BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']),
    start,
    stop: () => {
      try {
        asServer(join(PG_BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
