/**
 * Keeps stored offsets honest against the log they point into (core/offset-check.ts for the rules).
 *
 * - On assignment, `place` claims each partition, compares the stored offset and topic id with the
 *   partition's log start, log end and current topic id, and says where to read from, or that the
 *   partition is held (SINK_OFFSET_RESET=fail). Every mismatch is counted, logged with what to do,
 *   and recorded in `_cdc_offset_resets`.
 * - While consuming, `onJump` handles kafkajs moving a partition's fetch position ahead of the sink's
 *   (it does so by itself after OFFSET_OUT_OF_RANGE: retention removed records the sink had not read).
 * - Retention gaps and holds stay "open" (the sink is not ready) until `offsets ack`; `refresh`
 *   reloads them and re-places partitions whose hold was acknowledged.
 */
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { topicIds } from '../clients/topic-ids.js';
import type { Logger } from '../log/logger.js';
import { offsetProblemsOpen, offsetResets, offsetsLost } from '../metrics/sink-metrics.js';
import { decideStart, lostBeforeJump, type Mismatch, type OffsetResetPolicy } from './core/offset-check.js';
import { tpKey, type TopicPartitionKey } from './core/offset-tracker.js';
import type { Assignment } from './kafka-consumer.js';
import type { OffsetStore } from './offset-store.js';
import { OffsetResets, type OpenProblem, type ResetAction } from './offset-resets.js';
import type { RetryStep } from './retrier.js';

export interface Placement {
  topic: string;
  partition: number;
  /** Where to seek; null = held (not consumed until acknowledged). */
  from: bigint | null;
  generation: bigint;
}

export interface GuardIo {
  watermarks(topic: string): Promise<{ partition: number; low: bigint; high: bigint }[]>;
  /** Runs `fn` with the caller's retry policy (backoff, health marking). */
  retrying<T>(step: RetryStep, fn: () => Promise<T>): Promise<T>;
}

/** Claims and settles run in PostgreSQL; watermarks come from Kafka: each marks its own health. */
const CLAIM: RetryStep = { stage: 'claim', health: 'pg' };
const WATERMARKS: RetryStep = { stage: 'watermarks', health: 'kafka' };

const REPAIR = 'run `scylla-pg-cdc reconcile --table <ks.table> --repair` for the tables on this topic to restore what was lost';

export class OffsetGuard {
  private readonly resets: OffsetResets;
  private readonly held = new Set<TopicPartitionKey>();
  private problems: OpenProblem[] = [];

  constructor(
    private readonly pool: Pool,
    private readonly kafka: Kafka,
    private readonly offsets: OffsetStore,
    schema: string,
    groupId: string,
    private readonly policy: OffsetResetPolicy,
    private readonly io: GuardIo,
    private readonly log: Logger,
  ) {
    this.resets = new OffsetResets(schema, groupId);
  }

  /** Open problems (retention gaps, holds) as last loaded; the sink is not ready while any exist. */
  /** The open problems as /readyz reasons. */
  problemReasons(): string[] {
    return this.openProblems().map(
      (p) => `${p.topic}/${p.partition}: ${p.reason}${p.action === 'held' ? ' (partition held)' : ''}: ${p.detail} (acknowledge with \`scylla-pg-cdc offsets ack\`)`,
    );
  }

  openProblems(): OpenProblem[] {
    return this.problems;
  }

  isHeld(topic: string, partition: number): boolean {
    return this.held.has(tpKey(topic, partition));
  }

  async place(assignment: Assignment[]): Promise<Placement[]> {
    this.held.clear();
    await this.io.retrying(CLAIM, () => this.refreshProblems());
    const out: Placement[] = [];
    const topics = assignment.map((a) => a.topic);
    const ids = topics.length > 0 ? await this.io.retrying({ stage: 'topic-ids', health: 'kafka' }, () => topicIds(this.kafka, topics, this.log)) : undefined;
    for (const { topic, partitions } of assignment) {
      const marks = new Map((await this.io.retrying(WATERMARKS, () => this.io.watermarks(topic))).map((w) => [w.partition, w]));
      const topicId = ids?.ids.get(topic) ?? null;
      for (const partition of partitions) {
        const w = marks.get(partition);
        if (!w) continue; // not in this topic's metadata (yet): the next rebalance places it
        const claim = await this.io.retrying(CLAIM, () => this.offsets.claim(this.pool, topic, partition));
        const stored = { next: claim.next, topicId: claim.topicId };
        const logPos = { low: w.low, high: w.high, topicId };
        let d = decideStart(stored, logPos, this.policy, false);
        const holdReason = d.kind === 'hold' ? d.reason : undefined;
        const released = holdReason !== undefined && (await this.io.retrying(CLAIM, () => this.resets.holdAcknowledged(this.pool, topic, partition, claim.next, holdReason)));
        if (released) d = decideStart(stored, logPos, this.policy, true);
        if (d.kind === 'hold') {
          this.held.add(tpKey(topic, partition));
          await this.report(topic, partition, d, 'held', stored, logPos);
          out.push({ topic, partition, from: null, generation: claim.generation });
          continue;
        }
        if (d.kind === 'reset') await this.report(topic, partition, d, 'reset-earliest', stored, logPos, released);
        const needsSettle = d.kind === 'reset' || claim.next === null || (topicId !== null && claim.topicId !== topicId);
        if (needsSettle && !(await this.io.retrying(CLAIM, () => this.offsets.settle(this.pool, topic, partition, claim.generation, d.from, topicId)))) {
          this.log.warn({ topic, partition }, 'partition claimed by another sink while being placed; leaving it to the rebalance');
          continue;
        }
        out.push({ topic, partition, from: d.from, generation: claim.generation });
      }
    }
    await this.io.retrying(CLAIM, () => this.refreshProblems());
    return out;
  }

