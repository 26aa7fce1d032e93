// The `<t>_scylla_cdc_log` schema derived from a base table (docs/features/cdc/cdc-log-table.rst; scylladb
// cdc/log.cc create_log_schema).
import { randomUUID } from 'node:crypto';
import { makeColumn, refreshColumns, type ColumnDef, type ColumnKind, type TableDef } from '../schema/catalog.js';
import { TableStore } from '../storage/table-store.js';
import { T, frozen, type CqlType } from '../schema/types.js';

export const LOG_SUFFIX = '_scylla_cdc_log';

export function logTableName(base: string): string {
  return base + LOG_SUFFIX;
}

/** Value column type in the log: non-frozen collections freeze, lists expose their timeuuid keys. */
export function logValueType(t: CqlType): CqlType {
  if (t.kind === 'list' && !t.frozen) return { kind: 'map', key: T.timeuuid, value: t.elem, frozen: true };
  return frozen(t);
}

export function deletedElementsType(t: CqlType): CqlType | null {
  if (t.kind === 'map' && !t.frozen) return { kind: 'set', elem: t.key, frozen: true };
  if (t.kind === 'set' && !t.frozen) return { kind: 'set', elem: t.elem, frozen: true };
  if (t.kind === 'list' && !t.frozen) return { kind: 'set', elem: T.timeuuid, frozen: true };
  if (t.kind === 'udt' && !t.frozen) return { kind: 'set', elem: T.smallint, frozen: true };
  return null;
}

/** Log columns mirroring one base column: value, cdc$deleted_, cdc$deleted_elements_. */
export function logColumnsFor(c: ColumnDef): [string, CqlType][] {
  if (c.kind === 'partition_key' || c.kind === 'clustering') return [[c.name, c.type]];
  const out: [string, CqlType][] = [
    [c.name, logValueType(c.type)],
    [`cdc$deleted_${c.name}`, T.boolean],
  ];
  const de = deletedElementsType(c.type);
  if (de) out.push([`cdc$deleted_elements_${c.name}`, de]);
  return out;
}

/** Same column set for vnodes and tablets keyspaces (scylladb test/boost/cdc_test.cc test_cdc_log_schema). */
export function buildLogTable(base: TableDef): TableDef {
  const log: TableDef = {
    keyspace: base.keyspace,
    name: logTableName(base.name),
    id: randomUUID(),
    columns: [],
    byName: new Map(),
    pk: [],
    ck: [],
    statics: [],
    regulars: [],
    nextOrdinal: 0,
    layout: [],
    ckCmps: [],
    options: new Map(),
    cdc: null,
    partitioner: 'cdc',
    counter: false,
    compact: false,
    store: new TableStore(() => 0),
    dropped: [],
    system: false,
    base,
  };
  const add = (name: string, type: CqlType, kind: ColumnKind, position: number): void => {
    log.byName.set(name, makeColumn(name, type, kind, position, log.nextOrdinal++, false));
  };
  add('cdc$stream_id', T.blob, 'partition_key', 0);
  add('cdc$time', T.timeuuid, 'clustering', 0);
  add('cdc$batch_seq_no', T.int, 'clustering', 1);
  add('cdc$end_of_batch', T.boolean, 'regular', -1);
  add('cdc$operation', T.tinyint, 'regular', -1);
  add('cdc$ttl', T.bigint, 'regular', -1);
  for (const c of [...base.pk, ...base.ck, ...base.statics, ...base.regulars]) {
    for (const [name, type] of logColumnsFor(c)) add(name, type, 'regular', -1);
  }
  refreshColumns(log);
  // Assign ordinals in select order so freshly written log rows can be served by a plain copy.
  const byOrder = log.columns;
  byOrder.forEach((c, i) => {
    c.ordinal = i;
  });
  log.nextOrdinal = byOrder.length;
  refreshColumns(log);
  return log;
}

export function addLogColumns(log: TableDef, baseCol: ColumnDef): void {
  for (const [name, type] of logColumnsFor(baseCol)) {
    if (log.byName.has(name)) continue;
    log.byName.set(name, makeColumn(name, type, 'regular', -1, log.nextOrdinal++, false));
  }
  refreshColumns(log);
}

export function dropLogColumns(log: TableDef, baseCol: ColumnDef, time: number): void {
  for (const [name, type] of logColumnsFor(baseCol)) {
    if (!log.byName.delete(name)) continue;
    log.dropped.push({ name, type, time, kind: 'regular' });
  }
  refreshColumns(log);
}

const META = new Set(['cdc$stream_id', 'cdc$time', 'cdc$batch_seq_no', 'cdc$end_of_batch', 'cdc$operation', 'cdc$ttl']);

/**
 * Re-enabling CDC rebuilds the log's columns from the base table as it is now (scylladb cdc/log.cc
 * create_log_schema, called with the old log schema): base columns added while CDC was off appear,
 * dropped ones go. While CDC is off the log schema is left alone (test/cql/cdc_enable_disable_test).
 */
export function syncLogColumns(log: TableDef, base: TableDef, time: number): void {
  for (const c of base.columns) addLogColumns(log, c);
  const baseOf = (n: string): string => (n.startsWith('cdc$deleted_elements_') ? n.slice(21) : n.startsWith('cdc$deleted_') ? n.slice(12) : n);
  for (const c of [...log.columns]) {
    if (META.has(c.name) || base.byName.has(baseOf(c.name))) continue;
    log.byName.delete(c.name);
    log.dropped.push({ name: c.name, type: c.type, time, kind: 'regular' });
  }
  refreshColumns(log);
}
