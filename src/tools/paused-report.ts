/**
 * The paused tables of this sink group as the operator sees them: who paused each, since when, and
 * the records waiting in Kafka (log end − the offset stored in PostgreSQL, summed over partitions).
 * Read from PostgreSQL and Kafka, not from the sinks, so it answers with no sink running.
 * Used by `pause --list` and `status`.
 */
import type { ClientBase } from 'pg';
import type { Admin } from 'kafkajs';
import { OFFSETS_TABLE, PAUSED_TABLES_TABLE, qualified } from '../core/sql-ident.js';
import { PausedTablesStore } from '../sink/paused-tables-store.js';
import { topicTarget } from '../sink/core/topic-target.js';

export interface PausedReportRow {
  table: string;
  topic: string;
  since: string;
  by: string;
  reason: string | null;
  /** Records in Kafka past the stored offsets; null when Kafka could not be asked. */
  lag: number | null;
}

export async function pausedReport(
  client: ClientBase,
  admin: Admin | undefined,
  cfg: { pgSchema: string; sinkGroupId: string; kafkaTopicTemplate: string },
): Promise<PausedReportRow[]> {
  const exists = await client.query('SELECT to_regclass($1) AS t', [qualified(cfg.pgSchema, PAUSED_TABLES_TABLE)]);
  if (!exists.rows[0]?.t) return [];
  const paused = await new PausedTablesStore(cfg.pgSchema, cfg.sinkGroupId).list(client);
  const out: PausedReportRow[] = [];
  for (const p of paused) {
    out.push({
      table: p.table ?? topicTarget(p.topic, cfg.kafkaTopicTemplate).table,
      topic: p.topic,
      since: p.pausedAt.toISOString(),
      by: p.pausedBy,
      reason: p.reason,
      lag: admin ? await topicLag(client, admin, cfg, p.topic).catch(() => null) : null,
    });
  }
  return out;
}

async function topicLag(client: ClientBase, admin: Admin, cfg: { pgSchema: string; sinkGroupId: string }, topic: string): Promise<number> {
  const stored = new Map<number, bigint>();
  const offsets = await client.query('SELECT to_regclass($1) AS t', [qualified(cfg.pgSchema, OFFSETS_TABLE)]);
  if (offsets.rows[0]?.t) {
    const rows = await client.query<{ partition: number; next_offset: string | null }>(
      `SELECT partition, next_offset::text AS next_offset FROM ${qualified(cfg.pgSchema, OFFSETS_TABLE)} WHERE group_id = $1 AND topic = $2`,
      [cfg.sinkGroupId, topic],
    );
    for (const r of rows.rows) if (r.next_offset !== null) stored.set(r.partition, BigInt(r.next_offset));
  }
  let lag = 0n;
  for (const o of await admin.fetchTopicOffsets(topic)) {
    const from = stored.get(o.partition) ?? BigInt(o.low); // never read: from its log start
    if (BigInt(o.high) > from) lag += BigInt(o.high) - from;
  }
  return Number(lag);
}

export function formatPaused(rows: PausedReportRow[]): string {
  if (rows.length === 0) return 'no table paused\n';
  return rows
    .map((r) => `${r.table}  topic ${r.topic}  paused since ${r.since} by ${r.by}${r.reason ? ` (${r.reason})` : ''}  waiting in Kafka: ${r.lag ?? 'unknown'} record(s)\n`)
    .join('');
}
