/**
 * What a source wrote to its offsets topic (the checkpoints, `_scylla-pg-cdc.<SOURCE_NAME>.offsets`):
 * every committed record with its size and timestamp, so the scenario can say how fast the topic
 * grows while idle and while catching up, and what a compacted topic keeps (the latest value per
 * key); and the bytes of its partitions' log segments on the broker's disk, which also hold the
 * record batch headers and the transaction markers.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { KAFKA_BROKERS } from './kafka.js';
import { sleep } from './util.js';
import type { PerMinute } from './checkpoint-day.js';

export interface OffsetsRecord {
  /** producer timestamp (CreateTime), epoch ms */
  atMs: number;
  /** key + value bytes */
  bytes: number;
}

export interface OffsetsTopicRead {
  records: number;
  bytes: number;
  maxValueBytes: number;
  keys: number;
  /** bytes of the latest value per key: what compaction keeps */
  latestBytes: number;
  highWatermarkSum: number;
  seenOffsets: number;
  all: OffsetsRecord[];
}

/** Everything in the offsets topic: record count, bytes, and the latest value per key (compacted view). */
export async function readOffsetsTopic(runId: string, topic: string): Promise<OffsetsTopicRead> {
  const k = new Kafka({ clientId: `${runId}-offsets-reader`, brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });
  const admin = k.admin();
  await admin.connect();
  const high = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const target = high.reduce((n, p) => n + Number(p.high), 0);
  const consumer = k.consumer({ groupId: `${runId}-offsets-reader`, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const latest = new Map<string, number>();
  const all: OffsetsRecord[] = [];
  let bytes = 0;
  let maxValue = 0;
  let seenOffsets = 0;
  await consumer.run({
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        if (!m.value) continue;
        const size = m.value.length + (m.key?.length ?? 0);
        all.push({ atMs: Number(m.timestamp), bytes: size });
        bytes += size;
        maxValue = Math.max(maxValue, m.value.length);
        latest.set(m.key?.toString() ?? '', size);
      }
      seenOffsets = Math.max(seenOffsets, Number(batch.lastOffset()) + 1);
    },
  });
  // Committed records plus transaction markers reach the high watermark; stop when nothing moves.
  let last = -1;
  for (let i = 0; i < 100 && (all.length !== last || i < 20); i++) {
    last = all.length;
    await sleep(200);
  }
  await consumer.disconnect();
  return {
    records: all.length,
    bytes,
    maxValueBytes: maxValue,
    keys: latest.size,
    latestBytes: [...latest.values()].reduce((a, b) => a + b, 0),
    highWatermarkSum: target,
    seenOffsets,
    all,
  };
}

/** Records and bytes of the offsets topic stamped within [fromMs, toMs), per minute. */
export function perMinute(all: OffsetsRecord[], fromMs: number, toMs: number): PerMinute {
  const inside = all.filter((r) => r.atMs >= fromMs && r.atMs < toMs);
  const bytes = inside.reduce((a, r) => a + r.bytes, 0);
  const min = (toMs - fromMs) / 60_000;
  return { records: inside.length, bytes, recordsPerMin: Math.round(inside.length / min), bytesPerMin: Math.round(bytes / min) };
}

/**
 * Bytes of the topic's log segments (`*.log`) under the broker's log directory, or null when the
 * directory is not on this machine. `BENCH_KAFKA_LOG_DIR` names it; by default the local stack's
 * (`$STACK_DIR/kafka/data`, `.stack/kafka/data` of the checkout that runs the stack).
 */
export function topicLogBytes(topic: string, repo: string): number | null {
  const dir = process.env.BENCH_KAFKA_LOG_DIR ?? join(process.env.STACK_DIR ?? join(repo, '.stack'), 'kafka', 'data');
  if (!existsSync(dir)) return null;
  let bytes = 0;
  let found = false;
  for (const d of readdirSync(dir)) {
    if (!d.startsWith(`${topic}-`) || !/^\d+$/.test(d.slice(topic.length + 1))) continue;
    found = true;
    for (const f of readdirSync(join(dir, d))) if (f.endsWith('.log')) bytes += statSync(join(dir, d, f)).size;
  }
  return found ? bytes : null;
}
