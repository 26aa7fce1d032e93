/**
 * ScyllaDB over TLS (the emulator serving TLS with certificates made here): the server is verified
 * by default, a wrong or missing CA fails before any CQL byte is sent, the host name is checked,
 * mTLS works, and `health` uses the same settings.
 */
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scyllaConnectionOptions, type ScyllaConnectionSettings } from '../../../src/clients/scylla.js';
import { createScyllaClient } from '../../../src/source/scylla-session.js';
import { runCli } from '../../helpers/cli.js';
import { PG_URL, SCHEMA_REGISTRY_URL } from '../../helpers/stack-env.js';
import { makeTestCerts, type TestCerts } from '../../helpers/tls-certs.js';
import { startEmulator, type EmulatorHandle } from '../../support/scylla-emulator/index.js';

let certs: TestCerts;
let tlsEmu: EmulatorHandle;
let dnsEmu: EmulatorHandle;
let mtlsEmu: EmulatorHandle;

beforeAll(async () => {
  certs = makeTestCerts();
  tlsEmu = await startEmulator({ tls: { cert: certs.read(certs.serverCert), key: certs.read(certs.serverKey) } });
  dnsEmu = await startEmulator({ tls: { cert: certs.read(certs.dnsOnlyCert), key: certs.read(certs.dnsOnlyKey) } });
  mtlsEmu = await startEmulator({
    tls: { cert: certs.read(certs.serverCert), key: certs.read(certs.serverKey), ca: certs.read(certs.ca), requestCert: true, rejectUnauthorized: true },
  });
});

afterAll(async () => {
  await Promise.all([tlsEmu?.close(), dnsEmu?.close(), mtlsEmu?.close()]);
  certs?.remove();
});

function settings(emu: EmulatorHandle, extra: Partial<ScyllaConnectionSettings>): ScyllaConnectionSettings {
  return { scyllaContactPoints: [{ host: emu.host, port: emu.port }], scyllaLocalDc: 'datacenter1', scyllaSsl: true, ...extra };
}

