/** Metric families of the source only (the shared ones live in prom-registry.ts). Labels: table, slot, outcome, kind. */
import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from './prom-registry.js';

export const sourceWindowLag = new Gauge({
  name: 'cdc_source_window_lag_seconds',
  help: 'now − end of the last fully read and committed CDC window, by table and slot',
  labelNames: ['table', 'slot'] as const,
  registers: [registry],
});

export const sourceSlotPosition = new Gauge({
  name: 'cdc_source_slot_position_seconds',
  help: 'Committed read position of a slot (epoch seconds of the window end), by table and slot',
  labelNames: ['table', 'slot'] as const,
  registers: [registry],
});

export const sourceSlotsOwned = new Gauge({
  name: 'cdc_source_slots_owned',
  help: 'Slots (stream groups) this process currently reads',
  registers: [registry],
});

export const sourceLogRowsRead = new Counter({
  name: 'cdc_source_log_rows_read_total',
  help: 'CDC log rows read, by table',
  labelNames: ['table'] as const,
  registers: [registry],
});

export const sourceQueries = new Counter({
  name: 'cdc_source_queries_total',
  help: 'Queries sent to ScyllaDB, by kind (window, probe, snapshot, generations) and outcome',
  labelNames: ['kind', 'outcome'] as const,
  registers: [registry],
});

export const sourceTransactions = new Counter({
  name: 'cdc_source_transactions_total',
  help: 'Kafka transactions of the source, by outcome (committed, failed, fenced)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const sourceTransactionSeconds = new Histogram({
  name: 'cdc_source_transaction_seconds',
  help: 'Duration of a Kafka transaction (send + commit)',
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const sourceSchemaChanges = new Counter({
  name: 'cdc_source_schema_changes_total',
  help: 'Table schema changes picked up while running (ALTER TABLE), by table',
  labelNames: ['table'] as const,
  registers: [registry],
});

export const sourceGenerationSwitches = new Counter({
  name: 'cdc_source_generation_switches_total',
  help: 'Generation / stream-set switches done, by table and reason (finished, expired)',
  labelNames: ['table', 'reason'] as const,
  registers: [registry],
});

export const sourceSnapshotRows = new Counter({
  name: 'cdc_source_snapshot_rows_total',
  help: 'Rows emitted by the initial snapshot, by table',
  labelNames: ['table'] as const,
  registers: [registry],
});

export const sourceSchemaRegistrationFailures = new Counter({
  name: 'cdc_source_schema_registration_failures_total',
  help: 'Schema registrations refused (incompatible) or failed (registry unreachable), by subject and reason',
  labelNames: ['subject', 'reason'] as const,
  registers: [registry],
});

export const sourceCheckpointGaps = new Counter({
  name: 'cdc_source_checkpoint_gaps_total',
  help: 'Times a slot found its position older than the CDC log TTL: log rows (changes) may have expired before they were read, by table',
  labelNames: ['table'] as const,
  registers: [registry],
});
