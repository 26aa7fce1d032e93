/** The sink process's configuration (README "Configuration"; docs/type-map.md). */
import { excludeRules, kafkaConnVars, kafkaVars, opsVars, pgVars, registryVars } from './common-vars.js';
import { connectionProblems } from './connection-checks.js';
import { bool, defineVar, intIn, loadConfig, oneOf, str, type ConfigOf, type FileReader } from './spec.js';
import { tableMap, tableMapCheck } from './table-map-var.js';

export const sinkVars = {
  ...kafkaConnVars,
  ...registryVars,
  ...pgVars,
  ...opsVars('9102'),
  sinkTopics: defineVar({ env: 'SINK_TOPICS', schema: str.min(1), default: '^cdc\\.scylla\\..+', description: 'topics to consume: a regex (^...) or a comma list' }),
  sinkGroupId: defineVar({ env: 'SINK_GROUP_ID', schema: str.min(1), default: 'scylla-pg-cdc-sink', description: 'Kafka consumer group; also the key of stored offsets' }),
  sinkBatchSize: defineVar({ env: 'SINK_BATCH_SIZE', schema: intIn(1, 1_000_000), default: '5000', description: 'flush a table batch at this many changes' }),
  sinkBatchMaxWaitMs: defineVar({
    env: 'SINK_BATCH_MAX_WAIT_MS',
    schema: intIn(1),
    default: '200',
    description: 'close a table batch at this age while its flush lane is busy (with the lane idle it is written at once)',
  }),
  sinkWorkers: defineVar({ env: 'SINK_WORKERS', schema: intIn(1, 64), default: '2', description: 'decode worker threads (piscina)' }),
  sinkMaxInflightBytes: defineVar({
    env: 'SINK_MAX_INFLIGHT_BYTES',
    schema: intIn(1024),
    default: '25165824',
    description: 'bound on fetched-but-uncommitted bytes; consumption pauses above it',
  }),
  sinkMaxRecordBytes: defineVar({
    env: 'SINK_MAX_RECORD_BYTES',
    schema: intIn(1024),
    default: '8388608',
    description: 'a record whose key + value exceed this is dead-lettered (too-large) without being decoded',
  }),
  sinkDecodeTimeoutMs: defineVar({
    env: 'SINK_DECODE_TIMEOUT_MS',
    schema: intIn(100),
    default: '60000',
    description: 'time limit of a decode job (from submission); past it the worker is replaced and the records retried alone once, then dead-lettered',
  }),
  sinkWorkerHeapMb: defineVar({
    env: 'SINK_WORKER_HEAP_MB',
    schema: intIn(32, 16384),
    default: '512',
    description: 'heap limit of each decode worker thread; a worker past it ends alone and is replaced',
  }),
  sinkHeapGrowingPercent: defineVar({
    env: 'SINK_HEAP_GROWING_PERCENT',
    schema: intIn(0, 400),
    default: '50',
    description:
      "how far V8 lets the sink's heaps grow past their live size before a full collection (V8's --heap-growing-percent); lower = less memory, more GC; 0 = V8's own heuristics (docs/sink.md, \"Memory\")",
  }),
  kafkaTopicTemplate: kafkaVars.kafkaTopicTemplate,
  pgStatementTimeoutMs: defineVar({
    env: 'PG_STATEMENT_TIMEOUT_MS',
    schema: intIn(1000),
    default: '300000',
    description: "statement_timeout of the sink's PostgreSQL sessions (a batch statement past it is cancelled and retried); the client waits 5 s more",
  }),
  pgPoolSize: defineVar({ env: 'PG_POOL_SIZE', schema: intIn(1, 200), default: '4', description: 'PostgreSQL connections' }),
  sinkSynchronousCommit: defineVar({
    env: 'SINK_SYNCHRONOUS_COMMIT',
    schema: oneOf(['on', 'off']),
    default: 'on',
    description:
      'synchronous_commit of the sink\'s transactions. off: COMMIT returns before its WAL is flushed; a PostgreSQL crash can lose the last commits, rows and offsets together, and the sink re-reads them (docs/sink.md, "Asynchronous commit")',
  }),
  sinkApplyPath: defineVar({
    env: 'SINK_APPLY_PATH',
    schema: oneOf(['auto', 'merge']),
    default: 'auto',
    description:
      'auto: rows that write a whole row at one write time go in by INSERT … ON CONFLICT, the rest by the per-cell MERGE; merge: every row by the MERGE (docs/sink.md, "Two apply paths")',
  }),
  sinkFlushConcurrency: defineVar({
    env: 'SINK_FLUSH_CONCURRENCY',
    schema: intIn(1, 64),
    default: '2',
    description:
      'table batches written to PostgreSQL at the same time, each in its own transaction over its own share of the partitions (flush lanes); 1 = one after another; must be below PG_POOL_SIZE (unset: at most PG_POOL_SIZE - 1)',
  }),
  sinkAutoCreate: defineVar({ env: 'SINK_AUTO_CREATE', schema: bool, default: 'true', description: 'create missing target tables from the value schema' }),
  sinkAutoEvolve: defineVar({ env: 'SINK_AUTO_EVOLVE', schema: bool, default: 'true', description: 'add columns that appear in the value schema' }),
  sinkRetryMaxMs: defineVar({ env: 'SINK_RETRY_MAX_MS', schema: intIn(100), default: '30000', description: 'cap of the exponential backoff for transient errors' }),
  sinkTopicRefreshMs: defineVar({
    env: 'SINK_TOPIC_REFRESH_MS',
    schema: intIn(100),
    default: '5000',
    description: 'how often topic metadata is polled for new topics matching SINK_TOPICS (and consumer lag)',
  }),
  sinkSessionTimeoutMs: defineVar({
    env: 'SINK_SESSION_TIMEOUT_MS',
    schema: intIn(6000, 300000),
    default: '10000',
    description: 'consumer group session timeout: how long a dead sink holds its partitions',
  }),
  sinkOffsetReset: defineVar({
    env: 'SINK_OFFSET_RESET',
    schema: oneOf(['earliest', 'fail']),
    default: 'earliest',
    description:
      'a stored offset that no longer fits its topic (topic recreated, records removed before they were read): earliest = read the partition from its log start and report it; fail = hold that partition until `offsets ack`',
  }),
  sinkDeleteMode: defineVar({
    env: 'SINK_DELETE_MODE',
    schema: oneOf(['hard', 'soft']),
    default: 'hard',
    description: "hard = a deleted row is removed; soft = it is kept with `_cdc_deleted_at` set (the delete's write time) and counts as absent until a newer change revives it",
  }),
  sinkTtlPurgeIntervalMs: defineVar({
    env: 'SINK_TTL_PURGE_INTERVAL_MS',
    schema: intIn(0),
    default: '10000',
    description: 'how often rows and cells past their `USING TTL` expiry are removed (soft mode: rows marked with `_cdc_deleted_at`), in batches of 1000 per table; 0 = never',
  }),
  sinkTombstoneRetentionMs: defineVar({
    env: 'SINK_TOMBSTONE_RETENTION_MS',
    schema: intIn(0),
    default: '864000000',
    description: 'how long a deleted key is remembered to refuse late older changes of it (ScyllaDB keeps tombstones gc_grace_seconds, 10 days by default); 0 = forever',
  }),
  sinkTombstonePurgeIntervalMs: defineVar({
    env: 'SINK_TOMBSTONE_PURGE_INTERVAL_MS',
    schema: intIn(1000),
    default: '3600000',
    description: 'how often tombstones past SINK_TOMBSTONE_RETENTION_MS are dropped, in batches of 10000 per table',
  }),
  sinkStallTimeoutMs: defineVar({
    env: 'SINK_STALL_TIMEOUT_MS',
    schema: intIn(1000),
    default: '120000',
    description: 'a partition with records to apply whose committed offset does not move for this long makes the sink not ready (/readyz 503, `health` fails, cdc_sink_stalled 1)',
  }),
  sinkStallMaxLag: defineVar({
    env: 'SINK_STALL_MAX_LAG',
    schema: intIn(0),
    default: '0',
    description: 'lag (records) above which a partition must shrink within SINK_STALL_TIMEOUT_MS, or the sink is not ready (falling behind); 0 = not checked',
  }),
  pgApplicationName: defineVar({
    env: 'PG_APPLICATION_NAME',
    schema: str.min(1),
    default: 'scylla-pg-cdc-sink',
    description: "application_name of the sink's PostgreSQL sessions (pg_stat_activity)",
  }),
  sinkTableMap: defineVar({
    env: 'SINK_TABLE_MAP',
    schema: tableMap,
    description:
      'where source tables go in PostgreSQL, comma list keyspace.table=[schema.]table; source parts may be *, target may use {keyspace} {table} {topic}; exact entries first, then patterns in order; unmapped tables keep PG_SCHEMA and their name',
  }),
  sinkExcludeColumns: defineVar({
    env: 'SINK_EXCLUDE_COLUMNS',
    schema: excludeRules,
    description:
      'columns the sink never creates nor writes in PostgreSQL, comma list keyspace.table.column as SCYLLA_EXCLUDE_COLUMNS; keyspace or table may be *; key columns are refused',
  }),
  dlqTopic: defineVar({ env: 'DLQ_TOPIC', schema: str.min(1), default: 'dlq-postgres-sink', description: 'dead-letter topic' }),
};