/** Connects with the project's options and reads system.local; resolves to the error if any. */
async function tryConnect(s: ScyllaConnectionSettings): Promise<Error | undefined> {
  const client = new cassandra.Client({
    ...scyllaConnectionOptions(s),
    protocolOptions: { maxVersion: 4 },
    socketOptions: { connectTimeout: 5000 },
    pooling: { heartBeatInterval: 0 },
  });
  try {
    await client.connect();
    const rs = await client.execute('SELECT release_version FROM system.local');
    expect(rs.first()?.get('release_version')).toBeTruthy();
    return undefined;
  } catch (err) {
    return err as Error;
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

const innerMessages = (err: Error | undefined) =>
  JSON.stringify(Object.values((err as { innerErrors?: Record<string, Error> } | undefined)?.innerErrors ?? {}).map((e) => `${(e as { code?: string }).code ?? ''} ${e.message}`));

describe('ScyllaDB TLS', () => {
  it('connects when SCYLLA_SSL_CA vouches for the server', async () => {
    expect(await tryConnect(settings(tlsEmu, { scyllaSslCa: certs.ca }))).toBeUndefined();
    expect(tlsEmu.traffic().frames).toBeGreaterThan(0);
  });

  it('refuses a server its CA does not vouch for, before sending any CQL', async () => {
    const before = tlsEmu.traffic().frames;
    const wrongCa = await tryConnect(settings(tlsEmu, { scyllaSslCa: certs.otherCa }));
    expect(wrongCa).toBeInstanceOf(Error);
    expect(innerMessages(wrongCa)).toMatch(/certificate/i);
    const noCa = await tryConnect(settings(tlsEmu, {}));
    expect(innerMessages(noCa)).toMatch(/certificate/i);
    expect(tlsEmu.traffic().frames).toBe(before);
  });

  it('sends the password only to a verified server', async () => {
    const auth = { username: 'cdc', password: 'Scylla-Pass-4h8k' };
    const authEmu = await startEmulator({ auth, tls: { cert: certs.read(certs.serverCert), key: certs.read(certs.serverKey) } });
    try {
      const creds = { scyllaUsername: auth.username, scyllaPassword: auth.password };
      expect(await tryConnect(settings(authEmu, { ...creds, scyllaSslCa: certs.otherCa }))).toBeInstanceOf(Error);
      expect(authEmu.traffic().credentials).toEqual([]);
      expect(await tryConnect(settings(authEmu, { ...creds, scyllaSslCa: certs.ca }))).toBeUndefined();
      expect(authEmu.traffic().credentials[0]).toEqual(auth);
      const wrong = await tryConnect(settings(authEmu, { ...creds, scyllaPassword: 'wrong-password', scyllaSslCa: certs.ca }));
      expect(innerMessages(wrong)).toMatch(/username and\/or password are incorrect/);
    } finally {
      await authEmu.close();
    }
  });

  it('checks the host name: the node address by default, SCYLLA_SSL_SERVERNAME when set', async () => {
    const byAddress = await tryConnect(settings(dnsEmu, { scyllaSslCa: certs.ca }));
    expect(innerMessages(byAddress)).toMatch(/IP: 127\.0\.0\.1 is not in the cert's list|ERR_TLS_CERT_ALTNAME_INVALID/);
    expect(await tryConnect(settings(dnsEmu, { scyllaSslCa: certs.ca, scyllaSslServername: 'other.cdc.test' }))).toBeInstanceOf(Error);
    expect(dnsEmu.traffic().frames).toBe(0);
    expect(await tryConnect(settings(dnsEmu, { scyllaSslCa: certs.ca, scyllaSslServername: certs.dnsName }))).toBeUndefined();
  });

  it('presents the client certificate when the server asks for one (mTLS)', async () => {
    const without = await tryConnect(settings(mtlsEmu, { scyllaSslCa: certs.ca }));
    expect(without).toBeInstanceOf(Error);
    expect(mtlsEmu.traffic().frames).toBe(0);
    expect(await tryConnect(settings(mtlsEmu, { scyllaSslCa: certs.ca, scyllaSslCert: certs.clientCert, scyllaSslKey: certs.clientKey }))).toBeUndefined();
    // the key given as PEM text (what SCYLLA_SSL_KEY_FILE delivers) works the same
    expect(await tryConnect(settings(mtlsEmu, { scyllaSslCa: certs.ca, scyllaSslCert: certs.clientCert, scyllaSslKey: certs.read(certs.clientKey) }))).toBeUndefined();
  });

  it("the source's client (createScyllaClient) goes through the same options", async () => {
    const base = {
      ...settings(mtlsEmu, { scyllaSslCa: certs.ca, scyllaSslCert: certs.clientCert, scyllaSslKey: certs.clientKey }),
      scyllaConsistency: 'ONE' as const,
      scyllaRequestTimeoutMs: 5000,
    };
    const { client } = createScyllaClient(base);
    try {
      await client.connect();
      expect((await client.execute('SELECT data_center FROM system.local')).first()?.get('data_center')).toBe('datacenter1');
    } finally {
      await client.shutdown();
    }
    const { client: refused } = createScyllaClient({ ...base, scyllaSslCa: certs.otherCa });
    await expect(refused.connect()).rejects.toThrow();
    await refused.shutdown();
  });

  it('health probes ScyllaDB through the same TLS settings', async () => {
    const base = { SCHEMA_REGISTRY_URL, PG_URL, SCYLLA_CONTACT_POINTS: mtlsEmu.contactPoint, SCYLLA_SSL: 'true', SCYLLA_SSL_CA: certs.ca };
    const ok = await runCli(['health', '--json', '--no-processes'], { ...base, SCYLLA_SSL_CERT: certs.clientCert, SCYLLA_SSL_KEY_FILE: certs.clientKey });
    const okScylla = (JSON.parse(ok.out) as { name: string; ok: boolean; detail: string }[]).find((r) => r.name === 'scylla');
    expect(okScylla).toMatchObject({ ok: true });
    const bad = await runCli(['health', '--json', '--no-processes'], {
      ...base,
      SCYLLA_SSL_CA: certs.otherCa,
      SCYLLA_SSL_CERT: certs.clientCert,
      SCYLLA_SSL_KEY_FILE: certs.clientKey,
    });
    const badScylla = (JSON.parse(bad.out) as { name: string; ok: boolean; detail: string }[]).find((r) => r.name === 'scylla');
    expect(badScylla?.ok).toBe(false);
    expect(badScylla?.detail).toMatch(/TLS: the server's certificate is not trusted/);
    expect(bad.code).toBe(1);
    expect(bad.out + bad.err).not.toContain('BEGIN');
  });

  it('a CA file that cannot be read is a configuration error naming the variable (exit 2)', async () => {
    const r = await runCli(['health', '--no-processes'], { SCYLLA_SSL: 'true', SCYLLA_SSL_CA: '/nonexistent/ca.pem', SCHEMA_REGISTRY_URL, PG_URL });
    expect(r.code).toBe(2);
    expect(r.err).toContain('SCYLLA_SSL_CA: cannot read /nonexistent/ca.pem');
  });
});
