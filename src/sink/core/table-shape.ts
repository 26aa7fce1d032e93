/**
 * Derives the target table's shape from the record's key and value (envelope) schemas. The same
 * function runs in the decode workers (to render values) and in the main thread (to create/evolve the
 * table), so both always agree on columns and types.
 */
import { fieldsOf, indexNames, prop, resolve, typeName, unwrapNullable, type AvroField, type NameTable } from './avro-names.js';
import { CLUSTERING_ORDER_ATTR, type AvroSchema } from '../../schema/avro-schema.js';
import { isEntryRecord, pgColumnType } from './pg-type-map.js';
import type { ColumnShape, TableShape } from './types.js';
import { RecordError } from './record-error.js';
import { isReserved, listKeysColumn, pgName } from '../../core/sql-ident.js';

const CELL_EXTRA_FIELDS = new Set(['mode', 'removed', 'list_keys']);

export interface ParsedSchemas {
  shape: TableShape;
  names: NameTable;
  /** Columns whose Avro field is a `{value, ...}` cell (all non-key ones, in both formats). */
  cellColumns: Set<string>;
}

export function deriveTableShape(keySchema: AvroSchema | undefined, valueSchema: AvroSchema): ParsedSchemas {
  const names = indexNames(valueSchema);
  if (keySchema !== undefined) indexNames(keySchema, names);
  const envelope = resolve(valueSchema, names);
  if (typeName(envelope) !== 'record') throw new Error('value schema is not a record');
  const fieldNames = new Set(fieldsOf(envelope).map((f) => f.name));
  for (const required of ['after', 'op', 'source']) {
    if (!fieldNames.has(required)) throw new Error(`value schema is not a CDC envelope: no field "${required}"`);
  }
  const afterField = fieldsOf(envelope).find((f) => f.name === 'after')!;
  const row = unwrapNullable(afterField.type, names);
  if (typeName(row) !== 'record') throw new Error('envelope field "after" is not a record');

  const keyRecord = keySchema !== undefined ? unwrapNullable(keySchema, names) : undefined;
  const keyFields = keyRecord !== undefined && typeName(keyRecord) === 'record' ? fieldsOf(keyRecord) : [];
  const keyNames = new Set(keyFields.map((f) => f.name));
  const rowFields = new Map(fieldsOf(row).map((f) => [f.name, f]));

  const keyColumns: ColumnShape[] = keyFields.map((f) => column(f.name, f.type, names));
  const valueColumns: ColumnShape[] = [];
  const cellColumns = new Set<string>();
  for (const f of fieldsOf(row)) {
    if (keyNames.has(f.name)) continue;
    const t = unwrapNullable(f.type, names);
    const cell = cellInner(t, names);
    if (cell) {
      cellColumns.add(f.name);
      valueColumns.push({ ...column(f.name, cell.value, names), ...(cell.collection ? { collection: cell.collection } : {}) });
    } else {
      valueColumns.push(column(f.name, f.type, names));
    }
  }
  // Key columns missing from the key schema but present in `after` cannot be told apart: the key
  // schema is the authority (Kafka Connect's pk.mode=record_key).
  void rowFields;
  const keyspace = String(prop(row, 'namespace') ?? prop(envelope, 'namespace') ?? '').split('.')[0] ?? '';
  const clustering = clusteringOf(
    envelope,
    keyFields.map((f) => f.name),
    names,
  );
  const pkLen = clustering?.partitionKeyLength;
  const shape: TableShape = {
    keyspace,
    table: '',
    keyColumns,
    valueColumns,
    ...(pkLen !== undefined ? { partitionKeyLength: pkLen } : {}),
    ...(clustering?.descending ? { descending: clustering.descending } : {}),
    fingerprint: '',
  };
  checkColumnNames([...keyColumns, ...valueColumns]);
  shape.fingerprint = JSON.stringify([
    keyColumns.map((c) => [c.name, c.pgType]),
    valueColumns.map((c) => [c.name, c.pgType, c.collection ?? '']),
    pkLen ?? null,
    shape.descending ?? null,
  ]);
  return { shape, names, cellColumns };
}

