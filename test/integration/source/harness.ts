/**
 * Shared helpers for the source integration tests: an in-process Scylla emulator on a random
 * port, a source config pointing at it and at the shared Kafka + Apicurio, and a read_committed
 * reader that decodes what the source produced.
 */
import { randomBytes } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';
import { loadSourceConfig, type SourceConfig } from '../../../src/config/source-config.js';
import { avroType, unframeConfluent } from '../../../src/schema/avro-codec.js';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../support/scylla-emulator/index.js';
import { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, randomName } from '../../helpers/stack-env.js';

export { randomName };

export async function emulator(opts: EmulatorOptions = {}): Promise<{ emu: EmulatorHandle; cql: cassandra.Client }> {
  const emu = await startEmulator({ port: 0, ...opts });
  const cql = new cassandra.Client({ contactPoints: [emu.contactPoint], localDataCenter: 'datacenter1', encoding: { map: Map, set: Set } });
  await cql.connect();
  return { emu, cql };
}

/** An emulator holding the keyspaces `names` (SimpleStrategy, RF 1). */
export async function emulatorWithKeyspaces(...names: string[]): Promise<{ emu: EmulatorHandle; cql: cassandra.Client }> {
  const e = await emulator();
  for (const ks of names) await e.cql.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class':'SimpleStrategy','replication_factor':1}`);
  return e;
}

export function sourceConfig(emu: EmulatorHandle, tables: string[], overrides: Record<string, string> = {}): SourceConfig {
  return loadSourceConfig({
    SCYLLA_CONTACT_POINTS: emu.contactPoint,
    SCYLLA_TABLES: tables.join(','),
    SCYLLA_CONSISTENCY: 'ONE',
    KAFKA_BROKERS: KAFKA_BROKERS.join(','),
    SCHEMA_REGISTRY_URL,
    SOURCE_NAME: randomName('src'),
    KAFKA_TOPIC_TEMPLATE: `${randomName('t')}.{keyspace}.{table}`,
    CDC_CONFIDENCE_WINDOW_MS: '500',
    CDC_POLL_INTERVAL_MS: '100',
    SNAPSHOT_MODE: 'never',
    SOURCE_SLOTS: '4',
    KAFKA_TOPIC_PARTITIONS: '3',
    KAFKA_TRANSACTION_TIMEOUT_MS: '10000',
    SOURCE_GROUP_SESSION_TIMEOUT_MS: '6000',
    SOURCE_CHECKPOINT_INTERVAL_MS: '1000',
    METRICS_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    ...overrides,
  });
}

export interface Decoded {
  topic: string;
  partition: number;
  offset: string;
  key: Record<string, unknown>;
  value: Record<string, unknown> & { op: string; source: Record<string, unknown>; after: Record<string, unknown> | null; before: Record<string, unknown> | null };
}

const schemaCache = new Map<number, ReturnType<typeof avroType>>();

async function typeFor(id: number): Promise<ReturnType<typeof avroType>> {
  const cached = schemaCache.get(id);
  if (cached) return cached;
  const res = await fetch(`${SCHEMA_REGISTRY_URL}/schemas/ids/${id}`);
  const body = (await res.json()) as { schema: string };
  const t = avroType(JSON.parse(body.schema));
  schemaCache.set(id, t);
  return t;
}

export async function decode(buf: Buffer): Promise<Record<string, unknown>> {
  const { schemaId, body } = unframeConfluent(buf);
  return (await typeFor(schemaId)).fromBuffer(body) as Record<string, unknown>;
}

export function kafkaClient(): Kafka {
  return new Kafka({ clientId: randomName('test'), brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });
}

/**
 * Reads a topic read_committed from the beginning until `until(records)` holds or the timeout
 * passes; returns everything read. Used to count per change id: exactly once means no duplicates.
 */
export async function readTopic(topic: string, until: (recs: Decoded[]) => boolean, timeoutMs = 45_000): Promise<Decoded[]> {
  const kafka = kafkaClient();
  // the source creates its topics on start: wait for the topic before subscribing
  const admin = kafka.admin();
  await admin.connect();
  await waitFor(async () => ((await admin.listTopics()).includes(topic) ? true : undefined), timeoutMs, `topic ${topic}`);
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: randomName('reader'), readUncommitted: false, maxWaitTimeInMs: 200 });
  const out: Decoded[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  await consumer.run({
    eachMessage: async ({ topic: tp, partition, message }) => {
      out.push({
        topic: tp,
        partition,
        offset: message.offset,
        key: (await decode(message.key!)) as Decoded['key'],
        value: (await decode(message.value!)) as Decoded['value'],
      });
      if (until(out)) resolveDone();
    },
  });
  const timer = setTimeout(resolveDone, timeoutMs);
  if (until(out)) resolveDone();
  await done;
  clearTimeout(timer);
  await consumer.disconnect();
  return out;
}

export async function waitFor<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function uniqueKs(): string {
  return `ks_${randomBytes(4).toString('hex')}`;
}
