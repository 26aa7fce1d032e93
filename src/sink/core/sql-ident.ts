/** SQL identifiers are always quoted (mixed case, reserved words, quotes inside names survive). */
const MAX_IDENT_BYTES = 63; // NAMEDATALEN - 1: PostgreSQL truncates longer names

export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\u0000')) throw new Error(`invalid SQL identifier ${JSON.stringify(name)}`);
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** Truncates to what PostgreSQL would store, on a UTF-8 character boundary, so catalog lookups match. */
export function pgName(name: string): string {
  const buf = Buffer.from(name, 'utf8');
  if (buf.length <= MAX_IDENT_BYTES) return name;
  let end = MAX_IDENT_BYTES;
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

/** Bookkeeping names (design.md §6: they start with `_cdc_`). */
export const TS_COLUMN = '_cdc_ts_us';
/** Per-cell write times, jsonb `{column: µs, "_marker": µs}` (NULL on rows not written by this version). */
export const CTS_COLUMN = '_cdc_cts';
/** Key of the row marker (INSERT) time in CTS_COLUMN. */
export const MARKER_KEY = '_marker';
export const listKeysColumn = (col: string) => pgName(`_cdc_lk_${col}`);
export const tombstoneTable = (table: string) => pgName(`_cdc_tombstones_${table}`);
export const OFFSETS_TABLE = '_cdc_offsets';
export const OFFSET_RESETS_TABLE = '_cdc_offset_resets';

/** A SQL string literal (standard_conforming_strings on: only quotes are doubled). */
export function quoteLiteral(s: string): string {
  if (s.includes('\u0000')) throw new Error('NUL in SQL literal');
  return `'${s.replace(/'/g, "''")}'`;
}
