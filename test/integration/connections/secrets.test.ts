/**
 * Secrets in every form a user gives them (URL user info, `?password=`, `_FILE` contents, basic
 * auth) never appear in anything a run prints: a sink's logs, /status and /metrics, and the
 * output of health, status, dlq, --help and configuration errors.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../../helpers/cli.js';
import { freePort } from '../../helpers/pg-cluster.js';
import { KAFKA_BROKERS, randomName } from '../../helpers/stack-env.js';
import { createTopicsAndWait } from '../../../src/clients/create-topics.js';

const SECRETS = {
  pgUserInfo: 'PgUrlPass-5b1x',
  pgQuery: 'PgQueryPass-8k2y',
  registryUserInfo: 'RegUrlPass-3c9q',
  registryFile: 'RegFilePass-7d4w',
  saslFile: 'SaslFilePass-2m6v',
  scyllaFile: 'ScyllaFilePass-9z1r',
};
/** What a leaked Authorization header would show. */
const BASIC = [Buffer.from(`reguser:${SECRETS.registryUserInfo}`).toString('base64'), Buffer.from(`reguser:${SECRETS.registryFile}`).toString('base64')];

const dir = mkdtempSync(join(tmpdir(), 'cdc-secrets-'));
const file = (name: string, content: string) => {
  const p = join(dir, name);
  writeFileSync(p, `${content}\n`);
  return p;
};
const outputs: { what: string; text: string }[] = [];
const record = (what: string, text: string) => outputs.push({ what, text });

const topic = randomName('secrets_topic');
const PG_URL = `postgres://postgres:${SECRETS.pgUserInfo}@127.0.0.1:5432/warehouse`;
const REGISTRY_URL = `http://reguser:${SECRETS.registryUserInfo}@127.0.0.1:8081/apis/ccompat/v7`;
const common = {
  PG_URL,
  SCHEMA_REGISTRY_URL: REGISTRY_URL,
  KAFKA_BROKERS: KAFKA_BROKERS.join(','),
  SCYLLA_USERNAME: 'scyllauser',
  SCYLLA_PASSWORD_FILE: file('scylla-pass', SECRETS.scyllaFile),
  PG_SCHEMA: randomName('secrets'),
  SINK_GROUP_ID: randomName('secrets'),
  DLQ_TOPIC: randomName('secrets_dlq'),
};

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  const kafka = new Kafka({ clientId: 'secrets-test', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsAndWait(admin, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
  await admin.disconnect();

  // A sink run: logs at debug, /status and /metrics read while it handles a record whose schema id
  // the registry does not know (a registry call, an error path, a dead letter).
  const port = await freePort();
  const {
    child: sink,
    log: sinkLog,
    exited,
  } = spawnCli(['sink'], { ...common, SINK_TOPICS: topic, METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1', LOG_LEVEL: 'debug', SHUTDOWN_TIMEOUT_MS: '10000' });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor('the sink to be ready', async () => ((await fetch(`${base}/readyz`)).ok ? true : undefined), 90_000);
    const producer = kafka.producer();
    await producer.connect();
    const unknownSchema = Buffer.concat([Buffer.from([0]), Buffer.from([0x7f, 0xff, 0xff, 0xf0]), Buffer.from('not avro')]);
    await producer.send({ topic, messages: [{ key: unknownSchema, value: unknownSchema }] });
    await producer.disconnect();
    await waitFor('the record to be handled', async () => {
      const status = (await (await fetch(`${base}/status`)).json()) as { dlq?: Record<string, number> };
      return Object.keys(status.dlq ?? {}).length > 0 ? true : undefined;
    }).catch(() => undefined); // how it is classified is not this test's concern; the output is
    record('GET /status', await (await fetch(`${base}/status`)).text());
    record('GET /metrics', await (await fetch(`${base}/metrics`)).text());
    const status = await runCli(['status', '--json'], { ...common, SINK_STATUS_URL: base, SOURCE_STATUS_URL: 'http://127.0.0.1:1' });
    record('status', status.out + status.err);
  } finally {
    sink.kill('SIGTERM');
    await exited;
    record('sink log', sinkLog());
  }
}, 240_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('secrets', () => {
  it('stay out of the sink log, /status, /metrics and status (recorded above)', () => {
    const sinkLog = outputs.find((o) => o.what === 'sink log')!.text;
    expect(sinkLog).toMatch(/starting sink/);
    expect(outputs.find((o) => o.what === 'GET /status')!.text).toMatch(/"component": "sink"/);
  });

  it('stay out of health, dlq and --help', async () => {
    const tools = {
      ...common,
      KAFKA_SASL_MECHANISM: 'PLAIN',
      KAFKA_SASL_USERNAME: 'sasluser',
      KAFKA_SASL_PASSWORD_FILE: file('sasl-pass', SECRETS.saslFile),
      SOURCE_STATUS_URL: 'http://127.0.0.1:1',
      SINK_STATUS_URL: 'http://127.0.0.1:1',
    };
    const health = await runCli(['health', '--json'], { ...tools, PG_URL: `postgres://postgres:${SECRETS.pgUserInfo}@127.0.0.1:1/warehouse?password=${SECRETS.pgQuery}` });
    expect(health.code).toBe(1);
    record('health (SASL against a plaintext broker, PostgreSQL down)', health.out + health.err);
    const health2 = await runCli(['health'], {
      ...common,
      SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
      SCHEMA_REGISTRY_USERNAME: 'reguser',
      SCHEMA_REGISTRY_PASSWORD_FILE: file('reg-pass', SECRETS.registryFile),
      SOURCE_STATUS_URL: 'http://127.0.0.1:1',
      SINK_STATUS_URL: 'http://127.0.0.1:1',
    });
    expect(health2.out).toMatch(/registry/);
    record('health (registry password from a file)', health2.out + health2.err);
    const dlq = await runCli(['dlq', 'list'], common);
    record('dlq list', dlq.out + dlq.err);
    for (const cmd of ['sink', 'source', 'health', 'reconcile']) {
      const help = await runCli([cmd, '--help'], tools);
      expect(help.out).toMatch(/PG_URL|SCYLLA_TABLES/);
      record(`${cmd} --help`, help.out + help.err);
    }
  });

  it('stay out of configuration errors', async () => {
    const bad = await runCli(['health'], {
      PG_URL: `postgres://postgres:${SECRETS.pgUserInfo}@[bad/warehouse?password=${SECRETS.pgQuery}`,
      SCHEMA_REGISTRY_URL: `ftp://reguser:${SECRETS.registryUserInfo}@registry/x`,
      KAFKA_SASL_PASSWORD: SECRETS.saslFile,
      KAFKA_SASL_PASSWORD_FILE: file('sasl-pass-2', SECRETS.saslFile),
    });
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/SCHEMA_REGISTRY_URL/);
    expect(bad.err).toMatch(/PG_URL/);
    record('configuration error', bad.out + bad.err);
  });

  it('appear nowhere in anything recorded', () => {
    expect(outputs.length).toBeGreaterThanOrEqual(10);
    const leaks: string[] = [];
    for (const { what, text } of outputs) {
      for (const [name, secret] of Object.entries(SECRETS)) if (text.includes(secret)) leaks.push(`${what}: ${name}`);
      for (const b of BASIC) if (text.includes(b)) leaks.push(`${what}: basic auth header`);
    }
    expect(leaks).toEqual([]);
  });
});
