/** The target table as the apply SQL sees it: column names with their *actual* PG types. */
import type { CollectionKind } from './types.js';

export interface TargetColumn {
  name: string;
  /** The type the column has in PostgreSQL (may differ from the mapped one for pre-made tables). */
  pgType: string;
  storage: 'scalar' | 'array' | 'json';
  collection?: CollectionKind;
}

export interface TargetTable {
  schema: string;
  table: string;
  keyColumns: TargetColumn[];
  valueColumns: TargetColumn[];
  /**
   * The table has `_cdc_deleted_at` (SINK_DELETE_MODE=soft, now or in an earlier run): a row with it
   * set is absent for every change and for reconcile (soft-delete-sql.ts).
   */
  deletedAt?: boolean;
  /** SINK_DELETE_MODE=soft: a row that disappears is kept and marked rather than deleted. */
  softDelete?: boolean;
  /**
   * Schema of the sink's collection-merge functions (PG_SCHEMA); unset = `schema`. A table that
   * SINK_TABLE_MAP puts in another schema uses them from there, so the operator's schema gets none.
   */
  helperSchema?: string;
  /**
   * How many leading key columns are the partition key, set when the table has clustering columns
   * and the record schema says which they are: it then has a `_cdc_range_tombstones_<table>`
   * companion (range-tombstone-sql.ts), which the MERGE reads and barrier deletes write.
   */
  partitionKeyLength?: number;
  /**
   * With `partitionKeyLength`: per clustering column, whether it is declared DESC (unset = all ASC).
   * Range deletes and range tombstones compare in this order (clustering-order-sql.ts).
   */
  descending?: boolean[];
  /**
   * A unique, immediate, non-partial index on exactly the key columns exists (a table the sink made
   * has its primary key there): `INSERT … ON CONFLICT (keys)` can use it (plain-upsert-sql.ts).
   * Unset = unknown or not: only the MERGE, which needs no index, is used.
   */
  onConflictKey?: boolean;
  /** The table's `_cdc_static_<table>` companion (static-partition-sql.ts), when it exists or the batch creates it. */
  statics?: TargetTable;
}

export const helperSchemaOf = (t: TargetTable): string => t.helperSchema ?? t.schema;
