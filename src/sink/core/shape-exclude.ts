/**
 * SINK_EXCLUDE_COLUMNS: columns a sink never creates nor writes in PostgreSQL, though they are in
 * the records (a warehouse that must not hold personal data another consumer of the topic needs;
 * Confluent JDBC `fields.whitelist`, Debezium JDBC `field.exclude.list`). Same syntax and matching
 * as SCYLLA_EXCLUDE_COLUMNS (schema/exclude-columns.ts). The target table is built from the shape,
 * and every write from the target table's columns, so dropping them from the shape is enough.
 */
import { excludedIn } from '../../schema/exclude-columns.js';
import type { TableShape } from './types.js';

/** The shape without the excluded value columns, or the problem (a key column cannot be excluded). */
export function excludeFromShape(keyspace: string, table: string, shape: TableShape, rules: readonly string[]): { shape: TableShape } | { problem: string } {
  const hits = excludedIn(keyspace, table, rules);
  if (hits.length === 0) return { shape };
  const key = hits.find((h) => shape.keyColumns.some((c) => c.field.toLowerCase() === h.column));
  if (key) return { problem: `SINK_EXCLUDE_COLUMNS: ${key.rule} names a key column of ${keyspace}.${table}; key columns cannot be excluded` };
  const gone = new Set(hits.map((h) => h.column));
  const valueColumns = shape.valueColumns.filter((c) => !gone.has(c.field.toLowerCase()));
  if (valueColumns.length === shape.valueColumns.length) return { shape };
  return { shape: { ...shape, valueColumns, fingerprint: JSON.stringify([shape.fingerprint, [...gone].sort()]) } };
}
