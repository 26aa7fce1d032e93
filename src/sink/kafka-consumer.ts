/**
 * The kafkajs consumer, its group membership and topic discovery.
 *
 * - kafkajs resolves a subscription regex against the topics that exist at subscribe time only, so
 *   topic metadata is polled (SINK_TOPIC_REFRESH_MS) and the consumer is recreated when the set of
 *   matching topics changes (a new consumer re-joins; the rebalance re-seeks from PostgreSQL).
 * - autoCommit is off: offsets live in PostgreSQL; `commitAdvisory` mirrors them to the group so
 *   lag tools keep working.
 * - On GROUP_JOIN the assignment handler runs (claim + seek) and every batch waits for it, so no
 *   record of a newly assigned partition is handled before its stored offset is known.
 * - Partitions are paused and resumed with a reason (core/partition-gate.ts): kafkajs fetches a
 *   partition again only when no reason is left.
 */
import type { FetchSizes } from './core/fetch-sizes.js';
import type { Admin, Batch, Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../log/logger.js';
import { matchTopics, type TopicSelector } from './core/topic-match.js';
import { PartitionGate, type PauseReason } from './core/partition-gate.js';
import { tpKey, tpOf, type TopicPartitionKey } from './core/offset-tracker.js';

export interface Assignment {
  topic: string;
  partitions: number[];
}

export interface ConsumerHandlers {
  onAssign(assignment: Assignment[]): Promise<void>;
  onBatch(batch: Batch, heartbeat: () => Promise<void>): Promise<void>;
  onHealth(ok: boolean): void;
}

export class KafkaConsumer {
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private topics: string[] = [];
  private assigning: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private refreshing: Promise<void> | undefined;
  /** Why each partition of the current kafkajs consumer is paused (core/partition-gate.ts). */
  private readonly gate = new PartitionGate();

  constructor(
    private readonly kafka: Kafka,
    private readonly groupId: string,
    private readonly selector: TopicSelector,
    private readonly dlqTopic: string,
    private readonly refreshMs: number,
    private readonly sessionTimeoutMs: number,
    private readonly fetch: FetchSizes,
    private readonly handlers: ConsumerHandlers,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
  }

  subscribed(): string[] {
    return [...this.topics];
  }

  /** High watermarks per subscribed topic partition, for the consumer-lag gauge. */
  async highWatermarks(): Promise<{ topic: string; partition: number; high: bigint }[]> {
    if (!this.admin) return [];
    const out: { topic: string; partition: number; high: bigint }[] = [];
    for (const topic of this.topics) {
      const offs = await this.admin.fetchTopicOffsets(topic);
      for (const o of offs) out.push({ topic, partition: o.partition, high: BigInt(o.high) });
    }
    return out;
  }

  /** Log start (`low`) and end (`high`) of every partition of `topic`. */
  async watermarks(topic: string): Promise<{ partition: number; low: bigint; high: bigint }[]> {
    if (!this.admin) throw new Error('consumer not started');
    const offs = await this.admin.fetchTopicOffsets(topic);
    return offs.map((o) => ({ partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) }));
  }

  /** Poll topics; (re)create the consumer when the matching set changed. Never throws. */
  refresh(): Promise<void> {
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = undefined;
      });
    }
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    if (this.stopped || !this.admin) return;
    try {
      const topics = matchTopics(this.selector, await this.admin.listTopics(), this.dlqTopic);
      if (topics.join('\n') !== this.topics.join('\n') && topics.length > 0) {
        this.log.info({ topics }, 'subscribing');
        this.topics = topics;
        await this.restart();
      }
    } catch (err) {
      this.handlers.onHealth(false);
      this.log.warn({ err }, 'topic metadata refresh failed');
    }
  }

  /** Leave and re-join the group (new topics, or after being fenced). */
  async restart(): Promise<void> {
    await this.stopConsumer();
    this.gate.clear(); // a new kafkajs consumer pauses nothing; the assignment handler re-applies holds and table pauses
    if (this.stopped || this.topics.length === 0) return;
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      readUncommitted: false,
      sessionTimeout: this.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(this.sessionTimeoutMs / 10)),
      // kafkajs sleeps this long when every partition of a broker is paused (consumerGroup.js,
      // fetch: `if (!requests.length) await sleep(this.maxWaitTime)`), so at its 5 s default each
      // pause above SINK_MAX_INFLIGHT_BYTES stalled the sink for 5 s after commits had freed room;
      // at 500 ms the lanes still ran dry while every partition waited out the sleep. It is also the
      // broker's long-poll time when no data is there: 100 ms costs ten idle fetches a second per
      // broker (Kafka's Java consumer: two, fetch.max.wait.ms 500).
      maxWaitTimeInMs: 100,
      maxBytes: this.fetch.maxBytes,
      maxBytesPerPartition: this.fetch.maxBytesPerPartition,
      // kafkajs gives up on non-retriable errors; the sink never should (PG/Kafka outages end).
      retry: { retries: 10, restartOnFailure: async () => true },
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assignment = Object.entries(e.payload.memberAssignment).map(([topic, partitions]) => ({ topic, partitions: partitions as number[] }));
      this.handlers.onHealth(true);
      // A failed assignment must not become an unhandled rejection (that ends the process): it only
      // fails when the sink stops meanwhile (its retries give up then), and batches wait on it.
      this.assigning = this.assigning
        .then(() => this.handlers.onAssign(assignment))
        .catch((err: unknown) => (this.stopped ? this.log.debug({ err }, 'assignment abandoned: stopping') : this.log.error({ err }, 'assignment failed')));
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.handlers.onHealth(false);
      this.log.warn({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed; kafkajs restarts it');
    });
    consumer.on(consumer.events.FETCH, () => this.handlers.onHealth(true));
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, heartbeat }) => {
        await this.placed(heartbeat);
        await this.handlers.onBatch(batch, heartbeat);
      },
    });
    // Pauses asked for between the consumer's creation and run() could not reach kafkajs yet.
    const paused = this.gate.all().map(tpOf);
    if (this.consumer === consumer && paused.length > 0) this.call((c) => c.pause(paused.map((p) => ({ topic: p.topic, partitions: [p.partition] }))));
  }

  /**
   * Waits for the assignment handler, heartbeating meanwhile. kafkajs heartbeats only between
   * batches, and placing an assignment waits for the batch being written and claims every partition
   * in PostgreSQL: on a loaded machine that outlasted the session timeout, the coordinator dropped
   * the member, and its re-join started one more rebalance of the whole group. A heartbeat that
   * says the group is rebalancing is thrown, so kafkajs re-joins at once.
   */
  private async placed(heartbeat: () => Promise<void>): Promise<void> {
    let done = false;
    const assigning = this.assigning.finally(() => (done = true));
    const every = Math.max(500, Math.floor(this.sessionTimeoutMs / 10));
    while (!done) {
      await Promise.race([assigning, new Promise((r) => setTimeout(r, every))]);
      if (!done) await heartbeat();
    }
  }

  /**
   * kafkajs refuses pause/resume/seek before run() (and after disconnect). The gate keeps the
   * pauses and run() applies them; a seek then is moot: the assignment seeks every partition.
   */
  private call(fn: (c: Consumer) => void): void {
    const c = this.consumer;
    if (!c) return;
    try {
      fn(c);
    } catch (err) {
      this.log.debug({ err }, 'consumer not running: applied when it runs');
    }
  }

  /**
   * Stops fetching these partitions for `reason`. Always per partition, never a whole topic: kafkajs
   * lets a partition resume override a topic pause, which would mix the reasons up again.
   */
  pause(topic: string, partitions: number[], reason: PauseReason): void {
    const now = partitions.filter((p) => this.gate.add(tpKey(topic, p), reason));
    if (now.length > 0) this.call((c) => c.pause([{ topic, partitions: now }]));
  }

  /** Drops `reason`; a partition is fetched again only once no other reason holds it. */
  resume(topic: string, partitions: number[], reason: PauseReason): void {
    const now = partitions.filter((p) => this.gate.remove(tpKey(topic, p), reason));
    if (now.length > 0) this.call((c) => c.resume([{ topic, partitions: now }]));
  }

  isPaused(topic: string, partition: number, reason?: PauseReason): boolean {
    return this.gate.has(tpKey(topic, partition), reason);
  }

  pausedFor(reason: PauseReason): { topic: string; partition: number; tp: TopicPartitionKey }[] {
    return this.gate.with(reason).map((tp) => ({ ...tpOf(tp), tp }));
  }

  seek(topic: string, partition: number, offset: bigint): void {
    this.call((c) => c.seek({ topic, partition, offset: offset.toString() }));
  }

  async commitAdvisory(offsets: { topic: string; partition: number; offset: bigint }[]): Promise<void> {
    if (!this.consumer || offsets.length === 0) return;
    try {
      await this.consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset.toString() })));
    } catch (err) {
      // Advisory only: PostgreSQL holds the truth; a failed group commit just makes lag tools lag.
      this.log.debug({ err }, 'advisory group commit failed');
    }
  }

  private async stopConsumer(): Promise<void> {
    const c = this.consumer;
    this.consumer = undefined;
    if (c) await c.disconnect().catch((err: unknown) => this.log.warn({ err }, 'consumer disconnect failed'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.refreshing;
    await this.stopConsumer();
    const a = this.admin;
    this.admin = undefined;
    if (a) await a.disconnect();
  }
}
