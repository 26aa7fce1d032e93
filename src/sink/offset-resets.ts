/**
 * `<PG_SCHEMA>._cdc_offset_resets`: every stored offset found not to fit its log, what the sink did
 * about it, and the operator's acknowledgement. Kept in PostgreSQL (not in memory) so that a restart
 * does not make a retention gap look healthy again.
 */
import type { Pool } from 'pg';
import type { ResetReason } from './core/offset-check.js';
import { OFFSET_RESETS_TABLE, qualified } from '../core/sql-ident.js';

export type ResetAction = 'reset-earliest' | 'held';

export interface ResetRecord {
  topic: string;
  partition: number;
  reason: ResetReason;
  action: ResetAction;
  storedOffset: bigint | null;
  logStart: bigint;
  logEnd: bigint;
  storedTopicId: string | null;
  topicId: string | null;
  lost: bigint | null;
  detail: string;
  /** Recorded as acknowledged already (a hold the operator released: proceeding is their decision). */
  acknowledged?: boolean;
}

export interface OpenProblem {
  id: string;
  topic: string;
  partition: number;
  reason: ResetReason;
  action: ResetAction;
  lost: string | null;
  detail: string;
  detectedAt: string;
}

export class OffsetResets {
  private readonly table: string;

  constructor(
    schema: string,
    private readonly groupId: string,
  ) {
    this.table = qualified(schema, OFFSET_RESETS_TABLE);
  }

  async record(pool: Pool, r: ResetRecord): Promise<void> {
    await pool.query(
      `INSERT INTO ${this.table} (group_id, topic, partition, reason, action, stored_offset, log_start, log_end, stored_topic_id, topic_id, lost_offsets, detail, acknowledged_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, CASE WHEN $13 THEN now() END)`,
      [
        this.groupId,
        r.topic,
        r.partition,
        r.reason,
        r.action,
        r.storedOffset?.toString() ?? null,
        r.logStart.toString(),
        r.logEnd.toString(),
        r.storedTopicId,
        r.topicId,
        r.lost?.toString() ?? null,
        r.detail,
        r.acknowledged === true,
      ],
    );
  }

  /**
   * Whether an operator acknowledged a hold of exactly this situation (same stored offset and
   * reason): the partition may then proceed from its log start.
   */
  async holdAcknowledged(pool: Pool, topic: string, partition: number, storedOffset: bigint | null, reason: ResetReason): Promise<boolean> {
    const res = await pool.query(
      `SELECT 1 FROM ${this.table} WHERE group_id = $1 AND topic = $2 AND partition = $3 AND action = 'held'
         AND stored_offset IS NOT DISTINCT FROM $4 AND reason = $5 AND acknowledged_at IS NOT NULL LIMIT 1`,
      [this.groupId, topic, partition, storedOffset?.toString() ?? null, reason],
    );
    return (res.rowCount ?? 0) > 0;
  }

  /** Problems that keep the sink not ready: retention gaps and holds nobody acknowledged. */
  async open(pool: Pool): Promise<OpenProblem[]> {
    const res = await pool.query<{
      id: string;
      topic: string;
      partition: number;
      reason: ResetReason;
      action: ResetAction;
      lost_offsets: string | null;
      detail: string;
      detected_at: Date;
    }>(
      `SELECT id::text, topic, partition, reason, action, lost_offsets::text, detail, detected_at FROM ${this.table}
       WHERE group_id = $1 AND acknowledged_at IS NULL AND (reason = 'retention-gap' OR action = 'held') ORDER BY id`,
      [this.groupId],
    );
    return res.rows.map((r) => ({
      id: r.id,
      topic: r.topic,
      partition: r.partition,
      reason: r.reason,
      action: r.action,
      lost: r.lost_offsets,
      detail: r.detail,
      detectedAt: r.detected_at.toISOString(),
    }));
  }
}
