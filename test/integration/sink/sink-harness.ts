/** Shared set-up for the sink integration tests: topics, schemas, producing, running a sink, polling PG. */
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import pg from 'pg';
import { loadSinkConfig } from '../../../src/config/sink-config.js';
import { createLogger } from '../../../src/log/logger.js';
import { createSinkProcess } from '../../../src/sink/main.js';
import { KAFKA_BROKERS, PG_URL, SCHEMA_REGISTRY_URL, randomName } from '../../helpers/stack-env.js';
import { avroType, envelope, frame, keyObject, keySchema, valueSchema, type ChangeSpec, type TableSpec } from '../../fixtures/sink/envelope.js';

export const kafka = new Kafka({ clientId: 'sink-test', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });
export const schemaRegistry = new SchemaRegistry({ host: SCHEMA_REGISTRY_URL });

export async function createTopic(topic: string, partitions = 1): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
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

export async function topicFixture(spec: Omit<TableSpec, 'table' | 'keyspace'> & { table?: string }, partitions = 1): Promise<TopicFixture> {
  const table = spec.table ?? randomName('t');
  const full: TableSpec = { keyspace: 'ks', table, key: spec.key, columns: spec.columns };
  const topic = `cdc.sinktest.${table}`;
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

let producer: Producer | undefined;
export async function produce(topic: string, messages: { key: Buffer | null; value: Buffer | null; partition?: number; headers?: Record<string, string> }[]): Promise<void> {
  if (!producer) {
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  }
  for (let i = 0; i < messages.length; i += 500) {
    await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 500).map((m) => ({ key: m.key, value: m.value, partition: m.partition ?? 0, ...(m.headers ? { headers: m.headers } : {}) })) });
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

export function startSink(env: Record<string, string>) {
  const cfg = loadSinkConfig(sinkEnv(env));
  const proc = createSinkProcess(cfg, createLogger('sink-test', cfg.logLevel));
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

export async function storedOffset(schema: string, group: string, topic: string, partition = 0): Promise<bigint | undefined> {
  const rows = await query<{ next_offset: string | null }>(`SELECT next_offset FROM "${schema}"._cdc_offsets WHERE group_id = $1 AND topic = $2 AND partition = $3`, [group, topic, partition]).catch(() => []);
  const v = rows[0]?.next_offset;
  return v === undefined || v === null ? undefined : BigInt(v);
}

export { randomName };
