/**
 * CQL table → Avro key and envelope schemas (schemas/README.md "envelope v1", schemas/type-map.md).
 *
 * Rules that keep BACKWARD compatibility across ALTER TABLE ADD/DROP: every field is a union with
 * null first and `default: null`, so a new column is an optional field and a dropped one is a
 * removed optional field. Nested record names are derived from the column path, so two columns of
 * the same UDT never collide and a schema never depends on which column was seen first.
 */
import type { CqlType, NativeTypeName } from './cql-type.js';
import { cqlTypeToString, isNonFrozenMultiCell } from './cql-type.js';
import type { ColumnModel, TableModel } from './table-model.js';
import { CLUSTERING_ORDER_ATTR, type AvroSchema } from './avro-schema.js';

/** The attribute carrying the original CQL type on every column field (lets a sink pick a target type). */
export const CQL_TYPE_ATTR = 'cql_type';

export function sanitizeAvroName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(s) ? s : `_${s}`;
}

export function envelopeNamespace(t: Pick<TableModel, 'keyspace' | 'table'>): string {
  return `${sanitizeAvroName(t.keyspace)}.${sanitizeAvroName(t.table)}`;
}

const AVRO_OF_NATIVE: Record<NativeTypeName, AvroSchema> = {
  ascii: 'string',
  text: 'string',
  varchar: 'string',
  boolean: 'boolean',
  tinyint: 'int',
  smallint: 'int',
  int: 'int',
  bigint: 'long',
  counter: 'long',
  float: 'float',
  double: 'double',
  // CQL decimal carries its own scale per value, which Avro's decimal (fixed scale) cannot hold
  // without loss: the exact decimal string ("-12.3400", "1E+10") is portable and lossless.
  decimal: 'string',
  varint: 'string',
  blob: 'bytes',
  uuid: { type: 'string', logicalType: 'uuid' },
  timeuuid: { type: 'string', logicalType: 'uuid' },
  timestamp: { type: 'long', logicalType: 'timestamp-millis' },
  date: { type: 'int', logicalType: 'date' },
  // CQL time is nanoseconds of the day; Avro has micros at best. Nanoseconds are truncated.
  time: { type: 'long', logicalType: 'time-micros' },
  inet: 'string',
  // months/days/nanoseconds do not fit any Avro logical type (Avro's duration is ms-based fixed);
  // we emit the CQL literal form, e.g. "1mo2d3h4m5s6ms7us8ns", which CQL parses back as-is.
  duration: 'string',
};

/**
 * Every scalar type also carries its CQL type (`cql_type`, besides the column field's own), so a
 * consumer can restore what Avro alone cannot say — also inside collections and UDTs: a string that
 * is a decimal, varint, inet or duration, an int that is a tinyint. The sink maps decimal/varint →
 * numeric, inet → inet, tinyint/smallint → smallint from it. Readers ignore unknown attributes.
 */
const NATIVE_AVRO = Object.fromEntries(
  (Object.entries(AVRO_OF_NATIVE) as [NativeTypeName, AvroSchema][]).map(([name, avro]) => [
    name,
    typeof avro === 'string' ? { type: avro, [CQL_TYPE_ATTR]: name } : { ...(avro as Record<string, unknown>), [CQL_TYPE_ATTR]: name },
  ]),
) as unknown as Record<NativeTypeName, AvroSchema>;

/** The Avro type of a CQL value (never nullable at the top; element/field nullability is added here). */
export function avroTypeFor(t: CqlType, path: string): AvroSchema {
  switch (t.kind) {
    case 'native':
      return NATIVE_AVRO[t.name];
    case 'list':
    case 'set':
      return { type: 'array', items: avroTypeFor(t.element, `${path}_item`) };
    case 'map':
      return {
        type: 'array',
        items: {
          type: 'record',
          name: `${path}_Entry`,
          fields: [
            { name: 'key', type: avroTypeFor(t.key, `${path}_key`) },
            { name: 'value', type: avroTypeFor(t.value, `${path}_value`) },
          ],
        },
      };
    case 'udt':
      return {
        type: 'record',
        name: `${path}_${sanitizeAvroName(t.name)}`,
        [CQL_TYPE_ATTR]: t.name,
        fields: t.fields.map((f) => ({
          name: sanitizeAvroName(f.name),
          type: ['null', avroTypeFor(f.type, `${path}_${sanitizeAvroName(f.name)}`)],
          default: null,
        })),
      };
    case 'tuple':
      return {
        type: 'record',
        name: `${path}_Tuple`,
        fields: t.elements.map((e, i) => ({ name: `f${i}`, type: ['null', avroTypeFor(e, `${path}_f${i}`)], default: null })),
      };
  }
}

/** Element type of `removed` in a non-frozen collection cell: set elements, map keys, list keys (timeuuid text), UDT field names. */
export function removedItemType(t: CqlType, path: string): AvroSchema {
  if (t.kind === 'set') return avroTypeFor(t.element, `${path}_removed`);
  if (t.kind === 'map') return avroTypeFor(t.key, `${path}_removed`);
  return 'string';
}

