/**
 * DDL the sink runs: schema, offsets table, collection-merge helper functions, target tables and
 * their tombstone side tables, ADD COLUMN for evolution. Never DROP: a column dropped in Scylla stays
 * (older rows keep their values; Kafka Connect's auto.evolve does the same).
 */
import { CTS_COLUMN, OFFSETS_TABLE, OFFSET_RESETS_TABLE, PAUSED_TABLES_TABLE, TS_COLUMN, listKeysColumn, qualified, quoteIdent, tombstoneTable } from '../../core/sql-ident.js';
import type { ColumnShape, TableShape } from './types.js';

export function createSchemaSql(schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`;
}

export function createOffsetsTableSql(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, OFFSETS_TABLE)} (
  group_id text NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL,
  next_offset bigint,
  generation bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  topic_id text,
  PRIMARY KEY (group_id, topic, partition)
)`;
}

/**
 * Offsets tables made before topic ids were stored get the column; NULL means "not known yet" (the
 * next assignment fills it in).
 */
export function addOffsetsTopicIdSql(schema: string): string {
  return `ALTER TABLE ${qualified(schema, OFFSETS_TABLE)} ADD COLUMN IF NOT EXISTS topic_id text`;
}

/**
 * Every time a stored offset did not match its log (offset-check.ts): what was found, what the sink
 * did, and whether an operator acknowledged it. Unacknowledged retention gaps and held partitions
 * keep the sink not ready (/readyz, `health`) across restarts, until `offsets ack`.
 */
export function createOffsetResetsTableSql(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, OFFSET_RESETS_TABLE)} (
  id bigserial PRIMARY KEY,
  group_id text NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL,
  reason text NOT NULL,
  action text NOT NULL,
  stored_offset bigint,
  log_start bigint NOT NULL,
  log_end bigint NOT NULL,
  stored_topic_id text,
  topic_id text,
  lost_offsets bigint,
  detail text NOT NULL,
  detected_at timestamptz NOT NULL DEFAULT now(),
  acknowledged_at timestamptz
)`;
}

/**
 * Tables the operator paused (`scylla-pg-cdc pause`): one row per topic while paused, deleted by
 * `resume`. Every sink of the group polls it (SINK_TOPIC_REFRESH_MS) and stops applying the topic;
 * being in PostgreSQL, a pause outlives sink restarts and is seen by every sink of the group.
 */
export function createPausedTablesSql(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, PAUSED_TABLES_TABLE)} (
  group_id text NOT NULL,
  topic text NOT NULL,
  table_name text,
  paused_at timestamptz NOT NULL DEFAULT now(),
  paused_by text NOT NULL,
  reason text,
  PRIMARY KEY (group_id, topic)
)`;
}

function columnDefs(cols: ColumnShape[], notNull: boolean): string[] {
  const out: string[] = [];
  for (const c of cols) {
    out.push(`${quoteIdent(c.name)} ${c.pgType}${notNull ? ' NOT NULL' : ''}`);
    if (c.collection === 'list') out.push(`${quoteIdent(listKeysColumn(c.name))} text[]`);
  }
  return out;
}

export function createTableSql(schema: string, table: string, shape: TableShape): string {
  if (shape.keyColumns.length === 0) throw new Error(`table ${table}: the record key has no columns, no primary key can be made`);
  const defs = [...columnDefs(shape.keyColumns, true), ...columnDefs(shape.valueColumns, false), `${quoteIdent(TS_COLUMN)} bigint`, `${quoteIdent(CTS_COLUMN)} jsonb`];
  const pk = shape.keyColumns.map((c) => quoteIdent(c.name)).join(', ');
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, table)} (\n  ${defs.join(',\n  ')},\n  PRIMARY KEY (${pk})\n)`;
}

export function createTombstoneTableSql(schema: string, table: string, keyColumns: { name: string; pgType: string }[]): string {
  const defs = keyColumns.map((c) => `${quoteIdent(c.name)} ${c.pgType} NOT NULL`);
  const pk = keyColumns.map((c) => quoteIdent(c.name)).join(', ');
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, tombstoneTable(table))} (\n  ${defs.join(',\n  ')},\n  ${quoteIdent(TS_COLUMN)} bigint NOT NULL,\n  PRIMARY KEY (${pk})\n)`;
}

/** ADD COLUMN for each value column missing from the table (its list-key companion included). */
export function addColumnsSql(schema: string, table: string, missing: ColumnShape[]): string[] {
  const out: string[] = [];
  for (const c of missing) {
    out.push(`ALTER TABLE ${qualified(schema, table)} ADD COLUMN IF NOT EXISTS ${quoteIdent(c.name)} ${c.pgType}`);
    if (c.collection === 'list') out.push(`ALTER TABLE ${qualified(schema, table)} ADD COLUMN IF NOT EXISTS ${quoteIdent(listKeysColumn(c.name))} text[]`);
  }
  return out;
}

