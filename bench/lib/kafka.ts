import { Kafka, logLevel, type Admin } from 'kafkajs';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { Change, Workload } from '../workloads/types.js';
import { envelopeCodec } from './envelope.js';
import { log } from './util.js';
import { createTopicsAndWait } from '../../src/clients/create-topics.js';

export const KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
export const REGISTRY_URL = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';
/** Apicurio's native v2 API on the same server (the 2.6 converter of the Connect baseline talks to it). */
export const REGISTRY_V2_URL = REGISTRY_URL.replace(/\/apis\/ccompat\/v\d+\/?$/, '/apis/registry/v2');

export function kafka(clientId = 'scylla-pg-cdc-bench'): Kafka {
  return new Kafka({ clientId, brokers: KAFKA_BROKERS, logLevel: logLevel.ERROR, retry: { retries: 8 } });
}

export async function withAdmin<T>(fn: (a: Admin) => Promise<T>): Promise<T> {
  const a = kafka().admin();
  await a.connect();
  try {
    return await fn(a);
  } finally {
    await a.disconnect();
  }
}

export async function createTopic(topic: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  await withAdmin((a) =>
    createTopicsAndWait(a, [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }]),
  );
}

/** Deletes every topic and consumer group whose name contains the run id, and the run's registry subjects. */
export async function cleanupKafka(runId: string): Promise<void> {
  if (!/^bench_[0-9a-f]{8}$/.test(runId)) throw new Error(`refusing to clean up ${runId}`);
  await withAdmin(async (a) => {
    const topics = (await a.listTopics()).filter((t) => t.includes(runId));
    if (topics.length) await a.deleteTopics({ topics, timeout: 30_000 }).catch((e: Error) => log(`deleteTopics: ${e.message}`));
    const groups = (await a.listGroups()).groups.map((g) => g.groupId).filter((g) => g.includes(runId));
    if (groups.length) await a.deleteGroups(groups).catch((e: Error) => log(`deleteGroups: ${e.message}`));
  });
  try {
    const res = await fetch(`${REGISTRY_URL}/subjects`);
    const subjects = ((await res.json()) as string[]).filter((s) => s.includes(runId));
    for (const s of subjects) {
      await fetch(`${REGISTRY_URL}/subjects/${encodeURIComponent(s)}`, { method: 'DELETE' });
      await fetch(`${REGISTRY_URL}/subjects/${encodeURIComponent(s)}?permanent=true`, { method: 'DELETE' });
    }
  } catch (e) {
    log(`registry cleanup: ${(e as Error).message}`);
  }
}

/** Registers `<topic>-key` / `<topic>-value` (the workload's connector schemas) and returns their ids with the codec. */
async function registerEnvelope(w: Workload, topic: string): Promise<{ codec: ReturnType<typeof envelopeCodec>; ids: { key: number; value: number } }> {
  const registry = new SchemaRegistry({ host: REGISTRY_URL });
  const codec = envelopeCodec(w);
  const key = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(codec.keySchema) }, { subject: `${topic}-key` });
  const value = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(codec.valueSchema) }, { subject: `${topic}-value` });
  return { codec, ids: { key: key.id, value: value.id } };
}

export interface ProduceResult {
  records: number;
  seconds: number;
  recordsPerSec: number;
  bytes: number;
  keySchemaId: number;
  valueSchemaId: number;
}

/**
 * Registers `<topic>-key` / `<topic>-value` and writes the changes as the connector's records, in
 * seq order, partitioned by the partition key (schemas/README.md). ts_us = baseUs + seq, so the
 * version guard sees strictly increasing write times per key.
 *
 * With `transactional`, the changes are split by Kafka partition over `lanes` transactional
 * producers running at once, each committing one transaction per chunk: the shape of the source,
 * whose slots each own a transactional producer (produce-limit).
 */
export async function produceWorkload(
  w: Workload,
  changes: Change[],
  topic: string,
  partitions: number,
  baseUs: number,
  opts: { transactional?: { idPrefix: string; lanes: number } } = {},
): Promise<ProduceResult> {
  const { codec, ids } = await registerEnvelope(w, topic);
  const tx = opts.transactional;
  const laneCount = tx ? Math.max(1, tx.lanes) : 1;
  // Encoded up front, per lane in seq order. A key belongs to one lane (as a stream belongs to one
  // slot), so per-key order holds while several lanes write to the same partition.
  const lanes: { key: Buffer; value: Buffer; partition: number }[][] = Array.from({ length: laneCount }, () => []);
  let bytes = 0;
  for (const ch of changes) {
    const m = codec.encode(ch, ids, baseUs + ch.seq, partitions);
    bytes += m.key.length + m.value.length;
    lanes[laneCount === 1 ? 0 : fnv1a(m.key) % laneCount]!.push(m);
  }
  const t0 = performance.now();
  await Promise.all(lanes.map((lane, i) => produceLane(topic, lane, tx ? `${tx.idPrefix}-${i}` : undefined)));
  const seconds = (performance.now() - t0) / 1000;
  return { records: changes.length, seconds, recordsPerSec: changes.length / seconds, bytes, keySchemaId: ids.key, valueSchemaId: ids.value };
}

export interface PacedProducer {
  /** Changes produced so far (a prefix of the list). */
  readonly produced: () => number;
  /** Stops after the send under way; resolves with the number produced. */
  stop(): Promise<number>;
}

/**
 * Produces `changes` in order at `rate` per second (every 100 ms what is due, so a slow send is
 * caught up), as the connector's records, until stopped or the list is exhausted: a steady load for
 * measuring what joins and leaves of sink processes cost.
 */
export async function pacedProducer(w: Workload, changes: Change[], topic: string, partitions: number, baseUs: number, rate: number): Promise<PacedProducer> {
  const { codec, ids } = await registerEnvelope(w, topic);
  const producer = kafka().producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let sent = 0;
  let stopping = false;
  const t0 = performance.now();
  const loop = (async () => {
    while (!stopping && sent < changes.length) {
      const due = Math.min(changes.length, Math.floor(((performance.now() - t0) / 1000) * rate));
      if (due > sent) {
        const chunk = changes.slice(sent, Math.min(due, sent + 5000));
        await producer.send({ topic, acks: -1, messages: chunk.map((ch) => codec.encode(ch, ids, baseUs + ch.seq, partitions)) });
        sent += chunk.length;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (sent >= changes.length) log(`paced producer: all ${sent} changes produced before it was stopped`);
  })();
  return {
    produced: () => sent,
    async stop() {
      stopping = true;
      await loop;
      await producer.disconnect();
      return sent;
    },
  };
}

function fnv1a(b: Buffer): number {
  let h = 2166136261;
  for (const x of b) h = Math.imul(h ^ x, 16777619);
  return h >>> 0;
}

async function produceLane(topic: string, records: { key: Buffer; value: Buffer; partition: number }[], transactionalId: string | undefined): Promise<void> {
  // Order per key is the contract the sink relies on (schemas/README.md): one send at a time, one
  // request in flight, idempotent — concurrent sends let kafkajs reorder chunks within a partition,
  // which put an update ahead of its insert in an earlier version of this harness.
  const producer = kafka().producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1, ...(transactionalId ? { transactionalId } : {}) });
  await producer.connect();
  try {
    const CHUNK = 5000;
    for (let i = 0; i < records.length; i += CHUNK) {
      const record = { topic, acks: -1, messages: records.slice(i, i + CHUNK) };
      if (transactionalId) {
        const t = await producer.transaction();
        await t.send(record);
        await t.commit();
      } else {
        await producer.send(record);
      }
    }
  } finally {
    await producer.disconnect();
  }
}
