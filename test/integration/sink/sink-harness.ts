/** Shared set-up for the sink integration tests: topics, schemas, producing, running a sink, polling PG. */
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import pg from 'pg';
import { loadSinkConfig } from '../../../src/config/sink-config.js';
import { createLogger } from '../../../src/log/logger.js';
import { createSinkProcess, type SinkProcessHooks } from '../../../src/sink/main.js';
import { KAFKA_BROKERS, PG_URL, SCHEMA_REGISTRY_URL, randomName } from '../../helpers/stack-env.js';
import { avroType, envelope, frame, keyObject, keySchema, valueSchema, type ChangeSpec, type TableSpec } from '../../fixtures/sink/envelope.js';
import { createTopicsAndWait } from '../../../src/clients/create-topics.js';

export const kafka = new Kafka({ clientId: 'sink-test', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });
export const schemaRegistry = new SchemaRegistry({ host: SCHEMA_REGISTRY_URL });

export async function createTopic(topic: string, partitions = 1): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopicsAndWait(admin, [{ topic, numPartitions: partitions }]);
  } finally {
    await admin.disconnect();
  }
}

export async function register(subject: string, schema: unknown): Promise<number> {
  const { id } = await schemaRegistry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
  return id;
}

export interface TopicFixture {
  topic: string;
  spec: TableSpec;
  keyId: number;
  valueId: number;
  encodeKey(key: Record<string, unknown>): Buffer;
  encode(c: ChangeSpec): { key: Buffer; value: Buffer };
}

/** A topic with registered schemas; with `keyspace`, the topic is `cdc.sinktest.<keyspace>.<table>` (the connector's naming). */
export async function topicFixture(spec: Omit<TableSpec, 'table' | 'keyspace'> & { table?: string; keyspace?: string }, partitions = 1): Promise<TopicFixture> {
  const table = spec.table ?? randomName('t');
  const full: TableSpec = {
    keyspace: spec.keyspace ?? 'ks',
    table,
    key: spec.key,
    columns: spec.columns,
    ...(spec.partitionKey !== undefined ? { partitionKey: spec.partitionKey } : {}),
    ...(spec.descending !== undefined ? { descending: spec.descending } : {}),
  };
  const topic = spec.keyspace ? `cdc.sinktest.${spec.keyspace}.${table}` : `cdc.sinktest.${table}`;
  await createTopic(topic, partitions);
  const ks = keySchema(full);
  const vs = valueSchema(full);
  const keyId = await register(`${topic}-key`, ks);
  const valueId = await register(`${topic}-value`, vs);
  const kt = avroType(ks);
  const vt = avroType(vs);
  return {
    topic,
    spec: full,
    keyId,
    valueId,
    encodeKey: (key) => frame(keyId, kt, keyObject(full, key)),
    encode: (c) => ({ key: frame(keyId, kt, keyObject(full, c.key)), value: frame(valueId, vt, envelope(full, c)) }),
  };
}

/** A clustered table with a static column: partition key pk, clustering key ck, static st, regular v. */
export function staticTableFixture(): Promise<TopicFixture> {
  return topicFixture({
    key: [
      { name: 'pk', type: 'string' },
      { name: 'ck', type: 'int' },
    ],
    columns: [
      { name: 'st', type: 'string' },
      { name: 'v', type: 'string' },
    ],
  });
}

let producer: Producer | undefined;
export async function produce(topic: string, messages: { key: Buffer | null; value: Buffer | null; partition?: number; headers?: Record<string, string> }[]): Promise<void> {
  if (!producer) {
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  }
  const chunk = messages.length > 5000 ? 5000 : 500;
  for (let i = 0; i < messages.length; i += chunk) {
    await producer.send({
      topic,
      acks: -1,
      messages: messages.slice(i, i + chunk).map((m) => ({ key: m.key, value: m.value, partition: m.partition ?? 0, ...(m.headers ? { headers: m.headers } : {}) })),
    });
  }
}

