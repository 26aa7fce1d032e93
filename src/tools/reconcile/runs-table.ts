/**
 * History of reconcile runs in `<PG_SCHEMA>._cdc_reconcile_runs`: `reconcile status` lists it, and
 * the sink's /metrics exports the latest accuracy per table from it.
 */
import { print } from '../../cli/output.js';
import type pg from 'pg';
import { createPgClient } from '../../clients/postgres.js';
import type { ToolsConfig } from '../../config/tools-config.js';
import { createSchemaIfMissing } from '../../clients/pg-schema.js';
import { qualified } from '../../core/sql-ident.js';
import { createRunsTableSql, RUNS_TABLE } from '../../core/reconcile-runs-sql.js';
import type { ReconcileReport } from './report.js';

export async function recordRun(pool: pg.Pool, schema: string, r: ReconcileReport, reportPath: string | undefined): Promise<void> {
  await createSchemaIfMissing(pool, schema);
  await pool.query(createRunsTableSql(schema));
  // A repair leaves the table at 100 % (what it fixed is in the row); the gauge reports that.
  const after = r.repaired ? 100 : r.accuracy_percentage;
  await pool.query(
    `INSERT INTO ${qualified(schema, RUNS_TABLE)} (table_name, mode, started_at, finished_at, source_rows, target_rows, missing, extra, mismatched, accuracy, repaired_upserts, repaired_deletes, report_path)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      r.table.split('.')[1],
      r.mode,
      r.started_at,
      r.finished_at,
      r.counts.source_rows,
      r.counts.target_rows,
      r.counts.missing_in_target,
      r.counts.extra_in_target,
      r.counts.mismatches,
      after,
      r.repaired?.upserted ?? null,
      r.repaired?.deleted ?? null,
      reportPath ?? null,
    ],
  );
}

export async function printRuns(cfg: ToolsConfig, opts: { limit: number; json: boolean }): Promise<number> {
  const { limit } = opts;
  const client = createPgClient(cfg, 'scylla-pg-cdc-reconcile');
  await client.connect();
  try {
    const exists = await client.query('SELECT to_regclass($1) AS t', [qualified(cfg.pgSchema, RUNS_TABLE)]);
    const rows = exists.rows[0]?.t ? (await client.query(`SELECT * FROM ${qualified(cfg.pgSchema, RUNS_TABLE)} ORDER BY id DESC LIMIT $1`, [limit])).rows : [];
    if (opts.json) {
      print(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    if (rows.length === 0) print('no reconcile runs yet\n');
    for (const r of rows as Record<string, unknown>[]) {
      print(
        `${(r.finished_at as Date).toISOString()}  ${String(r.table_name).padEnd(20)} ${String(r.mode).padEnd(7)} accuracy ${Number(r.accuracy).toFixed(3)}%  source ${r.source_rows}, target ${r.target_rows}, missing ${r.missing}, extra ${r.extra}, mismatched ${r.mismatched}${r.repaired_upserts !== null ? `, repaired ${r.repaired_upserts}+${r.repaired_deletes}` : ''}\n`,
      );
    }
    return 0;
  } finally {
    await client.end();
  }
}
