/**
 * Avro (as written by our source or by Confluent's AvroConverter for the Scylla connector) →
 * PostgreSQL column type and text codec. Documented in docs/type-map.md; keep the two in step.
 *
 * Hints read, in order: Avro `logicalType`, Kafka Connect's `connect.name` (AvroConverter), and a
 * `cql_type` property (our source's annotation of the Scylla type, when present).
 */
import { fieldsOf, prop, typeName, unwrapNullable, type NameTable } from './avro-names.js';
import type { AvroSchema } from '../../schema/avro-schema.js';
import type { Codec } from './types.js';
import { RecordError } from './record-error.js';

export interface PgColumnType {
  pgType: string;
  codec: Codec;
  storage: 'scalar' | 'array' | 'json';
}

const CONNECT = {
  decimal: 'org.apache.kafka.connect.data.Decimal',
  date: 'org.apache.kafka.connect.data.Date',
  time: 'org.apache.kafka.connect.data.Time',
  timestamp: 'org.apache.kafka.connect.data.Timestamp',
  uuid: 'io.debezium.data.Uuid',
};

const JSON_TYPE: PgColumnType = { pgType: 'jsonb', codec: { c: 'json' }, storage: 'json' };

function cqlType(s: AvroSchema): string | undefined {
  const v = prop(s, 'cql_type') ?? prop(s, 'cqlType');
  return typeof v === 'string' ? v.toLowerCase() : undefined;
}

/** Scalar mapping, or undefined when the type is not a scalar (array/map/record/union). */
export function scalarPgType(s: AvroSchema): PgColumnType | undefined {
  const t = typeName(s);
  const logical = prop(s, 'logicalType');
  const connectName = prop(s, 'connect.name');
  const connectType = prop(s, 'connect.type');
  const cql = cqlType(s);
  const scalar = (pgType: string, codec: Codec): PgColumnType => ({ pgType, codec, storage: 'scalar' });
  switch (t) {
    case 'boolean':
      return scalar('boolean', { c: 'bool' });
    case 'int':
      if (logical === 'date' || connectName === CONNECT.date) return scalar('date', { c: 'date' });
      if (logical === 'time-millis' || connectName === CONNECT.time) return scalar('time', { c: 'time', unit: 'ms' });
      if (connectType === 'int8' || connectType === 'int16' || cql === 'tinyint' || cql === 'smallint') return scalar('smallint', { c: 'int' });
      return scalar('integer', { c: 'int' });
    case 'long':
      if (logical === 'timestamp-millis' || connectName === CONNECT.timestamp) return scalar('timestamptz', { c: 'timestamp', unit: 'ms' });
      if (logical === 'timestamp-micros') return scalar('timestamptz', { c: 'timestamp', unit: 'us' });
      if (logical === 'local-timestamp-millis') return scalar('timestamp', { c: 'timestamp', unit: 'ms' });
      if (logical === 'local-timestamp-micros') return scalar('timestamp', { c: 'timestamp', unit: 'us' });
      if (logical === 'time-micros') return scalar('time', { c: 'time', unit: 'us' });
      return scalar('bigint', { c: 'int' });
    case 'float':
      return scalar('real', { c: 'float' });
    case 'double':
      return scalar('double precision', { c: 'float' });
    case 'string':
      if (logical === 'uuid' || connectName === CONNECT.uuid || cql === 'uuid' || cql === 'timeuuid') return scalar('uuid', { c: 'text' });
      if (cql === 'inet') return scalar('inet', { c: 'inet' });
      if (cql === 'varint' || cql === 'decimal' || logical === 'big-decimal') return scalar('numeric', { c: 'text' });
      return scalar('text', { c: 'text' });
    case 'bytes':
    case 'fixed': {
      if (logical === 'decimal' || connectName === CONNECT.decimal) {
        const params = prop(s, 'connect.parameters') as Record<string, string> | undefined;
        const scale = Number(prop(s, 'scale') ?? params?.scale ?? 0);
        const precision = Number(prop(s, 'precision') ?? params?.['connect.decimal.precision'] ?? 0);
        // Avro spec: scale is a non-negative integer not above precision. Anything else (NaN, 1e9, -3)
        // would become `numeric(10,NaN)`, DDL PostgreSQL refuses for every record of the schema.
        if (!Number.isInteger(scale) || !Number.isInteger(precision) || scale < 0 || precision < 0 || scale > 1000 || (precision > 0 && scale > precision)) {
          throw new RecordError(
            'unsupported',
            `decimal with precision ${String(prop(s, 'precision') ?? params?.['connect.decimal.precision'])} and scale ${String(prop(s, 'scale') ?? params?.scale)} is not a valid Avro decimal`,
          );
        }
        // Scylla's decimal has a per-value scale; only a declared precision pins numeric(p,s).
        const pgType = precision > 0 && precision <= 1000 ? `numeric(${precision},${scale})` : 'numeric';
        return scalar(pgType, { c: 'decimal', scale });
      }
      if (logical === 'varint' || cql === 'varint') return scalar('numeric', { c: 'decimal', scale: 0 });
      if (cql === 'inet') return scalar('inet', { c: 'inet' });
      return scalar('bytea', { c: 'bytea' });
    }
    case 'enum':
      return scalar('text', { c: 'text' });
    default:
      return undefined;
  }
}

/** Whole-column mapping: scalars, arrays of scalars → `T[]`, everything else → jsonb. */
export function pgColumnType(schema: AvroSchema, names: NameTable): PgColumnType {
  const s = unwrapNullable(schema, names);
  const scalar = scalarPgType(s);
  if (scalar) return scalar;
  if (typeName(s) === 'array') {
    const items = unwrapNullable(prop(s, 'items') as AvroSchema, names);
    const elem = scalarPgType(items);
    // A map arrives as array<{key, value}>: jsonb object. Arrays of arrays/records: jsonb.
    if (elem && !isEntryRecord(items)) return { pgType: `${elem.pgType.replace(/\(.*\)$/, '')}[]`, codec: elem.codec, storage: 'array' };
  }
  return JSON_TYPE;
}

/** The connector v2 / envelope v1 map encoding: a record with exactly the fields `key` and `value`. */
export function isEntryRecord(s: AvroSchema): boolean {
  if (typeName(s) !== 'record') return false;
  const names = fieldsOf(s)
    .map((f) => f.name)
    .sort();
  return names.length === 2 && names[0] === 'key' && names[1] === 'value';
}