export async function closeProducer(): Promise<void> {
  await producer?.disconnect();
  producer = undefined;
}

export function sinkEnv(overrides: Record<string, string>): Record<string, string> {
  return {
    KAFKA_BROKERS: KAFKA_BROKERS.join(','),
    SCHEMA_REGISTRY_URL,
    PG_URL,
    SINK_BATCH_MAX_WAIT_MS: '100',
    SINK_WORKERS: '1',
    SINK_TOPIC_REFRESH_MS: '1000',
    SINK_RETRY_MAX_MS: '1000',
    METRICS_PORT: '0',
    LOG_LEVEL: process.env.SINK_TEST_LOG ?? 'silent',
    ...overrides,
  };
}

export function startSink(env: Record<string, string>, hooks: SinkProcessHooks = {}) {
  const cfg = loadSinkConfig(sinkEnv(env));
  const proc = createSinkProcess(cfg, createLogger('sink-test', cfg.logLevel), hooks);
  return { proc, started: proc.start() };
}

export const pgPool = new pg.Pool({ connectionString: PG_URL, max: 3 });

export async function query<T extends pg.QueryResultRow = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
  return (await pgPool.query<T>(text, values)).rows;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function storedOffset(schema: string, group: string, topic: string, partition = 0, db: pg.Pool = pgPool): Promise<bigint | undefined> {
  const rows = await db
    .query<{ next_offset: string | null }>(`SELECT next_offset FROM "${schema}"._cdc_offsets WHERE group_id = $1 AND topic = $2 AND partition = $3`, [group, topic, partition])
    .then((r) => r.rows)
    .catch(() => []);
  const v = rows[0]?.next_offset;
  return v === undefined || v === null ? undefined : BigInt(v);
}

export { randomName };

/** A sink's /readyz: status and body (reasons when not ready). */
export async function readyz(port: number): Promise<{ status: number; body: { ready: boolean; reasons?: string[] } }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: (await res.json()) as { ready: boolean; reasons?: string[] } };
}

/**
 * Per-row application log: every INSERT/UPDATE of `table` appends (key, new _cdc_ts_us) to
 * `<table>_audit`. Changes of a key carry strictly increasing write times in these tests, so a
 * change applied twice (a batch committed twice) shows as a repeated or non-increasing time.
 */
export async function installAudit(schema: string, table: string, keyExpr: string, db: pg.Pool = pgPool): Promise<void> {
  const audit = `"${schema}"."${table}_audit"`;
  await db.query(`CREATE TABLE ${audit} (n bigserial PRIMARY KEY, k text NOT NULL, ts bigint)`);
  await db.query(`CREATE FUNCTION "${schema}"."${table}_audit_fn"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO ${audit} (k, ts) VALUES (${keyExpr.replace(/\bt\./g, 'NEW.')}, NEW._cdc_ts_us); RETURN NULL; END $$`);
  await db.query(`CREATE TRIGGER audit AFTER INSERT OR UPDATE ON "${schema}"."${table}" FOR EACH ROW EXECUTE FUNCTION "${schema}"."${table}_audit_fn"()`);
}

/** Keys whose applications are not strictly increasing in write time (= applied twice). */
export async function doubleApplied(schema: string, table: string, db: pg.Pool = pgPool): Promise<unknown[]> {
  return (await db.query(`SELECT k, ts, prev FROM (SELECT k, ts, lag(ts) OVER (PARTITION BY k ORDER BY n) AS prev FROM "${schema}"."${table}_audit") x WHERE prev >= ts LIMIT 10`))
    .rows;
}

/** Sum of the stored next offsets over `partitions` partitions of `topic`. */
export async function storedTotal(schema: string, group: string, topic: string, partitions: number, db: pg.Pool = pgPool): Promise<bigint> {
  let s = 0n;
  for (let p = 0; p < partitions; p++) s += (await storedOffset(schema, group, topic, p, db)) ?? 0n;
  return s;
}