/**
 * The key schema lists partition key then clustering columns without saying where one ends; the
 * envelope's `source.range_start` is a `Bound` record of exactly the clustering columns
 * (schemas/README.md), so the partition key is the key fields before them. Undefined when there is
 * no such record, or its fields are not the key's last ones, or it would leave no partition key.
 * `descending`: which clustering columns the `Bound` marks DESC (CLUSTERING_ORDER_ATTR), set only
 * when one is; unmarked columns (and every column of a schema from before the mark) are ASC.
 */
function clusteringOf(envelope: AvroSchema, keyNames: string[], names: NameTable): { partitionKeyLength: number; descending?: boolean[] } | undefined {
  let ck: AvroField[];
  try {
    const source = fieldsOf(envelope).find((f) => f.name === 'source');
    const start = source ? fieldsOf(unwrapNullable(source.type, names)).find((f) => f.name === 'range_start') : undefined;
    const bound = start ? unwrapNullable(start.type, names) : undefined;
    if (bound === undefined || typeName(bound) !== 'record') return undefined;
    ck = fieldsOf(bound);
  } catch {
    return undefined; // a reference the schema does not define: the records were readable before, so they stay so
  }
  const p = keyNames.length - ck.length;
  if (p < 1 || ck.some((f, i) => keyNames[p + i] !== f.name)) return undefined;
  const descending = ck.map((f) => prop(f as unknown as AvroSchema, CLUSTERING_ORDER_ATTR) === 'DESC');
  return { partitionKeyLength: p, ...(descending.includes(true) ? { descending } : {}) };
}

function column(field: string, type: AvroSchema, names: NameTable): ColumnShape {
  const t = pgColumnType(type, names);
  return { name: pgName(field), field, pgType: t.pgType, codec: t.codec, storage: t.storage, avro: unwrapNullable(type, names) };
}

/**
 * A schema whose columns would collide in PostgreSQL, or that names a bookkeeping column, is the
 * record's fault: its records are dead-lettered (a duplicate column would fail the DDL forever, and a
 * user `_cdc_ts_us` would overwrite the version guard).
 */
function checkColumnNames(cols: ColumnShape[]): void {
  const seen = new Map<string, string>();
  for (const c of cols) {
    if (isReserved(c.field)) throw new RecordError('wrong-target', `column ${JSON.stringify(c.field)}: names starting with _cdc_ are reserved for the sink's bookkeeping`);
    const own = [c.name, ...(c.collection === 'list' ? [listKeysColumn(c.name)] : [])];
    for (const n of own) {
      const other = seen.get(n);
      if (other !== undefined)
        throw new RecordError('wrong-target', `columns ${JSON.stringify(other)} and ${JSON.stringify(c.field)} would both be PostgreSQL column ${JSON.stringify(n)}`);
      seen.set(n, c.field);
    }
  }
}

/** A cell is a record `{value: ["null", T], mode?, removed?, list_keys?}`. */
function cellInner(t: AvroSchema, names: NameTable): { value: AvroSchema; collection?: ColumnShape['collection'] } | undefined {
  if (typeName(t) !== 'record') return undefined;
  const fields = fieldsOf(t);
  const valueField = fields.find((f) => f.name === 'value');
  if (!valueField || !fields.every((f) => f.name === 'value' || CELL_EXTRA_FIELDS.has(f.name))) return undefined;
  const hasMode = fields.some((f) => f.name === 'mode');
  if (!hasMode) return { value: valueField.type };
  const inner = unwrapNullable(valueField.type, names);
  if (fields.some((f) => f.name === 'list_keys')) return { value: valueField.type, collection: 'list' };
  if (typeName(inner) === 'array') {
    const items = unwrapNullable(prop(inner, 'items') as AvroSchema, names);
    return { value: valueField.type, collection: isEntryRecord(items) ? 'map' : 'set' };
  }
  if (typeName(inner) === 'record') return { value: valueField.type, collection: 'udt' };
  return { value: valueField.type };
}
