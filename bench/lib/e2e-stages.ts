/**
 * Where the end-to-end time of each change goes (e2e scenario). After the run, the source's topic is
 * read to its end (read_committed) and every record joined by its `seq` column with the write time
 * and the time PostgreSQL showed it:
 *
 * - write → read: the record's `ts_ms` (the source's clock when it built the record, right after
 *   the log query that returned the change) minus the write time. At least the confidence window:
 *   the rest is how long the slot took to come back to that stream, plus the query;
 * - read → append: Kafka's `LogAppendTime` minus `ts_ms`: building, encoding, producing;
 * - append → visible: first poll that saw the change in PostgreSQL minus `LogAppendTime`: the
 *   transaction's commit (read_committed), the sink's fetch, decode, batch age, flush, and the
 *   harness's 100 ms poll.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { kafka, REGISTRY_URL, withAdmin } from './kafka.js';
import { percentiles, type Percentiles } from './util.js';

export interface E2eStages {
  records: number;
  writeToRead: Percentiles | null;
  readToAppend: Percentiles | null;
  appendToVisible: Percentiles | null;
  writeToAppend: Percentiles | null;
  /** p99 of write → read and of append → visible per second of writes (the first carries start-up costs). */
  p99BySecond: { writeToRead: number[]; appendToVisible: number[] };
}

interface Envelope {
  after: { seq?: { value: bigint | number | null } | null } | null;
  ts_ms: number | bigint | null;
}

export async function e2eStages(topic: string, writeTimeMs: Float64Array, seenAtMs: Map<number, number>, timeoutMs = 120_000): Promise<E2eStages> {
  const ends = await withAdmin((a) => a.fetchTopicOffsets(topic));
  const left = new Map(ends.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]));
  const registry = new SchemaRegistry({ host: REGISTRY_URL });
  const consumer = kafka(`stages-${topic}`).consumer({ groupId: `${topic}-stages`, readUncommitted: false });
  const s = { writeToRead: [] as number[], readToAppend: [] as number[], appendToVisible: [] as number[], writeToAppend: [] as number[] };
  let records = 0;
  let first = Infinity;
  for (const t of writeTimeMs) first = Math.min(first, t);
  const perSecond = { writeToRead: [] as number[][], appendToVisible: [] as number[][] };
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      if (left.size === 0) resolve();
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            if (!m.value) continue;
            const v = (await registry.decode(m.value)) as Envelope;
            const seq = v.after?.seq?.value;
            if (seq === null || seq === undefined) continue;
            records++;
            const appended = Number(m.timestamp);
            const written = writeTimeMs[Number(seq)]!;
            const read = Number(v.ts_ms);
            const seen = seenAtMs.get(Number(seq));
            s.writeToRead.push(read - written);
            const sec = Math.floor((written - first) / 1000);
            (perSecond.writeToRead[sec] ??= []).push(read - written);
            if (seen !== undefined) (perSecond.appendToVisible[sec] ??= []).push(seen - appended);
            s.readToAppend.push(appended - read);
            s.writeToAppend.push(appended - written);
            if (seen !== undefined) s.appendToVisible.push(seen - appended);
          }
          // kafkajs's lastOffset counts the transaction markers it filtered out: the end is reached at high − 1
          if (BigInt(batch.lastOffset()) + 1n >= (left.get(batch.partition) ?? 0n)) left.delete(batch.partition);
          if (left.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return {
    records,
    writeToRead: percentiles(s.writeToRead),
    readToAppend: percentiles(s.readToAppend),
    appendToVisible: percentiles(s.appendToVisible),
    writeToAppend: percentiles(s.writeToAppend),
    p99BySecond: {
      writeToRead: [...perSecond.writeToRead].map((b) => percentiles(b ?? [])?.p99 ?? 0),
      appendToVisible: [...perSecond.appendToVisible].map((b) => percentiles(b ?? [])?.p99 ?? 0),
    },
  };
}

/** End-to-end latency of the changes written in each second of the run (the first seconds carry the sink's first batch and table creation). */
export function latencyBySecond(writeTimeMs: Float64Array, seenAtMs: Map<number, number>): { second: number; p50: number; p99: number; max: number }[] {
  let first = Infinity;
  for (const seq of seenAtMs.keys()) first = Math.min(first, writeTimeMs[seq]!);
  const buckets: number[][] = [];
  for (const [seq, at] of seenAtMs) (buckets[Math.floor((writeTimeMs[seq]! - first) / 1000)] ??= []).push(at - writeTimeMs[seq]!);
  return [...buckets.entries()]
    .filter(([, b]) => b !== undefined)
    .map(([second, b]) => {
      const p = percentiles(b)!;
      return { second, p50: p.p50, p99: p.p99, max: p.max };
    });
}

/** Percentiles of the changes written from the second second on: the steady state, without the first second's start-up costs. */
export function latencyAfterFirstSecond(writeTimeMs: Float64Array, seenAtMs: Map<number, number>): Percentiles | null {
  let first = Infinity;
  for (const seq of seenAtMs.keys()) first = Math.min(first, writeTimeMs[seq]!);
  const lat: number[] = [];
  for (const [seq, at] of seenAtMs) if (writeTimeMs[seq]! - first >= 1000) lat.push(at - writeTimeMs[seq]!);
  return percentiles(lat);
}
