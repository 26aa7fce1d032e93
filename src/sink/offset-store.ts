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
import { OFFSETS_TABLE, qualified } from './core/sql-ident.js';

export interface Claim {
  next: bigint | null;
  generation: bigint;
}

export interface OffsetWrite {
  topic: string;
  partition: number;
  next: bigint;
  generation: bigint;
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
    const res = await pool.query<{ next_offset: string | null; generation: string }>(
      `INSERT INTO ${this.table} AS o (group_id, topic, partition, next_offset, generation) VALUES ($1, $2, $3, NULL, 1)
       ON CONFLICT (group_id, topic, partition) DO UPDATE SET generation = o.generation + 1, updated_at = now()
       RETURNING next_offset, generation`,
      [this.groupId, topic, partition],
    );
    const row = res.rows[0]!;
    return { next: row.next_offset === null ? null : BigInt(row.next_offset), generation: BigInt(row.generation) };
  }

  /** Returns false when fenced (some partition has a newer owner). */
  async commit(client: PoolClient, writes: OffsetWrite[]): Promise<boolean> {
    if (writes.length === 0) return true;
    const res = await client.query(
      `UPDATE ${this.table} AS o SET next_offset = u.next, updated_at = now()
       FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bigint[]) AS u(topic, partition, next, gen)
       WHERE o.group_id = $1 AND o.topic = u.topic AND o.partition = u.partition AND o.generation <= u.gen`,
      [this.groupId, writes.map((w) => w.topic), writes.map((w) => w.partition), writes.map((w) => w.next.toString()), writes.map((w) => w.generation.toString())],
    );
    return res.rowCount === writes.length;
  }
}
