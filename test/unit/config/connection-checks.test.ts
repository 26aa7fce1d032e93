import { describe, expect, it } from 'vitest';
import { loadSinkConfig } from '../../../src/config/sink-config.js';
import { loadToolsConfig } from '../../../src/config/tools-config.js';
import { loadSourceConfig } from '../../../src/config/source-config.js';
import { ConfigError } from '../../../src/config/spec.js';
import { resolvePgSettings } from '../../../src/config/connection-checks.js';

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('connection settings', () => {
  it('an sslmode in PG_URL that contradicts PG_SSL names both variables', () => {
    const p = problems(() => loadSinkConfig({ PG_URL: 'postgres://u@db/w?sslmode=disable', PG_SSL: 'verify-full' }));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/PG_SSL=verify-full contradicts sslmode=disable in PG_URL/);
  });

  it('PG_URL sslmode applies when PG_SSL is unset, and is taken out of the connection string', () => {
    const r = resolvePgSettings({ pgUrl: 'postgres://u@db/w?sslmode=verify-ca&sslrootcert=/ca.pem&application_name=a' });
    expect(r.settings).toEqual({ connectionString: 'postgres://u@db/w?application_name=a', sslMode: 'verify-ca', ca: '/ca.pem', cert: undefined, key: undefined });
    expect(resolvePgSettings({ pgUrl: 'postgres://u@db/w' }).settings?.sslMode).toBe('disable');
    expect(resolvePgSettings({ pgUrl: 'postgres://u@db/w?sslmode=prefer' }).problems[0]).toMatch(/sslmode=prefer is not supported/);
    expect(resolvePgSettings({ pgUrl: 'postgres://u@db/w?sslrootcert=/a', pgSsl: 'verify-full', pgSslCa: '/b' }).problems[0]).toMatch(
      /PG_SSL_CA contradicts sslrootcert in PG_URL/,
    );
  });

  it('TLS files without TLS, a certificate without its key, require with a CA are errors', () => {
    expect(problems(() => loadSinkConfig({ PG_SSL_CA: '/ca' }))[0]).toMatch(/PG_SSL is disable/);
    expect(problems(() => loadSinkConfig({ PG_SSL: 'require', PG_SSL_CA: '/ca' }))[0]).toMatch(/use verify-ca or verify-full/);
    expect(problems(() => loadSinkConfig({ PG_SSL: 'verify-full', PG_SSL_CERT: '/c' }))[0]).toMatch(/PG_SSL_KEY is required when PG_SSL_CERT is set/);
    expect(problems(() => loadToolsConfig({ SCYLLA_SSL_CA: '/ca' }))[0]).toMatch(/SCYLLA_SSL_CA is set but SCYLLA_SSL is false/);
    expect(problems(() => loadToolsConfig({ KAFKA_SSL_KEY: '/k', KAFKA_SSL_CERT: '/c' }))[0]).toMatch(/KAFKA_SSL_CERT, KAFKA_SSL_KEY are set but KAFKA_SSL is false/);
    expect(problems(() => loadToolsConfig({ SCHEMA_REGISTRY_SSL_CA: '/ca' }))[0]).toMatch(/SCHEMA_REGISTRY_URL is http:/);
  });

  it('SASL mechanism names are case-insensitive; a mechanism needs a username', () => {
    expect(loadSinkConfig({ KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SASL_USERNAME: 'u' }).kafkaSaslMechanism).toBe('plain');
    expect(loadSinkConfig({ KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'u' }).kafkaSaslMechanism).toBe('scram-sha-512');
    expect(problems(() => loadSinkConfig({ KAFKA_SASL_MECHANISM: 'Scram-Sha-256' }))).toEqual(['KAFKA_SASL_USERNAME is required when KAFKA_SASL_MECHANISM is set (scram-sha-256)']);
  });

  it('registry credentials in the URL and in SCHEMA_REGISTRY_USERNAME contradict each other', () => {
    const p = problems(() => loadSinkConfig({ SCHEMA_REGISTRY_URL: 'https://a:b@reg/x', SCHEMA_REGISTRY_USERNAME: 'c' }));
    expect(p[0]).toMatch(/SCHEMA_REGISTRY_USERNAME contradicts the user in SCHEMA_REGISTRY_URL/);
  });

  it('topics the source creates take the broker default replication unless KAFKA_TOPIC_REPLICATION is set', () => {
    expect(loadSourceConfig({ SCYLLA_TABLES: 'ks.t' }).kafkaTopicReplication).toBeUndefined();
    expect(loadSourceConfig({ SCYLLA_TABLES: 'ks.t', KAFKA_TOPIC_REPLICATION: '3' }).kafkaTopicReplication).toBe(3);
  });
});
