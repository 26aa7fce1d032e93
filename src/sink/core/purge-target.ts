/**
 * The TTL purge's view of a target table, from the catalog alone: it runs over every table of
 * PG_SCHEMA that has expiry columns, including tables no record has touched since the sink started.
 */
import { DELETED_AT_COLUMN, isReserved, listKeysColumn } from '../../core/sql-ident.js';
import type { TargetTable } from './target-table.js';

export interface CatalogTable {
  table: string;
  /** Every column name of the table. */
  columns: string[];
  /** Primary-key columns in key order. */
  keys: string[];
}

export function purgeTarget(schema: string, c: CatalogTable, softDelete: boolean): TargetTable {
  const names = new Set(c.columns);
  const keys = new Set(c.keys);
  return {
    schema,
    table: c.table,
    keyColumns: c.keys.map((name) => ({ name, pgType: '', storage: 'scalar' })),
    valueColumns: c.columns
      .filter((n) => !keys.has(n) && !isReserved(n))
      .map((name) => ({ name, pgType: '', storage: 'scalar', ...(names.has(listKeysColumn(name)) ? { collection: 'list' as const } : {}) })),
    deletedAt: names.has(DELETED_AT_COLUMN),
    softDelete,
  };
}
