/**
 * Consumed offsets in PostgreSQL (`<PG_SCHEMA>._cdc_offsets`), written in the same transaction as the
 * rows — the source of truth for where each partition resumes (Kafka group commits are advisory).
 *
 * Fencing: kafkajs does not expose the group generation, so ownership is an epoch kept in the
 * `generation` column. Taking a partition (on assignment) bumps it and returns the offset to seek to;
 * a commit updates a partition only where the stored generation is not newer than the writer's. A
 * stale owner's commit therefore updates fewer rows than it asked for: it rolls back and rejoins.
 * The epoch survives a reset of the Kafka group, which a Kafka generation would not.
 */
import type { PoolClient, Pool } from 'pg';
import { OFFSETS_TABLE, qualified } from '../core/sql-ident.js';
import type { StoredOffset } from './core/lost-commits.js';

export interface Claim {
  next: bigint | null;
  generation: bigint;
  /** The topic id the stored offset was read from (null: never stored, or an older sink). */
  topicId: string | null;
}

export interface OffsetWrite {
  topic: string;
  partition: number;
  next: bigint;
  generation: bigint;
  /** The offset this writer last committed (or was placed at): the stored value it moves from. */
  prev: bigint | null;
}

export class OffsetStore {
  private readonly table: string;

  constructor(
    schema: string,
    private readonly groupId: string,
  ) {
    this.table = qualified(schema, OFFSETS_TABLE);
  }

  async claim(pool: Pool, topic: string, partition: number): Promise<Claim> {
    const res = await pool.query<{ next_offset: string | null; generation: string; topic_id: string | null }>(
      `INSERT INTO ${this.table} AS o (group_id, topic, partition, next_offset, generation) VALUES ($1, $2, $3, NULL, 1)
       ON CONFLICT (group_id, topic, partition) DO UPDATE SET generation = o.generation + 1, updated_at = now()
       RETURNING next_offset, generation, topic_id`,
      [this.groupId, topic, partition],
    );
    const row = res.rows[0]!;
    return { next: row.next_offset === null ? null : BigInt(row.next_offset), generation: BigInt(row.generation), topicId: row.topic_id };
  }

  /**
   * Records where a claimed partition starts and which topic id that offset belongs to, in one
   * statement, so a crash never leaves a new topic id next to an old topic's offset. Only while we
   * still own the partition (same generation). Returns false when fenced.
   */
  async settle(pool: Pool, topic: string, partition: number, generation: bigint, next: bigint, topicId: string | null): Promise<boolean> {
    const res = await pool.query(
      `UPDATE ${this.table} SET next_offset = $4, topic_id = COALESCE($5, topic_id), updated_at = now()
       WHERE group_id = $1 AND topic = $2 AND partition = $3 AND generation = $6`,
      [this.groupId, topic, partition, next.toString(), topicId, generation.toString()],
    );
    return res.rowCount === 1;
  }

  /** Every stored offset of this group (lost-commit check, core/lost-commits.ts). */
  async stored(pool: Pool): Promise<StoredOffset[]> {
    const res = await pool.query<{ topic: string; partition: number; next_offset: string | null; generation: string }>(
      `SELECT topic, partition, next_offset, generation FROM ${this.table} WHERE group_id = $1`,
      [this.groupId],
    );
    return res.rows.map((r) => ({ topic: r.topic, partition: r.partition, next: r.next_offset === null ? null : BigInt(r.next_offset), generation: BigInt(r.generation) }));
  }

  /**
   * Returns false when fenced: some partition has a newer owner, or its stored offset is not the one
   * this writer moves from. The second catches a COMMIT that succeeded although the client saw an
   * error (connection lost during COMMIT): retrying the batch would apply it twice, but its offsets
   * update now matches no row, so the retry rolls back and the sink re-reads from what is stored.
   */
  async commit(client: PoolClient, writes: OffsetWrite[]): Promise<boolean> {
    if (writes.length === 0) return true;
    const res = await client.query(
      `UPDATE ${this.table} AS o SET next_offset = u.next, updated_at = now()
       FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bigint[], $6::bigint[]) AS u(topic, partition, next, gen, prev)
       WHERE o.group_id = $1 AND o.topic = u.topic AND o.partition = u.partition AND o.generation <= u.gen AND o.next_offset IS NOT DISTINCT FROM u.prev`,
      [
        this.groupId,
        writes.map((w) => w.topic),
        writes.map((w) => w.partition),
        writes.map((w) => w.next.toString()),
        writes.map((w) => w.generation.toString()),
        writes.map((w) => (w.prev === null ? null : w.prev.toString())),
      ],
    );
    return res.rowCount === writes.length;
  }
}
