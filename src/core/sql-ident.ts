/** SQL identifiers are always quoted (mixed case, reserved words, quotes inside names survive). */
import { createHash } from 'node:crypto';

const MAX_IDENT_BYTES = 63; // NAMEDATALEN - 1: PostgreSQL truncates longer names
const SHORT_HASH_HEX = 8;

export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\u0000')) throw new Error(`invalid SQL identifier ${JSON.stringify(name)}`);
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/**
 * The PostgreSQL name for a ScyllaDB/Avro name. PostgreSQL cuts identifiers at 63 bytes
 * (NAMEDATALEN − 1, "Identifiers and Key Words" in the PostgreSQL manual) without an error, so two
 * long names sharing their first 63 bytes would silently become one column (and a value was lost).
 * A longer name becomes its first bytes (cut on a UTF-8 character boundary) + `_` + the first 8 hex
 * digits of the SHA-256 of the whole name: 63 bytes at most, the same on every run and every sink.
 */
export function pgName(name: string): string {
  const buf = Buffer.from(name, 'utf8');
  if (buf.length <= MAX_IDENT_BYTES) return name;
  const suffix = `_${createHash('sha256').update(buf).digest('hex').slice(0, SHORT_HASH_HEX)}`;
  let end = MAX_IDENT_BYTES - suffix.length;
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8') + suffix;
}

/** Names the sink keeps for itself: a record can never make one a target table or a user column. */
export const RESERVED_PREFIX = '_cdc_';
export const isReserved = (name: string) => name.toLowerCase().startsWith(RESERVED_PREFIX);

/** Bookkeeping names (docs/type-map.md: they start with `_cdc_`). */
export const TS_COLUMN = '_cdc_ts_us';
/** Per-cell write times, jsonb `{column: µs, "_marker": µs}` (NULL on rows not written by this version). */
export const CTS_COLUMN = '_cdc_cts';
/** SINK_DELETE_MODE=soft: when the row was deleted (the delete's write time); NULL = live. */
export const DELETED_AT_COLUMN = '_cdc_deleted_at';
/** Per-cell TTL expiry times, jsonb `{column: µs, "_marker": µs}`; an absent entry (or NULL) = never expires. */
export const CEXP_COLUMN = '_cdc_cexp';
/** The earliest entry of CEXP_COLUMN as timestamptz (a generated column): when the TTL purge must look at the row. */
export const EXPIRES_AT_COLUMN = '_cdc_expires_at';
export const expiresAtIndex = (table: string) => pgName(`_cdc_exp_${table}`);
/** Key of the row marker (INSERT) time in CTS_COLUMN (and of its expiry in CEXP_COLUMN). */
export const MARKER_KEY = '_marker';
export const listKeysColumn = (col: string) => pgName(`_cdc_lk_${col}`);
export const tombstoneTable = (table: string) => pgName(`_cdc_tombstones_${table}`);
/** Partition and range deletes of a clustered table, with their bounds (sink/core/range-tombstone-sql.ts). */
export const rangeTombstoneTable = (table: string) => pgName(`_cdc_range_tombstones_${table}`);
/** A clustered table's static columns, one row per partition (sink/core/static-partition-sql.ts). */
export const staticTable = (table: string) => pgName(`_cdc_static_${table}`);
export const OFFSETS_TABLE = '_cdc_offsets';
export const OFFSET_RESETS_TABLE = '_cdc_offset_resets';
/** Topics the operator paused (`scylla-pg-cdc pause`), per sink group. */
export const PAUSED_TABLES_TABLE = '_cdc_paused_tables';

/** A SQL string literal (standard_conforming_strings on: only quotes are doubled). */
export function quoteLiteral(s: string): string {
  if (s.includes('\u0000')) throw new Error('NUL in SQL literal');
  return `'${s.replace(/'/g, "''")}'`;
}
