/**
 * PostgreSQL over TLS against a private cluster started here (ssl = on, certificates made with
 * openssl; database `mtls` requires a client certificate): each PG_SSL mode means what libpq's
 * sslmode means, a wrong or missing CA fails before the startup message, and the tools (health,
 * offsets, reconcile and its runs table) connect through the same settings.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgClient } from '../../../src/clients/postgres.js';
import { scyllaConnectionOptions } from '../../../src/clients/scylla.js';
import { readSecretFile } from '../../../src/config/read-secret-file.js';
import { loadToolsConfig } from '../../../src/config/tools-config.js';
import { runCli } from '../../helpers/cli.js';
import { startPgCluster, type PgCluster } from '../../helpers/pg-cluster.js';
import { KAFKA_BROKERS, randomName, SCHEMA_REGISTRY_URL } from '../../helpers/stack-env.js';
import { makeTestCerts, type TestCerts } from '../../helpers/tls-certs.js';
import { startEmulator, type EmulatorHandle } from '../../support/scylla-emulator/index.js';

let certs: TestCerts;
let cluster: PgCluster;
const out = mkdtempSync(join(tmpdir(), 'cdc-pg-tls-'));

beforeAll(async () => {
  certs = makeTestCerts('postgres');
  cluster = await startPgCluster({
    tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca },
    listen: ['127.0.0.1', '127.0.0.2'],
    hba: ['hostnossl all all 127.0.0.0/8 reject', 'hostssl mtls all 127.0.0.0/8 cert', 'hostssl all all 127.0.0.0/8 trust'],
    setup: ['CREATE DATABASE warehouse', 'CREATE DATABASE mtls'],
  });
});

afterAll(() => {
  cluster?.stop();
  certs?.remove();
  rmSync(out, { recursive: true, force: true });
});

const url = (db: string, host = '127.0.0.1', query = '') => `postgres://postgres@${host}:${cluster.port}/${db}${query}`;

/** Connects the way every process does (env → config → client factory); resolves to ssl-in-use or the error. */
async function connect(env: Record<string, string>): Promise<{ ssl?: boolean; err?: Error & { code?: string } }> {
  const client = createPgClient(loadToolsConfig(env, readSecretFile), 'tls-test', { connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return { ssl: rows[0]?.ssl ?? false };
  } catch (err) {
    return { err: err as Error & { code?: string } };
  } finally {
    await client.end().catch(() => undefined);
  }
}

const authorized = () => (cluster.log().match(/connection authorized/g) ?? []).length;

describe('PostgreSQL TLS', () => {
  it('verify-full connects when PG_SSL_CA vouches for the server', async () => {
    expect(await connect({ PG_URL: url('warehouse'), PG_SSL: 'verify-full', PG_SSL_CA: certs.ca })).toEqual({ ssl: true });
  });

  it('refuses a wrong or missing CA before the startup message reaches the server', async () => {
    const before = authorized();
    const wrong = await connect({ PG_URL: url('warehouse'), PG_SSL: 'verify-full', PG_SSL_CA: certs.otherCa });
    expect(wrong.err?.message).toMatch(/certificate/i);
    const missing = await connect({ PG_URL: url('warehouse'), PG_SSL: 'verify-ca' });
    expect(missing.err?.message).toMatch(/certificate/i);
    expect(authorized()).toBe(before);
    expect(cluster.log()).toMatch(/could not accept SSL connection/);
  });

  it('verify-ca checks the chain only; verify-full also the host name', async () => {
    expect(await connect({ PG_URL: url('warehouse', '127.0.0.2'), PG_SSL: 'verify-ca', PG_SSL_CA: certs.ca })).toEqual({ ssl: true });
    const full = await connect({ PG_URL: url('warehouse', '127.0.0.2'), PG_SSL: 'verify-full', PG_SSL_CA: certs.ca });
    expect(full.err?.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('require encrypts without verifying; disable really sends no TLS (the server refuses it here)', async () => {
    expect(await connect({ PG_URL: url('warehouse'), PG_SSL: 'require' })).toEqual({ ssl: true });
    const plain = await connect({ PG_URL: url('warehouse'), PG_SSL: 'disable', PGSSLMODE: 'require' });
    expect(plain.err?.message).toMatch(/no encryption/);
  });

  it('takes sslmode and sslrootcert from PG_URL when PG_SSL is unset', async () => {
    expect(await connect({ PG_URL: url('warehouse', '127.0.0.1', `?sslmode=verify-full&sslrootcert=${encodeURIComponent(certs.ca)}`) })).toEqual({ ssl: true });
  });

  it('presents the client certificate where the server requires one (mTLS)', async () => {
    const without = await connect({ PG_URL: url('mtls'), PG_SSL: 'verify-full', PG_SSL_CA: certs.ca });
    expect(without.err?.message).toMatch(/certificate/i);
    expect(await connect({ PG_URL: url('mtls'), PG_SSL: 'verify-full', PG_SSL_CA: certs.ca, PG_SSL_CERT: certs.clientCert, PG_SSL_KEY_FILE: certs.clientKey })).toEqual({
      ssl: true,
    });
  });

  it('a PG_URL sslmode contradicting PG_SSL is a configuration error naming both (exit 2)', async () => {
    const r = await runCli(['health', '--no-processes'], { PG_URL: url('warehouse', '127.0.0.1', '?sslmode=disable'), PG_SSL: 'verify-full' });
    expect(r.code).toBe(2);
    expect(r.err).toContain('PG_SSL=verify-full contradicts sslmode=disable in PG_URL');
  });

  describe('tools through the same settings (mTLS database)', () => {
    let emu: EmulatorHandle;
    const schema = randomName('pgtls');
    const ks = randomName('pgtlsks');
    let env: Record<string, string>;

    beforeAll(async () => {
      // ScyllaDB over TLS too: reconcile reads it through the same client options as the source.
      emu = await startEmulator({ seed: 3, tls: { cert: certs.read(certs.serverCert), key: certs.read(certs.serverKey) } });
      const scyllaSettings = { scyllaContactPoints: [{ host: emu.host, port: emu.port }], scyllaLocalDc: 'datacenter1', scyllaSsl: true, scyllaSslCa: certs.ca };
      const scylla = new cassandra.Client(scyllaConnectionOptions(scyllaSettings));
      await scylla.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
      await scylla.execute(`CREATE TABLE ${ks}.items (id int PRIMARY KEY, name text) WITH cdc = {'enabled': true}`);
      for (let i = 0; i < 5; i++) await scylla.execute(`INSERT INTO ${ks}.items (id, name) VALUES (?, ?)`, [i, `n${i}`], { prepare: true });
      await scylla.shutdown();
      env = {
        PG_URL: url('mtls'),
        PG_SSL: 'verify-full',
        PG_SSL_CA: certs.ca,
        PG_SSL_CERT: certs.clientCert,
        PG_SSL_KEY_FILE: certs.clientKey,
        PG_SCHEMA: schema,
        SCYLLA_CONTACT_POINTS: emu.contactPoint,
        SCYLLA_CONSISTENCY: 'ONE',
        SCYLLA_SSL: 'true',
        SCYLLA_SSL_CA: certs.ca,
        KAFKA_BROKERS: KAFKA_BROKERS.join(','),
        SCHEMA_REGISTRY_URL,
        SOURCE_NAME: randomName('pgtls'),
        SINK_GROUP_ID: randomName('pgtls'),
        SOURCE_STATUS_URL: 'http://127.0.0.1:1',
        SINK_STATUS_URL: 'http://127.0.0.1:1',
      };
    });

    afterAll(async () => {
      await emu?.close();
    });

    it('health', async () => {
      const r = await runCli(['health', '--json', '--no-processes'], env);
      expect((JSON.parse(r.out) as { name: string; ok: boolean }[]).find((p) => p.name === 'postgres')).toMatchObject({ ok: true });
      const bad = await runCli(['health', '--json', '--no-processes'], { ...env, PG_SSL_CA: certs.otherCa });
      const pgProbe = (JSON.parse(bad.out) as { name: string; ok: boolean; detail: string }[]).find((p) => p.name === 'postgres');
      expect(pgProbe?.ok).toBe(false);
      expect(pgProbe?.detail).toMatch(/certificate/i);
    });

    it('reconcile (repair, then a clean dry run; ScyllaDB over TLS as well) and reconcile status read and write the runs table', async () => {
      const repair = await runCli(['reconcile', '--table', `${ks}.items`, '--repair', '--ranges', '4'], env);
      expect(repair.err).toBe('');
      expect(repair.code).toBe(0);
      const dry = await runCli(['reconcile', '--table', `${ks}.items`, '--dry-run', '--ranges', '4'], env);
      expect(dry.out).toMatch(/5 in ScyllaDB, 5 in PostgreSQL; missing 0, extra 0, mismatched 0; accuracy 100\.000%/);
      expect(dry.code).toBe(0);
      const status = await runCli(['reconcile', 'status', '--json'], env);
      expect((JSON.parse(status.out) as unknown[]).length).toBe(2);
      expect(cluster.psql(`SELECT count(*) FROM "${schema}".items`, 'mtls').trim()).toBe('5');
    });

    it('offsets export', async () => {
      const file = join(out, 'offsets.json');
      const r = await runCli(['offsets', 'export', file], env);
      expect(r.code).toBe(0);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ format: 'scylla-pg-cdc-offsets', sink: { schema } });
    });
  });
});
