/**
 * Kafka over TLS against a private broker started here: a SASL_SSL listener with SCRAM-SHA-256
 * and an SSL listener requiring client certificates (certificates made with openssl). The broker
 * is verified, a wrong or missing CA and a wrong password are refused with clear errors, mTLS works,
 * and health, dlq and offsets connect through the same settings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../../src/clients/kafka.js';
import { readSecretFile } from '../../../src/config/read-secret-file.js';
import { loadToolsConfig } from '../../../src/config/tools-config.js';
import { createLogger } from '../../../src/log/logger.js';
import { runCli } from '../../helpers/cli.js';
import { startTlsBroker, type TlsBroker } from '../../helpers/kafka-broker.js';
import { PG_URL, randomName, SCHEMA_REGISTRY_URL } from '../../helpers/stack-env.js';
import { makeTestCerts, type TestCerts } from '../../helpers/tls-certs.js';
import { createTopicsAndWait } from '../../../src/clients/create-topics.js';

const USER = { name: 'cdcuser', password: 'Scram-Pass-6t3u' };
let certs: TestCerts;
let broker: TlsBroker;
const quiet = createLogger('kafka-tls-test', 'silent');

function kafkaFor(env: Record<string, string>) {
  return createKafka(loadToolsConfig(env, readSecretFile), quiet, '-tls-test', { retries: 0, connectionTimeoutMs: 5000 });
}

const sasl = () => ({
  KAFKA_BROKERS: broker.saslSsl,
  KAFKA_SSL: 'true',
  KAFKA_SSL_CA: certs.ca,
  KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
  KAFKA_SASL_USERNAME: USER.name,
  KAFKA_SASL_PASSWORD: USER.password,
});
const mtls = () => ({ KAFKA_BROKERS: broker.mtls, KAFKA_SSL: 'true', KAFKA_SSL_CA: certs.ca, KAFKA_SSL_CERT: certs.clientCert, KAFKA_SSL_KEY: certs.clientKey });

/** describeCluster through the project's factory; resolves to the error if any. */
async function tryAdmin(env: Record<string, string>): Promise<Error | undefined> {
  const admin = kafkaFor(env).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return undefined;
  } catch (err) {
    return err as Error;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

const describeErr = (err: Error | undefined) => `${err?.name}: ${err?.message} ${String((err as { cause?: Error } | undefined)?.cause?.message ?? '')}`;

beforeAll(async () => {
  certs = makeTestCerts();
  broker = await startTlsBroker({ cert: certs.serverCert, key: certs.serverKey, ca: certs.ca, scramUsers: [USER] });
  const until = Date.now() + 180_000;
  let last: Error | undefined;
  while (Date.now() < until) {
    last = await tryAdmin(sasl());
    if (!last) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`private broker not ready: ${describeErr(last)}\n${broker.log().slice(-3000)}`);
}, 240_000);

afterAll(async () => {
  await broker?.stop();
  certs?.remove();
});

describe('Kafka TLS + SASL/SCRAM', () => {
  it('connects with the right CA and SCRAM credentials (mechanism in any case), and carries records', async () => {
    const kafka = kafkaFor(sasl());
    const topic = randomName('tls_topic');
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsAndWait(admin, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'over TLS' }] });
    await producer.disconnect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    expect(offsets[0]?.high).toBe('1');
  });

  it('refuses a broker its CA does not vouch for, and one without a CA', async () => {
    expect(describeErr(await tryAdmin({ ...sasl(), KAFKA_SSL_CA: certs.otherCa }))).toMatch(/certificate/i);
    const { KAFKA_SSL_CA: _ca, ...noCa } = sasl();
    expect(describeErr(await tryAdmin(noCa))).toMatch(/certificate/i);
  });

  it('refuses a wrong SCRAM password with an authentication error', async () => {
    expect(describeErr(await tryAdmin({ ...sasl(), KAFKA_SASL_PASSWORD: 'not-the-password' }))).toMatch(/SASL|authentication/i);
  });

  it('presents the client certificate where the listener requires one (mTLS)', async () => {
    const { KAFKA_SSL_CERT: _c, KAFKA_SSL_KEY: _k, ...noCert } = mtls();
    expect(await tryAdmin(noCert)).toBeInstanceOf(Error);
    expect(await tryAdmin(mtls())).toBeUndefined();
  });

  it('health, dlq and offsets work through the same settings', async () => {
    const env = {
      ...sasl(),
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      PG_URL,
      SCHEMA_REGISTRY_URL,
      PG_SCHEMA: randomName('kafkatls'),
      SOURCE_NAME: randomName('kafkatls'),
      SINK_GROUP_ID: randomName('kafkatls'),
      DLQ_TOPIC: randomName('kafkatls_dlq'),
      SOURCE_STATUS_URL: 'http://127.0.0.1:1',
      SINK_STATUS_URL: 'http://127.0.0.1:1',
    };
    const health = await runCli(['health', '--json', '--no-processes'], env);
    expect((JSON.parse(health.out) as { name: string; ok: boolean }[]).find((p) => p.name === 'kafka')).toMatchObject({ ok: true });
    const admin = kafkaFor(env).admin();
    await admin.connect();
    await createTopicsAndWait(admin, [{ topic: env.DLQ_TOPIC, numPartitions: 1, replicationFactor: 1 }]);
    await admin.disconnect();
    const dlq = await runCli(['dlq', 'list'], env);
    expect(dlq.out).toContain(`0 record(s) in ${env.DLQ_TOPIC}`);
    expect(dlq.code).toBe(0);
    const offsets = await runCli(['offsets', 'export', '/dev/null'], env);
    expect(offsets.err).not.toMatch(/error/i);
    expect(offsets.code).toBe(0);
    const bad = await runCli(['health', '--json', '--no-processes'], { ...env, KAFKA_SSL_CA: certs.otherCa });
    expect((JSON.parse(bad.out) as { name: string; ok: boolean }[]).find((p) => p.name === 'kafka')).toMatchObject({ ok: false });
    for (const out of [health, dlq, offsets, bad]) expect(out.out + out.err).not.toContain(USER.password);
  });
});
