/**
 * Reads a topic from the beginning up to the high watermarks captured at the start (read_committed),
 * then stops: the DLQ and the replay ledger are small and read whole; new records arriving meanwhile
 * wait for the next run.
 */
import { randomBytes } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

export type TopicMessage = KafkaMessage & { partition: number };

export async function readTopicToEnd(kafka: Kafka, topic: string, limit = Number.POSITIVE_INFINITY): Promise<TopicMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    const exists = (await admin.listTopics()).includes(topic);
    if (!exists) return [];
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
  const pending = new Set([...ends].filter(([p, high]) => high > 0n && p >= 0).map(([p]) => p));
  if (pending.size === 0) return [];
  // A throwaway group: kafkajs needs one to consume; it never commits, so it leaves nothing behind
  // but an empty group that the broker expires.
  const consumer = kafka.consumer({ groupId: `scylla-pg-cdc-reader-${randomBytes(6).toString('hex')}`, readUncommitted: false });
  const out: TopicMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      // kafkajs may never hand us a batch made only of transaction markers at a partition's end;
      // after a quiet period everything readable has been read.
      let idle = setTimeout(resolve, 5000);
      const touch = () => {
        clearTimeout(idle);
        idle = setTimeout(resolve, 5000);
      };
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            touch();
            const end = ends.get(batch.partition) ?? 0n;
            for (const m of batch.messages) {
              if (BigInt(m.offset) >= end) break;
              out.push({ ...m, partition: batch.partition });
              if (out.length >= limit) return resolve();
            }
            // Transaction markers occupy offsets too: the batch's last offset says how far we got.
            if (BigInt(batch.lastOffset()) + 1n >= end) {
              pending.delete(batch.partition);
              if (pending.size === 0) resolve();
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