function cellSchema(c: ColumnModel): AvroSchema {
  const name = sanitizeAvroName(c.name);
  const fields: AvroSchema[] = [{ name: 'value', type: ['null', avroTypeFor(c.type, name)], default: null }];
  if (isNonFrozenMultiCell(c.type)) {
    fields.push({ name: 'mode', type: ['null', 'string'], default: null });
    fields.push({ name: 'removed', type: ['null', { type: 'array', items: removedItemType(c.type, name) }], default: null });
    if (c.type.kind === 'list') fields.push({ name: 'list_keys', type: ['null', { type: 'array', items: 'string' }], default: null });
  }
  // Named `<column>.Cell`: Connect-side tools built for scylla-cdc-source-connector (its
  // ScyllaExtractNewRecordState) recognise a cell by a schema name ending in ".Cell" with exactly one
  // field `value`, so our plain cells unwrap with the transform users already run.
  return { type: 'record', name: `${name}.Cell`, fields };
}

function columnField(c: ColumnModel): AvroSchema {
  const name = sanitizeAvroName(c.name);
  const isKey = c.kind === 'partition_key' || c.kind === 'clustering';
  return {
    name,
    type: ['null', isKey ? avroTypeFor(c.type, name) : cellSchema(c)],
    default: null,
    [CQL_TYPE_ATTR]: cqlTypeToString(c.type),
  };
}

export function keyColumnsOf(t: TableModel): ColumnModel[] {
  const byName = new Map(t.columns.map((c) => [c.name, c]));
  return [...t.partitionKey, ...t.clusteringKey].map((n) => byName.get(n)!).filter(Boolean);
}

/** `<topic>-key`: one optional field per partition-key then clustering-key column. */
export function keySchema(t: TableModel): AvroSchema {
  return {
    type: 'record',
    name: 'Key',
    namespace: envelopeNamespace(t),
    fields: keyColumnsOf(t).map((c) => ({
      name: sanitizeAvroName(c.name),
      type: ['null', avroTypeFor(c.type, sanitizeAvroName(c.name))],
      default: null,
      [CQL_TYPE_ATTR]: cqlTypeToString(c.type),
    })),
  };
}

/**
 * The record the partition is computed from: the partition-key fields of Key, same types, so
 * its Avro encoding is exactly the prefix of the encoded key (schemas/README.md "partitioning").
 */
export function partitionKeySchema(t: TableModel): AvroSchema {
  const byName = new Map(t.columns.map((c) => [c.name, c]));
  return {
    type: 'record',
    name: 'PartitionKey',
    namespace: envelopeNamespace(t),
    fields: t.partitionKey.map((n) => {
      const c = byName.get(n)!;
      return { name: sanitizeAvroName(n), type: ['null', avroTypeFor(c.type, sanitizeAvroName(n))], default: null };
    }),
  };
}

/**
 * A range bound: one field per clustering column, in clustering order. A `DESC` column's field says
 * so (CLUSTERING_ORDER_ATTR): ScyllaDB states a range in clustering order, so `ck > 5` on such a
 * column has no start and the end 5 (statement_restrictions.cc `reverse_if_reqd`). Only DESC is
 * marked, so the schemas of tables without one stay as they were (no new registry version).
 */
function boundSchema(t: TableModel): AvroSchema {
  const byName = new Map(t.columns.map((c) => [c.name, c]));
  return {
    type: 'record',
    name: 'Bound',
    fields: t.clusteringKey.map((n, i) => ({
      name: sanitizeAvroName(n),
      type: ['null', avroTypeFor(byName.get(n)!.type, `Bound_${sanitizeAvroName(n)}`)],
      default: null,
      ...(t.clusteringOrder[i] === 'DESC' ? { [CLUSTERING_ORDER_ATTR]: 'DESC' } : {}),
    })),
  };
}

const opt = (name: string, type: AvroSchema): AvroSchema => ({ name, type: ['null', type], default: null });

function sourceSchema(t: TableModel): AvroSchema {
  return {
    type: 'record',
    name: 'Source',
    fields: [
      { name: 'version', type: 'string' },
      { name: 'connector', type: 'string' },
      { name: 'name', type: 'string' },
      { name: 'ts_ms', type: 'long' },
      opt('ts_us', 'long'),
      opt('snapshot', 'string'),
      { name: 'db', type: 'string' },
      { name: 'keyspace_name', type: 'string' },
      { name: 'table_name', type: 'string' },
      opt('change_kind', 'string'),
      opt('cdc_operation', 'int'),
      opt('ttl', 'long'),
      opt('range_start', boundSchema(t)),
      opt('range_end', 'Bound'),
      opt('range_start_inclusive', 'boolean'),
      opt('range_end_inclusive', 'boolean'),
      opt('stream_id', 'string'),
      opt('seq', 'int'),
      // Per-cell TTLs when the log rows of one key disagreed (expiry.ts in the sink); last, so the
      // schema change is an appended optional field (BACKWARD compatible).
      opt('cell_ttls', { type: 'map', values: 'long' }),
    ],
  };
}

/** `<topic>-value`: the Debezium-style envelope of schemas/README.md. */
export function envelopeSchema(t: TableModel): AvroSchema {
  const value: AvroSchema = { type: 'record', name: 'Value', fields: t.columns.map(columnField) };
  return {
    type: 'record',
    name: 'Envelope',
    namespace: envelopeNamespace(t),
    fields: [
      { name: 'before', type: ['null', value], default: null },
      { name: 'after', type: ['null', 'Value'], default: null },
      { name: 'op', type: 'string' },
      opt('ts_ms', 'long'),
      { name: 'source', type: sourceSchema(t) },
      opt('transaction', {
        type: 'record',
        name: 'Transaction',
        fields: [
          { name: 'id', type: 'string' },
          { name: 'total_order', type: 'long' },
          { name: 'data_collection_order', type: 'long' },
        ],
      }),
    ],
  };
}
