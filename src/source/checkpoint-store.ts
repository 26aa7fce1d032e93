/**
 * The source's checkpoints live in a compacted topic (`_scylla-pg-cdc.<SOURCE_NAME>.offsets`),
 * one partition per slot, written inside the slot's data transactions. A read_committed consumer
 * follows the topic from the beginning and keeps the latest value per key.
 *
 * Loading a slot happens after its producer fenced the previous owner: the previous owner's open
 * transaction is aborted by then, so reading up to the partition's current high watermark gives
 * exactly the last committed checkpoint, never one from a transaction that can still commit.
 *
 * The consumer commits no offsets, so every time it (re)joins its group - a broker restart, a
 * coordinator move, a session lost to a stalled event loop - kafkajs starts it again from the
 * beginning of the topic, and `latest` walks through old values again. `position` is therefore the
 * consumer's actual progress (it goes back with a rewind, and is forgotten on every join), so a
 * slot is only loaded from a read that has reached the high watermark again. Taking the highest
 * offset ever seen instead let a slot load an old checkpoint during such a re-read and emit the
 * changes after it a second time (issue 20).
 */
import { randomBytes } from 'node:crypto';
import type { Admin, Consumer, Kafka, Message } from 'kafkajs';
import type { Logger } from '../log/logger.js';
import type { SlotCheckpoint } from './core/checkpoint.js';
import { checkpointKey, decodeCheckpoint, encodeCheckpoint } from './core/checkpoint.js';

export function offsetsTopicName(sourceName: string): string {
  return `_scylla-pg-cdc.${sourceName}.offsets`;
}

export class CheckpointStore {
  private consumer: Consumer | undefined;
  private readonly latest = new Map<string, SlotCheckpoint>();
  /** Offset of each key's latest record: a slot checks that a load is not older than its own last commit. */
  private readonly latestOffset = new Map<string, bigint>();
  /** Next offset to read per partition (what the consumer has seen, incl. control records). */
  private readonly position = new Map<number, bigint>();
  private readonly waiters = new Set<() => void>();
  /** How often the consumer (re)joined its group, each time re-reading from the beginning (status). */
  rejoins = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    readonly topic: string,
    readonly partitions: number,
    private readonly sourceName: string,
    private readonly log: Logger,
  ) {}

  partitionOf(slot: number): number {
    return slot % this.partitions;
  }

  async start(): Promise<void> {
    // A private group: this consumer only reads, never commits; every process reads everything.
    const consumer = this.kafka.consumer({
      groupId: `_scylla-pg-cdc.${this.sourceName}.checkpoints.${randomBytes(6).toString('hex')}`,
      readUncommitted: false,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 200,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      // a (re)join: kafkajs reads every partition again from the beginning
      this.position.clear();
      this.rejoins++;
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      // fires also for batches holding only control records / aborted data (kafkajs #1256)
      this.advance(e.payload.partition, BigInt(e.payload.lastOffset) + 1n);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const key = m.key?.toString('utf8');
          if (!key) continue;
          try {
            const c = decodeCheckpoint(m.value);
            if (c) this.latest.set(key, c);
            else this.latest.delete(key);
            this.latestOffset.set(key, BigInt(m.offset));
          } catch (err) {
            this.log.error({ err, key, offset: m.offset }, 'ignoring unreadable checkpoint record');
          }
        }
        this.advance(batch.partition, BigInt(batch.lastOffset()) + 1n);
      },
    });
  }

  /** The consumer's progress in `partition`: set, not maximised, so a rewind shows. */
  private advance(partition: number, next: bigint): void {
    this.position.set(partition, next);
    for (const w of [...this.waiters]) w();
  }

  /** All checkpoints of a slot, as committed before the caller fenced the previous owner. */
  async loadSlot(slot: number, timeoutMs = 60_000): Promise<Map<string, SlotCheckpoint>> {
    const partition = this.partitionOf(slot);
    const offsets = await this.admin.fetchTopicOffsets(this.topic);
    const high = BigInt(offsets.find((o) => o.partition === partition)?.high ?? '0');
    const low = BigInt(offsets.find((o) => o.partition === partition)?.low ?? '0');
    if (high > low) {
      await new Promise<void>((resolve, reject) => {
        const check = () => {
          if ((this.position.get(partition) ?? 0n) >= high) {
            this.waiters.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          this.waiters.delete(check);
          reject(new Error(`checkpoints of slot ${slot} not read up to offset ${high} within ${timeoutMs} ms`));
        }, timeoutMs);
        this.waiters.add(check);
        check();
      });
    }
    const out = new Map<string, SlotCheckpoint>();
    for (const c of this.latest.values()) if (c.slot === slot) out.set(c.table, c);
    return out;
  }

  /** Offset of the checkpoint `loadSlot` returned for (table, slot); undefined if none was read. */
  offsetOf(table: string, slot: number): bigint | undefined {
    return this.latestOffset.get(checkpointKey(table, slot));
  }

  /** Everything known (for /status). */
  all(): SlotCheckpoint[] {
    return [...this.latest.values()];
  }

  message(c: SlotCheckpoint): Message & { partition: number } {
    return { key: checkpointKey(c.table, c.slot), value: encodeCheckpoint(c), partition: this.partitionOf(c.slot) };
  }

  async stop(): Promise<void> {
    const c = this.consumer;
    this.consumer = undefined;
    if (c) await c.disconnect().catch((err: unknown) => this.log.debug({ err }, 'checkpoint consumer disconnect failed'));
  }
}
