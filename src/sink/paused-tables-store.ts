/**
 * `<PG_SCHEMA>._cdc_paused_tables`: the operator's pauses (`scylla-pg-cdc pause|resume`), per sink
 * group and topic. Written by the CLI, polled by every sink of the group (table-pauses.ts).
 *
 * Why PostgreSQL: the sink already keeps its offsets and offset problems there, in the schema it
 * owns, so a pause needs no new system, ACL or topic; it survives restarts; and every sink of a
 * group reads the same row. Kafka has no per-consumer-group place for such a flag (a compacted topic
 * would mean another internal topic to create, secure and read to its end on every poll).
 */
import type { ClientBase, Pool } from 'pg';
import { PAUSED_TABLES_TABLE, qualified } from '../core/sql-ident.js';

export interface PausedTopic {
  topic: string;
  /** `keyspace.table` as the operator named it (`--table`), or null (`--topic`). */
  table: string | null;
  pausedAt: Date;
  pausedBy: string;
  reason: string | null;
}

type Queryable = Pool | ClientBase;

interface Row {
  topic: string;
  table_name: string | null;
  paused_at: Date;
  paused_by: string;
  reason: string | null;
}

const toPaused = (r: Row): PausedTopic => ({ topic: r.topic, table: r.table_name, pausedAt: r.paused_at, pausedBy: r.paused_by, reason: r.reason });
const COLUMNS = 'topic, table_name, paused_at, paused_by, reason';

export class PausedTablesStore {
  private readonly table: string;

  constructor(
    schema: string,
    private readonly groupId: string,
  ) {
    this.table = qualified(schema, PAUSED_TABLES_TABLE);
  }

  async list(q: Queryable): Promise<PausedTopic[]> {
    const res = await q.query<Row>(`SELECT ${COLUMNS} FROM ${this.table} WHERE group_id = $1 ORDER BY topic`, [this.groupId]);
    return res.rows.map(toPaused);
  }

  /** Records the pause; a topic already paused keeps its first pause (who, when, why): `existing`. */
  async pause(q: Queryable, p: Omit<PausedTopic, 'pausedAt'>): Promise<{ created: boolean; paused: PausedTopic }> {
    const ins = await q.query<Row>(
      `INSERT INTO ${this.table} (group_id, topic, table_name, paused_by, reason) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (group_id, topic) DO NOTHING RETURNING ${COLUMNS}`,
      [this.groupId, p.topic, p.table, p.pausedBy, p.reason],
    );
    if (ins.rows[0]) return { created: true, paused: toPaused(ins.rows[0]) };
    const cur = await q.query<Row>(`SELECT ${COLUMNS} FROM ${this.table} WHERE group_id = $1 AND topic = $2`, [this.groupId, p.topic]);
    return { created: false, paused: toPaused(cur.rows[0]!) };
  }

  /** Removes the pause; returns it, or undefined when the topic was not paused. */
  async resume(q: Queryable, topic: string): Promise<PausedTopic | undefined> {
    const res = await q.query<Row>(`DELETE FROM ${this.table} WHERE group_id = $1 AND topic = $2 RETURNING ${COLUMNS}`, [this.groupId, topic]);
    return res.rows[0] ? toPaused(res.rows[0]) : undefined;
  }
}
