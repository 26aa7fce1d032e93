/**
 * The independent check of the restart tests: a model of every write (each write carries a
 * unique value, so the change event it causes can be told apart from every other), a tail of the
 * topics that notes when each change event arrived, and an exact read_committed count up to the
 * high watermark at the end.
 */
import type cassandra from 'cassandra-driver';
import type { Consumer, Kafka } from 'kafkajs';
import { javaReadCommitted } from '../../helpers/java-kafka.js';
import { decode, randomName, waitFor } from './harness.js';

export interface Write {
  table: string;
  tag: string;
  atMs: number;
}

export interface Seen {
  table: string;
  tag: string | null;
  op: string;
  arrivedMs: number;
  /** Where, and the envelope's processing time (ts_ms): which process emitted a duplicate. */
  at?: string;
}

function tagOf(after: unknown): string | null {
  const cell = (after as { v?: { value?: unknown } } | null)?.v;
  return typeof cell?.value === 'string' ? cell.value : null;
}

/**
 * Writes to `users (id PK, v)` and `orders (id, line, v; PK ((id), line))` at ~`perSecond`,
 * alternating tables, half inserts of new rows and half updates of existing ones; one statement
 * = one change event, tagged by its unique `v`.
 */
export class Writer {
  readonly writes: Write[] = [];
  private stopRequested = false;
  private loop: Promise<void> | undefined;
  private seq = 0;

  constructor(
    private readonly cql: cassandra.Client,
    private readonly ks: string,
    private readonly prefix: string,
    private readonly perSecond: number,
  ) {}

  start(): void {
    this.loop = this.run();
    this.loop.catch(() => undefined); // surfaced by stop()
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    const p = { prepare: true };
    while (!this.stopRequested) {
      const n = this.seq++;
      const tag = `${this.prefix}-${n}`;
      const id = n % 4 < 2 ? n : n - 2; // every other pair updates the rows the previous pair inserted
      const t0 = Date.now();
      if (n % 2 === 0) {
        await this.cql.execute(`UPDATE ${this.ks}.users SET v = ? WHERE id = ?`, [tag, id], p);
        this.writes.push({ table: 'users', tag, atMs: t0 });
      } else {
        await this.cql.execute(`UPDATE ${this.ks}.orders SET v = ? WHERE id = ? AND line = ?`, [tag, id % 50, id], p);
        this.writes.push({ table: 'orders', tag, atMs: t0 });
      }
      const wait = 1000 / this.perSecond - (Date.now() - t0);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** Follows topics read_committed from the beginning and notes each record's arrival time. */
export class TopicTail {
  readonly seen: Seen[] = [];
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: Map<string, string>,
  ) {}

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: randomName('tail'),
      readUncommitted: false,
      maxWaitTimeInMs: 100,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 2_000 },
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.topics.keys()], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, message }) => {
        const arrivedMs = Date.now();
        const value = (await decode(message.value!)) as { op: string; after: unknown };
        this.seen.push({ table: this.topics.get(topic)!, tag: tagOf(value.after), op: value.op, arrivedMs });
      },
    });
  }

  /** Arrival of the first change event caused by a write made at or after `sinceMs`. */
  firstChangeArrival(writes: Write[], sinceMs: number): number | undefined {
    const tags = new Set(writes.filter((w) => w.atMs >= sinceMs).map((w) => w.tag));
    let first: number | undefined;
    for (const s of this.seen) if (s.op !== 'r' && s.tag !== null && tags.has(s.tag) && (first === undefined || s.arrivedMs < first)) first = s.arrivedMs;
    return first;
  }

  hasAll(writes: Write[]): boolean {
    const tags = new Set(this.seen.map((s) => s.tag));
    return writes.every((w) => tags.has(w.tag));
  }

  /**
   * A kafkajs consumer can stay stuck after a broker restart (seen here: nothing for 2 minutes
   * while the source was committing); the test must not take that for a silent source. A new
   * consumer re-reads from the beginning; `seen` keeps the first arrival of everything.
   */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    const c = this.consumer;
    this.consumer = undefined;
    // a stuck consumer may not disconnect either: do not wait for it for ever
    await Promise.race([c?.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000).unref())]);
  }
}