export function addTsColumnSql(schema: string, table: string): string {
  return `ALTER TABLE ${qualified(schema, table)} ADD COLUMN IF NOT EXISTS ${quoteIdent(TS_COLUMN)} bigint`;
}

/** Migration of tables made before per-cell write times (or by other tools): NULL = "all at _cdc_ts_us". */
export function addCtsColumnSql(schema: string, table: string): string {
  return `ALTER TABLE ${qualified(schema, table)} ADD COLUMN IF NOT EXISTS ${quoteIdent(CTS_COLUMN)} jsonb`;
}

/**
 * Collection-delta helpers (schemas/README.md "Non-frozen collections"). An empty collection is
 * NULL, as in Scylla. Sets are kept sorted and distinct; lists are ordered by their element keys
 * (the `_cdc_lk_<col>` companion holds the sortable timeuuid key of each element, pg-text.ts
 * listKeyText); maps and UDTs are jsonb objects.
 */
export function mergeFunctionsSql(schema: string): string[] {
  const f = (name: string) => qualified(schema, name);
  return [
    `CREATE OR REPLACE FUNCTION ${f('_cdc_set_merge')}(cur anyarray, add anyarray, rem anyarray) RETURNS anyarray
LANGUAGE sql IMMUTABLE AS $$
  SELECT array_agg(e ORDER BY e) FROM (SELECT DISTINCT e FROM unnest(array_cat(cur, add)) AS u(e)
   WHERE e IS NOT NULL AND (rem IS NULL OR NOT (e = ANY (rem)))) x
$$`,
    `CREATE OR REPLACE FUNCTION ${f('_cdc_jset_merge')}(cur jsonb, add jsonb, rem jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_agg(e ORDER BY e) FROM (SELECT DISTINCT e FROM jsonb_array_elements(coalesce(cur, '[]') || coalesce(add, '[]')) AS u(e)
   WHERE rem IS NULL OR NOT (rem @> jsonb_build_array(e))) x
$$`,
    `CREATE OR REPLACE FUNCTION ${f('_cdc_map_merge')}(cur jsonb, add jsonb, rem text[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT nullif((coalesce(cur, '{}') - coalesce(rem, '{}'::text[])) || coalesce(add, '{}'), '{}'::jsonb)
$$`,
    // Existing elements without a stored key (written by OVERWRITE without list_keys, or by another
    // tool) sort first, in their current order.
    `CREATE OR REPLACE FUNCTION ${f('_cdc_list_merge')}(cur anyarray, keys text[], add anyarray, addk text[], rem text[]) RETURNS anyarray
LANGUAGE sql IMMUTABLE AS $$
  SELECT array_agg(v ORDER BY k COLLATE "C") FROM (
    SELECT v, coalesce(keys[i], '!' || lpad(i::text, 10, '0')) AS k FROM unnest(cur) WITH ORDINALITY AS o(v, i)
     WHERE coalesce(keys[i], '!' || lpad(i::text, 10, '0')) <> ALL (coalesce(addk, '{}'))
    UNION ALL
    SELECT v, coalesce(addk[i], '~' || lpad(i::text, 10, '0')) FROM unnest(add) WITH ORDINALITY AS n(v, i)
  ) x WHERE k <> ALL (coalesce(rem, '{}'))
$$`,
    `CREATE OR REPLACE FUNCTION ${f('_cdc_jlist_merge')}(cur jsonb, keys text[], add jsonb, addk text[], rem text[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_agg(v ORDER BY k COLLATE "C") FROM (
    SELECT v, coalesce(keys[i], '!' || lpad(i::text, 10, '0')) AS k FROM jsonb_array_elements(coalesce(cur, '[]')) WITH ORDINALITY AS o(v, i)
     WHERE coalesce(keys[i], '!' || lpad(i::text, 10, '0')) <> ALL (coalesce(addk, '{}'))
    UNION ALL
    SELECT v, coalesce(addk[i], '~' || lpad(i::text, 10, '0')) FROM jsonb_array_elements(coalesce(add, '[]')) WITH ORDINALITY AS n(v, i)
  ) x WHERE k <> ALL (coalesce(rem, '{}'))
$$`,
    `CREATE OR REPLACE FUNCTION ${f('_cdc_list_keys')}(cur_len integer, keys text[], addk text[], add_len integer, rem text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT array_agg(k ORDER BY k COLLATE "C") FROM (
    SELECT coalesce(keys[i], '!' || lpad(i::text, 10, '0')) AS k FROM generate_series(1, coalesce(cur_len, 0)) AS o(i)
     WHERE coalesce(keys[i], '!' || lpad(i::text, 10, '0')) <> ALL (coalesce(addk, '{}'))
    UNION ALL
    SELECT coalesce(addk[i], '~' || lpad(i::text, 10, '0')) FROM generate_series(1, coalesce(add_len, 0)) AS n(i)
  ) x WHERE k <> ALL (coalesce(rem, '{}'))
$$`,
  ];
}
