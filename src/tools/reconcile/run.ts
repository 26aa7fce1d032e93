/**
 * `scylla-pg-cdc reconcile --table KS.T | --all-tables [--dry-run | --repair] [--report FILE]`
 * `scylla-pg-cdc reconcile status [--limit N] [--json]`
 *
 * Streaming compare, memory bounded on tables larger than RAM: ScyllaDB is read by token ranges with
 * paging and COPY'd into a temporary staging table in PostgreSQL (the sink's staging layout), and the
 * comparison runs there, in SQL, with values compared in the target's types. Node holds one page at
 * a time; the report lists at most --max-listed keys per kind (counts are always exact).
 *
 * Exit codes: 0 consistent (or repaired), 3 differences found (dry run), 1 the run failed, 2 usage.
 *
 * `--repair` applies the fixes through the sink's version-guarded apply at the reconcile's start
 * time, so it is safe while the pipeline runs: a change the pipeline applies meanwhile is newer and
 * wins. Every run is recorded in `<PG_SCHEMA>._cdc_reconcile_runs`; the sink exports the latest
 * accuracy per table as `cdc_data_accuracy_percentage{table}`.
 */
import { print, printErr } from '../../cli/output.js';
import { writeFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { createPgPool } from '../../clients/postgres.js';
import copyStreams from 'pg-copy-streams';
import type { CommandContext } from '../../cli/command-context.js';
import { parseCommandArgs, type OptionSpec } from '../../cli/args.js';
import { readSecretFile } from '../../config/read-secret-file.js';
import { loadToolsConfig, type ToolsConfig } from '../../config/tools-config.js';
import { createLogger } from '../../log/logger.js';
import { deriveTableShape } from '../../sink/core/table-shape.js';
import { copyStagingSql, deleteRowsSql, insertTombstonesSql, mergeRowsSql, stagingDdl } from '../../sink/core/apply-sql.js';
import { TableManager } from '../../sink/table-manager.js';
import { topicFor } from '../../core/topic-name.js';
import { envelopeSchema, keySchema } from '../../schema/cql-to-avro.js';
import { discoverTable } from '../../source/table-discovery.js';
import { createScyllaClient } from '../../source/scylla-session.js';
import { countsSql, extraSql, mismatchSql, missingSql, prepareRepairSql } from './diff-sql.js';
import { buildReport, type ReconcileReport } from './report.js';
import { recordRun, printRuns } from './runs-table.js';
import { stagingLines, type StageProgress } from './stage-rows.js';

export interface ReconcileArgs {
  tables: string[];
  all: boolean;
  repair: boolean;
  reportPath?: string;
  maxListed: number;
  ranges: number;
}

const USAGE =
  'usage: scylla-pg-cdc reconcile (--table KS.T | --all-tables) [--dry-run | --repair] [--report FILE] [--max-listed N] [--ranges N]\n       scylla-pg-cdc reconcile status [--limit N] [--json]';

const OPTIONS: OptionSpec = {
  table: { type: 'string', multiple: true },
  'all-tables': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  repair: { type: 'boolean' },
  report: { type: 'string' },
  'max-listed': { type: 'string' },
  ranges: { type: 'string' },
};

export function parseReconcileArgs(argv: string[]): ReconcileArgs {
  const x = parseCommandArgs(argv, OPTIONS, USAGE);
  const report = x.string('report');
  const a: ReconcileArgs = {
    tables: x.strings('table'),
    all: x.flag('all-tables'),
    repair: x.flag('repair'),
    maxListed: x.int('max-listed', 1000),
    ranges: x.int('ranges', 64, 1),
    ...(report === undefined ? {} : { reportPath: report }),
  };
  if (x.flag('dry-run') && a.repair) throw x.error('--dry-run and --repair exclude each other');
  if (a.all === a.tables.length > 0) throw x.error('give --table KS.T (repeatable) or --all-tables');
  for (const t of a.tables) if (!/^[^.]+\.[^.]+$/.test(t)) throw x.error(`--table expects keyspace.table, got "${t}"`);
  return a;
}

/** `reconcile status [--limit N] [--json]`. */
export function parseStatusArgs(argv: string[]): { limit: number; json: boolean } {
  const x = parseCommandArgs(argv, { limit: { type: 'string' }, json: { type: 'boolean' } }, USAGE);
  return { limit: x.int('limit', 20, 1), json: x.flag('json') };
}

function progressPrinter(table: string): (p: StageProgress) => void {
  if (!process.stderr.isTTY) return () => undefined;
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 200) return;
    last = now;
    printErr(`\r${table}: ${p.rows.toLocaleString()} rows read, token range ${p.range}/${p.ranges}   `);
  };
}

