/**
 * Which ScyllaDB table a target table replicates, kept in the table's comment
 * (`COMMENT ON TABLE`, PostgreSQL docs "COMMENT"). The sink names target tables after the Scylla
 * table only, so ks1.users and ks2.users (topics apart under `cdc.{keyspace}.{table}`) would
 * otherwise merge silently into one PostgreSQL table, across restarts and across sink processes.
 */
import { qualified, quoteLiteral } from '../../core/sql-ident.js';

const PREFIX = 'scylla-pg-cdc replicates ';

export const ORIGIN_SQL = `SELECT obj_description(c.oid, 'pg_class') AS c FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`;

/** `keyspace.table` from a comment: null = no comment (claim it), undefined = someone else's comment (leave it). */
export function originOf(comment: string | null): string | null | undefined {
  if (comment === null || comment === '') return null;
  return comment.startsWith(PREFIX) ? comment.slice(PREFIX.length) : undefined;
}

export function setOriginSql(schema: string, table: string, origin: string): string {
  return `COMMENT ON TABLE ${qualified(schema, table)} IS ${quoteLiteral(PREFIX + origin)}`;
}
