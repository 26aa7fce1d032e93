/**
 * One prom-client registry per process. Metric families are declared in the component files
 * (source-metrics.ts, sink-metrics.ts) against this registry, never ad hoc in shells.
 * The names the operators already alert on (README, "Observability") are declared here because both halves
 * share them.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'cdc_process_' });

/**
 * The `table` label is the bare table name on both halves (the sink knows tables by their
 * PostgreSQL name = the Scylla table name), so one dashboard query joins source and sink series and
 * the old pipeline's alerts (`table="users"`) keep matching.
 */
export function metricTable(qualifiedOrBare: string): string {
  return qualifiedOrBare.slice(qualifiedOrBare.lastIndexOf('.') + 1);
}

export const recordsReplicated = new Counter({
  name: 'cdc_records_replicated_total',
  help: 'Changes replicated, by table and op (c/u/d/r); the source counts records committed to Kafka, the sink rows committed to PostgreSQL',
  labelNames: ['table', 'op'] as const,
  registers: [registry],
});

export const connectorHealthy = new Gauge({
  name: 'cdc_connector_healthy',
  help: '1 when the component is making progress or idle and all its dependencies answer, else 0',
  labelNames: ['component'] as const,
  registers: [registry],
});

export const dataAccuracy = new Gauge({
  name: 'cdc_data_accuracy_percentage',
  help: 'Share of rows equal in ScyllaDB and PostgreSQL at the last reconcile, by table',
  labelNames: ['table'] as const,
  registers: [registry],
});
