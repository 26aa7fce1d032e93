/**
 * Schema drift detection from a log page's column list: a column we do not model means the base
 * table was ALTERed (ADD), a modelled column missing from the log means it was dropped. Either
 * way the table is re-discovered and its schemas re-registered before the page is converted.
 */
import type { TableModel } from '../../schema/table-model.js';
import { CDC_META_COLUMNS } from './log-row.js';

export interface LogColumnDrift {
  added: string[];
  dropped: string[];
}

export function logColumnDrift(t: TableModel, logColumns: readonly string[]): LogColumnDrift {
  const known = new Set([...t.columns.map((c) => c.name), ...(t.excluded ?? [])]);
  const present = new Set<string>();
  const added: string[] = [];
  for (const name of logColumns) {
    if (CDC_META_COLUMNS.has(name)) continue;
    const base = name.startsWith('cdc$deleted_elements_') ? name.slice('cdc$deleted_elements_'.length) : name.startsWith('cdc$deleted_') ? name.slice('cdc$deleted_'.length) : name;
    present.add(base);
    if (!known.has(base) && !added.includes(base)) added.push(base);
  }
  const dropped = t.columns.filter((c) => !present.has(c.name)).map((c) => c.name);
  return { added, dropped };
}

export function hasDrift(d: LogColumnDrift): boolean {
  return d.added.length > 0 || d.dropped.length > 0;
}
