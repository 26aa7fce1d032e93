/**
 * Reads a topic from the beginning up to the high watermarks captured at the start (read_committed),
 * then stops: the DLQ, the replay ledger and the source's signals topic are small and read whole; new
 * records arriving meanwhile wait for the next run. Fails (instead of returning less) when the end is
 * not reached in time. Among the clients because both the tools and the source use it.
 */
import { randomBytes } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

export type TopicMessage = KafkaMessage & { partition: number };

export async function readTopicToEnd(kafka: Kafka, topic: string, limit = Number.POSITIVE_INFINITY, timeoutMs = 120_000): Promise<TopicMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  let starts: Map<number, bigint>;
  try {
    const exists = (await admin.listTopics()).includes(topic);
    if (!exists) return [];
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    starts = new Map(offsets.map((o) => [o.partition, BigInt(o.low)]));
  } finally {
    await admin.disconnect();
  }
  const pending = new Set([...ends].filter(([p, high]) => high > (starts.get(p) ?? 0n)).map(([p]) => p));
  if (pending.size === 0) return [];
  // A throwaway group: kafkajs needs one to consume; it never commits, so it leaves nothing behind
  // but an empty group that the broker expires.
  const consumer = kafka.consumer({ groupId: `scylla-pg-cdc-reader-${randomBytes(6).toString('hex')}`, readUncommitted: false });
  const out: TopicMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      // Done only when every partition was read to its captured end, never after a quiet spell (a
      // slow group join would look like an empty topic). Transaction markers occupy offsets too and
      // kafkajs never hands a batch made only of them to eachBatch, but it reports every batch's
      // last offset in END_BATCH_PROCESS, marker-only batches included (kafkajs runner.js).
      const timer = setTimeout(() => reject(new Error(`reading ${topic}: partition(s) ${[...pending].join(', ')} not read to their end within ${timeoutMs / 1000} s`)), timeoutMs);
      const progress = (partition: number, lastOffset: string) => {
        if (BigInt(lastOffset) + 1n >= (ends.get(partition) ?? 0n)) pending.delete(partition);
        if (pending.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      };
      consumer.on(consumer.events.END_BATCH_PROCESS, (e) => progress(e.payload.partition, e.payload.lastOffset));
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = ends.get(batch.partition) ?? 0n;
            for (const m of batch.messages) {
              if (BigInt(m.offset) >= end) break;
              out.push({ ...m, partition: batch.partition });
              if (out.length >= limit) {
                clearTimeout(timer);
                return resolve();
              }
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
}