/**
 * Reads every partition of `topics` read_committed from the beginning up to its high watermark
 * (so the count is exact: nothing still to come, nothing cut off) and returns every record.
 */
export async function readToHighWatermark(kafka: Kafka, topics: Map<string, string>, timeoutMs = 60_000): Promise<Seen[]> {
  const admin = kafka.admin();
  await admin.connect();
  const high = new Map<string, bigint>();
  try {
    for (const topic of topics.keys()) {
      for (const o of await admin.fetchTopicOffsets(topic)) if (BigInt(o.high) > 0n) high.set(`${topic}:${o.partition}`, BigInt(o.high));
    }
  } finally {
    await admin.disconnect();
  }
  const out: Seen[] = [];
  const position = new Map<string, bigint>();
  const consumer = kafka.consumer({ groupId: randomName('count'), readUncommitted: false, maxWaitTimeInMs: 100 });
  const reached = () => [...high.entries()].every(([k, h]) => (position.get(k) ?? 0n) >= h);
  await consumer.connect();
  try {
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      const k = `${e.payload.topic}:${e.payload.partition}`;
      const next = BigInt(e.payload.lastOffset) + 1n;
      if (next > (position.get(k) ?? 0n)) position.set(k, next);
    });
    await consumer.subscribe({ topics: [...topics.keys()], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        out.push(await seenAt(topics.get(topic)!, partition, message.offset, message.value!));
      },
    });
    await waitFor(() => (reached() ? true : undefined), timeoutMs, `read_committed up to the high watermark of ${[...topics.keys()].join(', ')}`);
  } finally {
    await consumer.disconnect();
  }
  return out;
}

async function seenAt(table: string, partition: number, offset: string, raw: Buffer): Promise<Seen> {
  const value = (await decode(raw)) as { op: string; after: unknown; ts_ms?: unknown };
  const at = `${partition}@${offset} ts_ms=${new Date(Number(value.ts_ms)).toISOString()}`;
  return { table, tag: tagOf(value.after), op: value.op, arrivedMs: Date.now(), at };
}

/**
 * The same count as `readToHighWatermark`, read by Kafka's own Java consumer (read_committed, up
 * to the last stable offset): the verdict on exactly once must not rest on kafkajs's
 * aborted-transaction filter, which the source's consumers share.
 */
export async function javaReadToEnd(brokers: string[], topics: Map<string, string>): Promise<Seen[]> {
  const out: Seen[] = [];
  for (const r of await javaReadCommitted(brokers, [...topics.keys()])) out.push(await seenAt(topics.get(r.topic)!, r.partition, String(r.offset), r.value!));
  return out;
}

export const seenKey = (s: Seen): string => `${s.table}:${s.tag}:${s.at}`;

/** Records (table, partition@offset) one reader returned and the other did not. */
export function readerDifferences(a: Seen[], b: Seen[]): { onlyFirst: string[]; onlySecond: string[] } {
  const ka = new Set(a.map(seenKey));
  const kb = new Set(b.map(seenKey));
  return { onlyFirst: [...ka].filter((k) => !kb.has(k)), onlySecond: [...kb].filter((k) => !ka.has(k)) };
}

/** Every write exactly once as a change event; nothing else (no snapshot rows, no strangers). */
export function ledgerProblems(writes: Write[], records: Seen[]): { missing: string[]; duplicated: string[]; unexpected: string[] } {
  const counts = new Map<string, number>();
  const unexpected: string[] = [];
  const known = new Set(writes.map((w) => w.tag));
  for (const r of records) {
    if (r.op === 'r' || r.tag === null || !known.has(r.tag)) unexpected.push(`${r.table}:${r.op}:${r.tag}`);
    else counts.set(r.tag, (counts.get(r.tag) ?? 0) + 1);
  }
  return {
    missing: writes.filter((w) => !counts.has(w.tag)).map((w) => w.tag),
    duplicated: [...counts.entries()]
      .filter(([, n]) => n > 1)
      .map(
        ([t, n]) =>
          `${t}×${n} (${records
            .filter((r) => r.tag === t)
            .map((r) => r.at)
            .join(', ')})`,
      ),
    unexpected,
  };
}