export type SinkConfig = ConfigOf<typeof sinkVars>;

export function loadSinkConfig(env: Record<string, string | undefined> = process.env, readFile?: FileReader): SinkConfig {
  const cfg = loadConfig(sinkVars, env, readFile, (c) => [...connectionProblems(c), ...tableMapCheck(c), ...flushConcurrencyCheck(defaultedConcurrency(c, env))]);
  return defaultedConcurrency(cfg, env);
}

/**
 * Left unset, SINK_FLUSH_CONCURRENCY fits the pool (at most PG_POOL_SIZE - 1, at least 1), so a
 * deployment with a small pool keeps starting; set explicitly, a value the pool cannot serve exits 2.
 */
function defaultedConcurrency<T extends Pick<SinkConfig, 'sinkFlushConcurrency' | 'pgPoolSize'>>(cfg: T, env: Record<string, string | undefined>): T {
  if (env.SINK_FLUSH_CONCURRENCY !== undefined && env.SINK_FLUSH_CONCURRENCY !== '') return cfg;
  return { ...cfg, sinkFlushConcurrency: Math.max(1, Math.min(cfg.sinkFlushConcurrency, cfg.pgPoolSize - 1)) };
}

/** Each concurrent flush holds a connection; the table manager, offset claims and purges need one more. */
export function flushConcurrencyCheck(cfg: Pick<SinkConfig, 'sinkFlushConcurrency' | 'pgPoolSize'>): string[] {
  if (cfg.sinkFlushConcurrency === 1 || cfg.sinkFlushConcurrency < cfg.pgPoolSize) return [];
  return [
    `SINK_FLUSH_CONCURRENCY (${cfg.sinkFlushConcurrency}) must be below PG_POOL_SIZE (${cfg.pgPoolSize}): each concurrent flush holds a connection and the sink needs one more for table definitions, offsets and purges (raise PG_POOL_SIZE or lower SINK_FLUSH_CONCURRENCY)`,
  ];
}
