/**
 * The sink's lag timer (every min(SINK_TOPIC_REFRESH_MS, 5 s)): the operator's table pauses, held
 * partitions an operator acknowledged, the reconcile accuracy gauge, and one lag sample per assigned
 * partition (committed offset against the log end) into the consumer-lag gauge, the stall detector
 * (operator-paused tables marked as such, so they never count as stalled) and the paused tables'
 * waiting counts, and the check that PostgreSQL still holds every offset it acknowledged
 * (core/lost-commits.ts). Each part fails alone, logged at debug, and is tried again on the next tick.
 */
import type { Pool } from 'pg';
import type { Logger } from '../log/logger.js';
import { consumerLag, lostCommitsTotal, sinkStalled } from '../metrics/sink-metrics.js';
import { refreshAccuracy } from './accuracy-gauge.js';
import type { AssignmentState } from './assignment-state.js';
import type { KafkaConsumer } from './kafka-consumer.js';
import type { OffsetGuard } from './offset-guard.js';
import { tpKey, type TopicPartitionKey } from './core/offset-tracker.js';
import type { PartitionSample, StallDetector } from './core/stall-detector.js';
import type { PausedPartitionLag, TablePauses } from './table-pauses.js';
import { lostCommits, type LostCommit } from './core/lost-commits.js';
import type { OffsetStore } from './offset-store.js';

export interface LagSources {
  highWatermarks(): Promise<{ topic: string; partition: number; high: bigint }[]>;
  committed: ReadonlyMap<TopicPartitionKey, bigint>;
  pauses: Pick<TablePauses, 'isPaused' | 'observeLag'>;
  stall: Pick<StallDetector, 'observe' | 'reasons'>;
}

export async function sampleLag(d: LagSources): Promise<void> {
  const samples: PartitionSample[] = [];
  const paused: PausedPartitionLag[] = [];
  for (const w of await d.highWatermarks()) {
    const c = d.committed.get(tpKey(w.topic, w.partition));
    if (c === undefined) continue;
    consumerLag.set({ topic: w.topic, partition: String(w.partition) }, Number(w.high > c ? w.high - c : 0n));
    const isPaused = d.pauses.isPaused(w.topic);
    samples.push({ name: `${w.topic}/${w.partition}`, committed: c, end: w.high, paused: isPaused });
    if (isPaused) paused.push({ topic: w.topic, partition: w.partition, committed: c, end: w.high });
  }
  d.pauses.observeLag(paused);
  d.stall.observe(Date.now(), samples);
  sinkStalled.set(d.stall.reasons().length > 0 ? 1 : 0);
}

export interface LagTimerDeps {
  pool: Pool;
  schema: string;
  log: Logger;
  consumer: () => Pick<KafkaConsumer, 'restart' | 'highWatermarks'> & Parameters<TablePauses['apply']>[0];
  guard: () => Pick<OffsetGuard, 'refresh'>;
  pauses: () => Pick<TablePauses, 'refresh' | 'apply' | 'isPaused' | 'observeLag'>;
  stall: Pick<StallDetector, 'observe' | 'reasons'>;
  state: () => AssignmentState;
  draining: () => boolean;
  offsets: Pick<OffsetStore, 'stored'>;
  /** Drops the uncommitted work and re-reads the partitions from their stored offsets. */
  lost: () => Promise<void>;
}

export class LagTimer {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly d: LagTimerDeps) {}

  start(everyMs: number): void {
    this.timer = setInterval(() => void this.tick(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async tick(): Promise<void> {
    const { d } = this;
    await this.refreshTablePauses();
    await this.refreshOffsetProblems();
    await this.checkLostCommits();
    // The reconcile history changes rarely and the query is tiny.
    await refreshAccuracy(d.pool, d.schema).catch((err: unknown) => d.log.debug({ err }, 'accuracy refresh failed'));
    try {
      await sampleLag({ highWatermarks: () => d.consumer().highWatermarks(), committed: d.state().tracker.committedOffsets(), pauses: d.pauses(), stall: d.stall });
    } catch (err) {
      d.log.debug({ err }, 'consumer lag refresh failed');
    }
  }

  private async checkLostCommits(): Promise<void> {
    const { d } = this;
    try {
      if (d.draining()) return;
      const state = d.state();
      // Ours first, then PostgreSQL's: a commit acknowledged in between only raises the stored value.
      const committed = state.tracker.committedOffsets();
      const generations = new Map(state.generation);
      const lost = lostCommits(committed, generations, await d.offsets.stored(d.pool));
      if (lost.length === 0 || d.state() !== state || state.dropped) return;
      reportLostCommits(d.log, lost);
      await d.lost();
    } catch (err) {
      d.log.debug({ err }, 'lost-commit check failed');
    }
  }

  private async refreshOffsetProblems(): Promise<void> {
    try {
      if (await this.d.guard().refresh()) {
        this.d.log.info('a held partition was acknowledged; re-joining the group to read it from its log start');
        await this.d.consumer().restart();
      }
    } catch (err) {
      this.d.log.debug({ err }, 'offset problems refresh failed');
    }
  }

  /**
   * The operator's pauses, polled; a failed poll keeps the last known ones. Not under the sink's
   * lock: a batch blocked in PostgreSQL holds it, and this timer must still run (stall detection
   * follows). `apply` is safe mid-assignment: the assignment applies the pauses again once it has
   * placed its partitions.
   */
  private async refreshTablePauses(): Promise<void> {
    try {
      await this.d.pauses().refresh();
      if (!this.d.draining()) this.d.pauses().apply(this.d.consumer(), this.d.state());
    } catch (err) {
      this.d.log.debug({ err }, 'table pauses refresh failed');
    }
  }
}

/** Counts and logs commits PostgreSQL lost; the caller re-reads the partitions. */
export function reportLostCommits(log: Pick<Logger, 'error'>, lost: LostCommit[]): void {
  for (const l of lost) lostCommitsTotal.inc({ topic: l.topic });
  log.error(
    { lost: lost.map((l) => ({ ...l, committed: l.committed.toString(), stored: l.stored?.toString() ?? null })) },
    'PostgreSQL lost commits it had acknowledged (a crash with SINK_SYNCHRONOUS_COMMIT=off, a failover or a restore); re-reading those partitions from the offsets it holds',
  );
}
