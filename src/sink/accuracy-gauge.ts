/** Refreshes `cdc_data_accuracy_percentage{table}` from the reconcile run history, if any. */
import type { Pool } from 'pg';
import { latestAccuracySql, RUNS_TABLE } from '../core/reconcile-runs-sql.js';
import { dataAccuracy } from '../metrics/prom-registry.js';
import { qualified } from '../core/sql-ident.js';

export async function refreshAccuracy(pool: Pool, schema: string): Promise<void> {
  const exists = await pool.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [qualified(schema, RUNS_TABLE)]);
  if (!exists.rows[0]?.t) return;
  const { rows } = await pool.query<{ table_name: string; accuracy: number }>(latestAccuracySql(schema));
  for (const r of rows) dataAccuracy.set({ table: r.table_name }, r.accuracy);
}
