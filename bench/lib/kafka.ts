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
 */
export async function produceWorkload(w: Workload, changes: Change[], topic: string, partitions: number, baseUs: number, opts: { transactionalId?: string } = {}): Promise<ProduceResult> {
  const registry = new SchemaRegistry({ host: REGISTRY_URL });
  const codec = envelopeCodec(w);
  const key = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(codec.keySchema) }, { subject: `${topic}-key` });
  const value = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(codec.valueSchema) }, { subject: `${topic}-value` });
  const ids = { key: key.id, value: value.id };
  // Order per key is the contract the sink relies on (schemas/README.md): one send at a time, one
  // request in flight, idempotent — concurrent sends let kafkajs reorder chunks within a partition,
  // which put an update ahead of its insert in an earlier version of this harness.
  // With a transactionalId, each chunk is one transaction, as the source commits a window's records.
  const producer = kafka().producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1, ...(opts.transactionalId ? { transactionalId: opts.transactionalId } : {}) });
  await producer.connect();
  let bytes = 0;
  const t0 = performance.now();
  try {
    const CHUNK = 5000;
    for (let i = 0; i < changes.length; i += CHUNK) {
      const byPartition = new Map<number, { key: Buffer; value: Buffer }[]>();
      for (const ch of changes.slice(i, i + CHUNK)) {
        const m = codec.encode(ch, ids, baseUs + ch.seq, partitions);
        bytes += m.key.length + m.value.length;
        const list = byPartition.get(m.partition) ?? [];
        list.push({ key: m.key, value: m.value });
        byPartition.set(m.partition, list);
      }
      const record = { topic, acks: -1, messages: [...byPartition.entries()].flatMap(([partition, ms]) => ms.map((m) => ({ ...m, partition }))) };
      if (opts.transactionalId) {
        const tx = await producer.transaction();
        await tx.send(record);
        await tx.commit();
      } else {
        await producer.send(record);
      }
    }
  } finally {
    await producer.disconnect();
  }
  const seconds = (performance.now() - t0) / 1000;
  return { records: changes.length, seconds, recordsPerSec: changes.length / seconds, bytes, keySchemaId: ids.key, valueSchemaId: ids.value };
}