  /**
   * kafkajs fetched `topic/partition` from `fetched` although the sink expected `expected`.
   * Returns whether to go on ('continue') or hold the partition (SINK_OFFSET_RESET=fail).
   */
  async onJump(topic: string, partition: number, expected: bigint, fetched: bigint): Promise<'continue' | 'hold'> {
    const marks = await this.io.retrying(WATERMARKS, () => this.io.watermarks(topic));
    const w = marks.find((m) => m.partition === partition);
    const lost = w ? lostBeforeJump(expected, fetched, w.low) : 0n;
    if (lost === 0n || !w) return 'continue';
    const m: Mismatch = {
      reason: 'retention-gap',
      lost,
      detail: `records ${expected}..${expected + lost - 1n} were removed from the log (retention or deleteRecords) before they were read: ${lost} offsets lost`,
    };
    const stored = { next: expected, topicId: null };
    const logPos = { low: w.low, high: w.high, topicId: null };
    if (this.policy === 'fail') {
      this.held.add(tpKey(topic, partition));
      await this.report(topic, partition, m, 'held', stored, logPos);
      return 'hold';
    }
    await this.report(topic, partition, m, 'reset-earliest', stored, logPos);
    return 'continue';
  }

  /**
   * Reloads open problems; returns true when a partition held here was acknowledged meanwhile
   * (the caller re-joins the group so `place` runs again).
   */
  async refresh(): Promise<boolean> {
    await this.refreshProblems();
    for (const tp of this.held) {
      const still = this.problems.some((p) => p.action === 'held' && tpKey(p.topic, p.partition) === tp);
      if (!still) {
        // Ask for one re-join only: until `place` runs again nothing is held here. Asking on every
        // refresh restarted a join still under way, and on a loaded machine none ever completed.
        this.held.clear();
        return true;
      }
    }
    return false;
  }

  private async refreshProblems(): Promise<void> {
    this.problems = await this.resets.open(this.pool);
    offsetProblemsOpen.set(this.problems.length);
  }

  private async report(
    topic: string,
    partition: number,
    m: Mismatch,
    action: ResetAction,
    stored: { next: bigint | null; topicId: string | null },
    logPos: { low: bigint; high: bigint; topicId: string | null },
    acknowledged = false,
  ): Promise<void> {
    if (action === 'held' && this.problems.some((p) => p.action === 'held' && p.topic === topic && p.partition === partition)) return; // already recorded, still open
    offsetResets.inc({ topic, partition: String(partition), reason: m.reason });
    if (m.lost !== null && m.reason === 'retention-gap') offsetsLost.inc({ topic, partition: String(partition) }, Number(m.lost));
    await this.io.retrying(CLAIM, () =>
      this.resets.record(this.pool, {
        topic,
        partition,
        reason: m.reason,
        action,
        storedOffset: stored.next,
        logStart: logPos.low,
        logEnd: logPos.high,
        storedTopicId: stored.topicId,
        topicId: logPos.topicId,
        lost: m.lost,
        detail: m.detail,
        acknowledged,
      }),
    );
    const ctx = {
      topic,
      partition,
      reason: m.reason,
      storedOffset: stored.next,
      logStart: logPos.low,
      logEnd: logPos.high,
      lostOffsets: m.lost,
      storedTopicId: stored.topicId,
      topicId: logPos.topicId,
    };
    if (action === 'held') {
      this.log.error(
        ctx,
        `stored offset does not fit the topic: ${m.detail}. SINK_OFFSET_RESET=fail: partition held, nothing read from it. Check the topic, then \`scylla-pg-cdc offsets ack --topic ${topic} --partition ${partition}\` to read it from its log start`,
      );
    } else if (m.reason === 'retention-gap') {
      this.log.error(
        ctx,
        `data loss between Kafka and PostgreSQL: ${m.detail}. Reading on from the log start; the sink reports not ready until acknowledged. ${REPAIR}, then \`scylla-pg-cdc offsets ack\``,
      );
    } else {
      this.log.warn(
        ctx,
        `stored offset does not fit the topic: ${m.detail}. Reading the partition from its log start (every record in it is unread). If the old topic held records the sink had not applied, ${REPAIR}`,
      );
    }
  }
}
