/**
 * SCYLLA_EXCLUDE_COLUMNS: columns that never reach Kafka (personal data, large blobs). They are
 * taken out of the table model itself, so nothing downstream can carry them: the Avro schemas,
 * the log conversion, pre/post-images and the snapshot's SELECT all follow the model. The model
 * keeps their names (`excluded`) so the log's copy of them is not mistaken for an ALTER TABLE ADD.
 */
import type { TableModel } from './table-model.js';

/** `keyspace.table.column`, each part exact or `*`. */
export const EXCLUDE_RULE = /^([A-Za-z0-9_]+|\*)\.([A-Za-z0-9_]+|\*)\.[A-Za-z0-9_]+$/;

const matches = (part: string, name: string) => part === '*' || part.toLowerCase() === name.toLowerCase();

/** The model without the excluded columns, or the problem (a key column cannot be excluded). */
export function excludeColumns(t: TableModel, rules: readonly string[]): { model: TableModel } | { problem: string } {
  const names = new Set<string>();
  for (const r of rules) {
    const [ks, table, column] = r.split('.') as [string, string, string];
    if (!matches(ks, t.keyspace) || !matches(table, t.table)) continue;
    const c = t.columns.find((x) => x.name.toLowerCase() === column.toLowerCase());
    if (!c) continue;
    if (c.kind === 'partition_key' || c.kind === 'clustering') return { problem: `SCYLLA_EXCLUDE_COLUMNS: ${r} names a primary key column of ${t.keyspace}.${t.table}; key columns cannot be excluded` };
    names.add(c.name);
  }
  if (names.size === 0) return { model: t };
  return { model: { ...t, columns: t.columns.filter((c) => !names.has(c.name)), excluded: [...names] } };
}
