/**
 * The reconcile run history (`<PG_SCHEMA>._cdc_reconcile_runs`): written by `scylla-pg-cdc
 * reconcile`, read by `reconcile status` and by the sink, which exports the latest accuracy per
 * table as `cdc_data_accuracy_percentage{table}` (README, "Observability") on its /metrics.
 */
import { qualified } from './sql-ident.js';

export const RUNS_TABLE = '_cdc_reconcile_runs';

export function createRunsTableSql(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, RUNS_TABLE)} (
  id bigserial PRIMARY KEY,
  table_name text NOT NULL,
  mode text NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  source_rows bigint NOT NULL,
  target_rows bigint NOT NULL,
  missing bigint NOT NULL,
  extra bigint NOT NULL,
  mismatched bigint NOT NULL,
  accuracy double precision NOT NULL,
  repaired_upserts bigint,
  repaired_deletes bigint,
  report_path text
)`;
}

/** The latest accuracy per table, for the sink's `cdc_data_accuracy_percentage`. */
export function latestAccuracySql(schema: string): string {
  return `SELECT DISTINCT ON (table_name) table_name, accuracy FROM ${qualified(schema, RUNS_TABLE)} ORDER BY table_name, id DESC`;
}
