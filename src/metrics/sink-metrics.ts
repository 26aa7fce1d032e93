/** Sink-only metric families (README, "Observability"). Shared ones (records replicated, healthy) live in prom-registry.ts. */
import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from './prom-registry.js';

export const replicationLag = new Gauge({
  name: 'cdc_replication_lag_seconds',
  help: 'now - write time (source ts_us) of the newest change applied to PostgreSQL, by table',
  labelNames: ['table'] as const,
  registers: [registry],
});

export const dlqRecords = new Counter({
  name: 'cdc_sink_dlq_records_total',
  help: 'Records sent to the dead-letter topic, by reason',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const keyOnlyRecords = new Counter({
  name: 'cdc_sink_key_only_records_total',
  help: 'Records with a key and no value (Kafka tombstones): nothing to apply, offsets move past them',
  registers: [registry],
});

export const batchPhaseSeconds = new Histogram({
  name: 'cdc_sink_batch_phase_seconds',
  help: 'Time spent per batch phase: decode, fold, copy (encode is the part of it building the COPY text), apply, commit',
  labelNames: ['phase'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const applyRowsTotal = new Counter({
  name: 'cdc_sink_apply_rows_total',
  help: 'Folded rows applied, by path: insert (INSERT … ON CONFLICT, rows that write a whole row at one time) or merge (the per-cell MERGE); a batch that is rolled back and retried counts again',
  labelNames: ['path'] as const,
  registers: [registry],
});

export const batchRows = new Histogram({
  name: 'cdc_sink_batch_changes',
  help: 'Changes per committed table batch',
  buckets: [1, 10, 100, 500, 1000, 5000, 20000],
  registers: [registry],
});

export const consumerLag = new Gauge({
  name: 'cdc_sink_consumer_lag',
  help: 'Kafka records not yet committed to PostgreSQL (high watermark - stored next offset), by topic and partition',
  labelNames: ['topic', 'partition'] as const,
  registers: [registry],
});

export const retries = new Counter({
  name: 'cdc_sink_retries_total',
  help: 'Batch attempts retried after a transient error, by stage',
  labelNames: ['stage'] as const,
  registers: [registry],
});

export const inflightBytes = new Gauge({
  name: 'cdc_sink_inflight_bytes',
  help: 'Bytes fetched from Kafka and not yet committed to PostgreSQL',
  registers: [registry],
});

export const fencedTotal = new Counter({
  name: 'cdc_sink_fenced_total',
  help: 'Commits refused because a newer owner claimed the partition',
  registers: [registry],
});

export const lostCommitsTotal = new Counter({
  name: 'cdc_sink_lost_commits_total',
  help: 'Partitions whose stored offset fell below what this sink saw committed (PostgreSQL lost acknowledged commits: a crash under SINK_SYNCHRONOUS_COMMIT=off, a failover, a restore); each is re-read from the stored offset',
  labelNames: ['topic'],
  registers: [registry],
});

export const offsetResets = new Counter({
  name: 'cdc_sink_offset_resets_total',
  help: 'Stored offsets that no longer fit their topic (reason: topic-recreated, retention-gap), by topic and partition',
  labelNames: ['topic', 'partition', 'reason'] as const,
  registers: [registry],
});

export const offsetsLost = new Counter({
  name: 'cdc_sink_offsets_lost_total',
  help: 'Offsets removed from Kafka before the sink read them (retention gaps): changes that never reached PostgreSQL',
  labelNames: ['topic', 'partition'] as const,
  registers: [registry],
});

export const offsetProblemsOpen = new Gauge({
  name: 'cdc_sink_offset_problems_unacknowledged',
  help: 'Retention gaps and held partitions of this sink group not yet acknowledged (`offsets ack`); the sink is not ready while > 0',
  registers: [registry],
});

export const sinkStalled = new Gauge({
  name: 'cdc_sink_stalled',
  help: '1 when a partition has records to apply but its committed offset has not moved for SINK_STALL_TIMEOUT_MS (or its lag stays above SINK_STALL_MAX_LAG without shrinking); the reasons are in /readyz',
  registers: [registry],
});

export const tombstonesPurged = new Counter({
  name: 'cdc_sink_tombstones_purged_total',
  help: 'Tombstones (remembered deleted keys) dropped after SINK_TOMBSTONE_RETENTION_MS',
  labelNames: ['table'] as const,
  registers: [registry],
});

export const ttlPurged = new Counter({
  name: 'cdc_sink_ttl_purged_rows_total',
  help: 'Rows the TTL purge changed because something in them expired (USING TTL): action=deleted (hard mode), marked (soft mode: _cdc_deleted_at set), cells (expired cells set to NULL in a row that stays)',
  labelNames: ['table', 'action'] as const,
  registers: [registry],
});

export const tablePaused = new Gauge({
  name: 'cdc_sink_table_paused',
  help: '1 while the operator has paused the table (`scylla-pg-cdc pause`): its changes wait in Kafka, its consumer lag grows; 0 after `resume`',
  labelNames: ['table'] as const,
  registers: [registry],
});
