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

/**
 * The column each rule of `rules` names in keyspace.table, with the rule (for messages). Shared by
 * SCYLLA_EXCLUDE_COLUMNS (the source's table model) and SINK_EXCLUDE_COLUMNS (the sink's target
 * table), so both read one syntax the same way.
 */
export function excludedIn(keyspace: string, table: string, rules: readonly string[]): { rule: string; column: string }[] {
  return rules.flatMap((rule) => {
    const [ks, t, column] = rule.split('.') as [string, string, string];
    return matches(ks, keyspace) && matches(t, table) ? [{ rule, column: column.toLowerCase() }] : [];
  });
}

/** The model without the excluded columns, or the problem (a key column cannot be excluded). */
export function excludeColumns(t: TableModel, rules: readonly string[]): { model: TableModel } | { problem: string } {
  const names = new Set<string>();
  for (const { rule, column } of excludedIn(t.keyspace, t.table, rules)) {
    const c = t.columns.find((x) => x.name.toLowerCase() === column);
    if (!c) continue;
    if (c.kind === 'partition_key' || c.kind === 'clustering')
      return { problem: `SCYLLA_EXCLUDE_COLUMNS: ${rule} names a primary key column of ${t.keyspace}.${t.table}; key columns cannot be excluded` };
    names.add(c.name);
  }
  if (names.size === 0) return { model: t };
  return { model: { ...t, columns: t.columns.filter((c) => !names.has(c.name)), excluded: [...names] } };
}
