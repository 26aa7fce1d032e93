/**
 * The operator's table pauses, as this sink applies them (README "Pausing a table").
 *
 * The pause is at the sink, not the source: ScyllaDB keeps CDC log rows only for the table's CDC
 * TTL (24 h by default, the `ttl` option of `cdc = {...}`), so a source that stopped reading a table
 * for longer would lose changes; paused at the sink, they wait in Kafka, whose retention the
 * operator sets, and the source keeps its position.
 *
 * - `refresh` polls `_cdc_paused_tables` (on the lag timer, SINK_TOPIC_REFRESH_MS, and once before
 *   the consumer starts, so a restarted sink never applies a paused table); a failed poll keeps the
 *   last known pauses: an outage never resumes a table.
 * - `apply` makes the consumer match: every assigned partition of a paused topic paused (reason
 *   `operator`, core/partition-gate.ts), every other one released, after a seek back to the first
 *   offset the sink has not taken (intake drops batches fetched before the pause reached kafkajs,
 *   so kafkajs's own position may be past it). Run after each assignment too, so a partition assigned
 *   later starts paused.
 * - Nothing of a paused topic is taken after the pause reaches this sink; what was taken before is
 *   applied and committed as usual, so the committed offset stops exactly after the last applied record.
 */
import type { Pool } from 'pg';
import type { Logger } from '../log/logger.js';
import { tablePaused } from '../metrics/sink-metrics.js';
import { topicTarget } from './core/topic-target.js';
import type { AssignmentState } from './assignment-state.js';
import type { KafkaConsumer } from './kafka-consumer.js';
import { tpKey, tpOf } from './core/offset-tracker.js';
import type { PausedTablesStore, PausedTopic } from './paused-tables-store.js';

export interface PausedPartitionLag {
  topic: string;
  partition: number;
  committed: bigint;
  end: bigint;
}

export interface PausedTableStatus {
  table: string;
  topic: string;
  since: string;
  by: string;
  reason: string | null;
  /** Records waiting in Kafka on the partitions this sink holds (log end − committed offset). */
  lag: number;
  partitions: { partition: number; committedOffset: string; logEnd: string; lag: number }[];
}

type PauseConsumer = Pick<KafkaConsumer, 'pause' | 'resume' | 'seek' | 'pausedFor' | 'isPaused'>;

export class TablePauses {
  private current = new Map<string, PausedTopic>();
  private lag = new Map<string, PausedPartitionLag[]>();

  constructor(
    private readonly pool: Pool,
    private readonly store: PausedTablesStore,
    private readonly template: string,
    private readonly log: Logger,
  ) {}

  isPaused(topic: string): boolean {
    return this.current.has(topic);
  }

  /** The metric's `table` label: the table the topic names (before SINK_TABLE_MAP), as in cdc_replication_lag_seconds{table}. */
  private label(topic: string): string {
    return topicTarget(topic, this.template).table;
  }

  /** Reloads the pauses; throws when PostgreSQL cannot be read (the last known set stays). */
  async refresh(): Promise<void> {
    const next = new Map((await this.store.list(this.pool)).map((p) => [p.topic, p]));
    for (const [topic, p] of next) {
      if (this.current.has(topic)) continue;
      tablePaused.set({ table: this.label(topic) }, 1);
      this.log.warn(
        { topic, table: p.table, pausedBy: p.pausedBy, pausedAt: p.pausedAt, reason: p.reason },
        'table paused by the operator: its changes wait in Kafka (mind the topic retention) until `scylla-pg-cdc resume`',
      );
    }
    for (const topic of this.current.keys()) {
      if (next.has(topic)) continue;
      tablePaused.set({ table: this.label(topic) }, 0);
      this.lag.delete(topic);
      this.log.info({ topic }, 'table resumed by the operator: applying from where it stopped');
    }
    this.current = next;
  }

  /**
   * Pauses the assigned partitions of paused topics and releases those of resumed topics (see the
   * module comment). A partition stays paused while its topic is, assigned or not: releasing one
   * that an assignment under way has not placed yet would let kafkajs fetch it for nothing.
   */
  apply(consumer: PauseConsumer, state: AssignmentState): void {
    for (const tp of state.tracker.committedOffsets().keys()) {
      const { topic, partition } = tpOf(tp);
      if (this.current.has(topic)) consumer.pause(topic, [partition], 'operator');
    }
    for (const p of consumer.pausedFor('operator')) {
      if (this.current.has(p.topic)) continue;
      const from = state.fetched.get(tpKey(p.topic, p.partition));
      if (from !== undefined) consumer.seek(p.topic, p.partition, from);
      consumer.resume(p.topic, [p.partition], 'operator');
    }
  }

  /** Lag of the paused partitions this sink holds, from the lag timer's watermarks. */
  observeLag(samples: PausedPartitionLag[]): void {
    const next = new Map<string, PausedPartitionLag[]>();
    for (const s of samples) if (this.current.has(s.topic)) next.set(s.topic, [...(next.get(s.topic) ?? []), s]);
    this.lag = next;
  }

  status(): PausedTableStatus[] {
    return [...this.current.values()].map((p) => {
      const parts = (this.lag.get(p.topic) ?? []).map((l) => ({
        partition: l.partition,
        committedOffset: l.committed.toString(),
        logEnd: l.end.toString(),
        lag: Number(l.end > l.committed ? l.end - l.committed : 0n),
      }));
      return {
        table: p.table ?? this.label(p.topic),
        topic: p.topic,
        since: p.pausedAt.toISOString(),
        by: p.pausedBy,
        reason: p.reason,
        lag: parts.reduce((n, x) => n + x.lag, 0),
        partitions: parts,
      };
    });
  }
}