async function reconcileTable(
  cfg: ToolsConfig,
  args: ReconcileArgs,
  scylla: ReturnType<typeof createScyllaClient>['client'],
  pool: pg.Pool,
  qualifiedName: string,
): Promise<ReconcileReport> {
  const log = createLogger('reconcile', cfg.logLevel, 'stderr');
  const startedAt = new Date();
  const versionUs = BigInt(startedAt.getTime()) * 1000n;
  const model = await discoverTable(scylla, qualifiedName, { exclude: cfg.scyllaExcludeColumns ?? [] });
  const { shape } = deriveTableShape(keySchema(model) as never, envelopeSchema(model) as never);
  const tables = new TableManager(
    pool,
    cfg.pgSchema,
    { autoCreate: args.repair, autoEvolve: args.repair, deleteMode: cfg.sinkDeleteMode, map: cfg.sinkTableMap, exclude: cfg.sinkExcludeColumns },
    log,
  );
  if (args.repair) await tables.init();
  const target = await tables.target(model.table, shape, { keyspace: model.keyspace, topic: topicFor(cfg.kafkaTopicTemplate, model.keyspace, model.table) });

  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(stagingDdl(target));
    const progress = progressPrinter(qualifiedName);
    let staged: StageProgress = { rows: 0, range: 0, ranges: args.ranges, staticOnly: 0 };
    const lines = stagingLines(scylla, model, target, {
      versionUs,
      fetchSize: 2000,
      ranges: args.ranges,
      onProgress: (p) => {
        staged = { ...p };
        progress(p);
      },
    });
    await pipeline(Readable.from(lines), client.query(copyStreams.from(copyStagingSql)));
    if (process.stderr.isTTY) process.stderr.write('\n');
    await client.query('ANALYZE _cdc_stg');
    const counts = (await client.query<Record<string, string>>(countsSql(target))).rows[0]!;
    const missing = (await client.query<{ key: unknown }>(missingSql(target, args.maxListed))).rows.map((r) => r.key);
    const extra = (await client.query<{ key: unknown }>(extraSql(target, args.maxListed))).rows.map((r) => r.key);
    const mismatches = (await client.query<{ key: unknown; columns: string[]; source: unknown; target: unknown }>(mismatchSql(target, args.maxListed))).rows;
    let repaired: ReconcileReport['repaired'] = null;
    if (args.repair) {
      for (const sql of prepareRepairSql(target)) await client.query(sql, sql.includes('$1') ? [versionUs.toString()] : []);
      const del = await client.query(deleteRowsSql(target));
      await client.query(insertTombstonesSql(target));
      const merged = await client.query(mergeRowsSql(target));
      repaired = { upserted: merged.rowCount ?? 0, deleted: del.rowCount ?? 0, versionUs: versionUs.toString() };
    }
    await client.query(args.repair ? 'COMMIT' : 'ROLLBACK');
    const report = buildReport({
      table: qualifiedName,
      mode: args.repair ? 'repair' : 'dry-run',
      startedAt,
      counts: {
        source: Number(counts.source_rows),
        target: Number(counts.target_rows),
        missing: Number(counts.missing),
        extra: Number(counts.extra),
        mismatched: Number(counts.mismatched),
      },
      staticOnlySkipped: staged.staticOnly,
      missing,
      extra,
      mismatches,
      maxListed: args.maxListed,
      repaired,
    });
    await recordRun(pool, cfg.pgSchema, report, args.reportPath);
    return report;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined); // the original error is what matters
    throw err;
  } finally {
    client.release();
  }
}

export async function runReconcile(ctx: CommandContext): Promise<number> {
  if (ctx.argv[0] === 'status') {
    const status = parseStatusArgs(ctx.argv.slice(1));
    return printRuns(loadToolsConfig(ctx.env, readSecretFile), status);
  }
  const args = parseReconcileArgs(ctx.argv);
  const cfg = loadToolsConfig(ctx.env, readSecretFile);
  const tables = args.all ? (cfg.scyllaTables ?? []) : args.tables;
  if (tables.length === 0) throw Object.assign(new Error('--all-tables needs SCYLLA_TABLES (the tables the pipeline replicates)'), { exitCode: 2 });
  const { client: scylla } = createScyllaClient(cfg);
  const pool = createPgPool(cfg, 'scylla-pg-cdc-reconcile', createLogger('reconcile', cfg.logLevel, 'stderr'), { max: 2 });
  const reports: ReconcileReport[] = [];
  try {
    await scylla.connect();
    for (const table of tables) {
      const report = await reconcileTable(cfg, args, scylla, pool, table);
      reports.push(report);
      const c = report.counts;
      print(
        `${table}: ${c.source_rows} in ScyllaDB, ${c.target_rows} in PostgreSQL; missing ${c.missing_in_target}, extra ${c.extra_in_target}, mismatched ${c.mismatches}; accuracy ${report.accuracy_percentage.toFixed(3)}%${report.repaired ? `; repaired: ${report.repaired.upserted} upserted, ${report.repaired.deleted} deleted` : ''}\n`,
      );
    }
  } finally {
    await scylla.shutdown().catch(() => undefined); // best effort at exit
    await pool.end();
  }
  if (args.reportPath) {
    writeFileSync(args.reportPath, `${JSON.stringify(reports.length === 1 ? reports[0] : { reports }, null, 2)}\n`);
    print(`report written to ${args.reportPath}\n`);
  }
  // Exit 0 when consistent (or repaired), 3 when a dry run found differences (1 stays "the run
  // failed", 2 "bad usage"): scripts can gate on it.
  return args.repair || reports.every((r) => r.accuracy_percentage === 100) ? 0 : 3;
}
