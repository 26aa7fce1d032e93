/**
 * The schema registry over HTTPS with basic auth (and client certificates), through a TLS proxy in
 * front of the real registry: the one registry connection (RegistryHttp) registers, the sink's
 * fetcher and the dlq's library client read by id, health probes it; a wrong CA or missing
 * credentials are refused with clear errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryHttp, type RegistrySettings } from '../../../src/clients/registry.js';
import { SchemaFetcher } from '../../../src/sink/schema-fetcher.js';
import { runCli } from '../../helpers/cli.js';
import { startAuthProxy, type AuthProxy } from '../../helpers/https-auth-proxy.js';
import { PG_URL, randomName } from '../../helpers/stack-env.js';
import { makeTestCerts, type TestCerts } from '../../helpers/tls-certs.js';

const UPSTREAM = 'http://127.0.0.1:8081';
const AUTH = { username: 'registry-user', password: 'Registry-Pass-8q2e' };
let certs: TestCerts;
let proxy: AuthProxy;
let mtlsProxy: AuthProxy;

beforeAll(async () => {
  certs = makeTestCerts();
  const tls = { cert: certs.read(certs.serverCert), key: certs.read(certs.serverKey) };
  proxy = await startAuthProxy({ ...tls, ...AUTH, upstream: UPSTREAM });
  mtlsProxy = await startAuthProxy({ ...tls, ca: certs.read(certs.ca), ...AUTH, upstream: UPSTREAM });
});

afterAll(async () => {
  await Promise.all([proxy?.close(), mtlsProxy?.close()]);
  certs?.remove();
});

const settings = (base: string, extra: Partial<RegistrySettings> = {}): RegistrySettings => ({
  schemaRegistryUrl: `${base}/apis/ccompat/v7`,
  schemaRegistryUsername: AUTH.username,
  schemaRegistryPassword: AUTH.password,
  schemaRegistrySslCa: certs.ca,
  ...extra,
});

describe('schema registry over HTTPS with basic auth', () => {
  it('registers, fetches by id (sink fetcher) and decodes (library client) through one connection', async () => {
    const registry = new RegistryHttp(settings(proxy.url));
    const subject = `${randomName('tls')}-value`;
    const schema = { type: 'record', name: 'TlsRow', fields: [{ name: 'id', type: 'int' }] };
    const res = await registry.fetch(`/subjects/${subject}/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema: JSON.stringify(schema) }),
    });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: number };
    expect(JSON.parse((await new SchemaFetcher(registry).get(id)) ?? 'null')).toMatchObject({ name: 'TlsRow' });
    const lib = registry.libraryClient();
    const encoded = await lib.encode(id, { id: 7 });
    expect(await lib.decode(encoded)).toEqual({ id: 7 });
    registry.close();
  });

  it('takes the credentials from the URL user info as well', async () => {
    const u = new URL(`${proxy.url}/apis/ccompat/v7`);
    u.username = AUTH.username;
    u.password = AUTH.password;
    const registry = new RegistryHttp({ schemaRegistryUrl: u.toString(), schemaRegistrySslCa: certs.ca });
    expect(registry.base).not.toContain(AUTH.password);
    expect((await registry.fetch('/subjects')).status).toBe(200);
    registry.close();
  });

  it('refuses a wrong or missing CA before any request reaches the server', async () => {
    const before = proxy.requests;
    await expect(new RegistryHttp(settings(proxy.url, { schemaRegistrySslCa: certs.otherCa })).fetch('/subjects')).rejects.toThrow(/certificate/i);
    await expect(new RegistryHttp(settings(proxy.url, { schemaRegistrySslCa: undefined })).fetch('/subjects')).rejects.toThrow(/certificate/i);
    expect(proxy.requests).toBe(before);
  });

  it('presents the client certificate where the server requires one (mTLS)', async () => {
    await expect(new RegistryHttp(settings(mtlsProxy.url)).fetch('/subjects')).rejects.toThrow();
    const withCert = new RegistryHttp(settings(mtlsProxy.url, { schemaRegistrySslCert: certs.clientCert, schemaRegistrySslKey: certs.clientKey }));
    expect((await withCert.fetch('/subjects')).status).toBe(200);
    withCert.close();
  });

  it('health probes the registry through the same settings; missing credentials are a clear failure', async () => {
    const env = {
      SCHEMA_REGISTRY_URL: `${mtlsProxy.url}/apis/ccompat/v7`,
      SCHEMA_REGISTRY_USERNAME: AUTH.username,
      SCHEMA_REGISTRY_PASSWORD: AUTH.password,
      SCHEMA_REGISTRY_SSL_CA: certs.ca,
      SCHEMA_REGISTRY_SSL_CERT: certs.clientCert,
      SCHEMA_REGISTRY_SSL_KEY_FILE: certs.clientKey,
      PG_URL,
    };
    const ok = await runCli(['health', '--json', '--no-processes'], env);
    expect((JSON.parse(ok.out) as { name: string; ok: boolean }[]).find((p) => p.name === 'registry')).toMatchObject({ ok: true });
    const { SCHEMA_REGISTRY_USERNAME: _u, SCHEMA_REGISTRY_PASSWORD: _p, ...noAuth } = env;
    const denied = await runCli(['health', '--json', '--no-processes'], noAuth);
    expect((JSON.parse(denied.out) as { name: string; ok: boolean; detail: string }[]).find((p) => p.name === 'registry')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^HTTP 401: credentials refused/),
    });
    for (const r of [ok, denied]) expect(r.out + r.err).not.toContain(AUTH.password);
  });
});
