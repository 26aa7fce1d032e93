import { describe, expect, it } from 'vitest';
import { parseCqlType, type CqlType } from '../../../src/schema/cql-type.js';
import { envelopeSchema, keySchema, partitionKeySchema, avroTypeFor } from '../../../src/schema/cql-to-avro.js';
import { avroType } from '../../../src/schema/avro-codec.js';
import { toAvroValue } from '../../../src/schema/avro-value.js';
import type { TableModel } from '../../../src/schema/table-model.js';
import { DEFAULT_CDC_OPTIONS } from '../../../src/schema/table-model.js';

// Shapes of the driver's value classes, recognised by avro-value.ts without importing the driver.
const long = (s: string) => ({ toString: () => s });
const localDate = { year: 2024, month: 2, day: 29 };
const localTime = { getTotalNanoseconds: () => long('3723000004000') };

const udts = {
  addr: [
    { name: 'street', type: parseCqlType('text') },
    { name: 'no', type: parseCqlType('int') },
  ],
};

// [cql type, driver value, expected Avro value, expected Avro type (JSON)]
const cases: [string, unknown, unknown, unknown][] = [
  ['ascii', 'abc', 'abc', 'string'],
  ['text', 'žluť', 'žluť', 'string'],
  ['varchar', 'x', 'x', 'string'],
  ['boolean', true, true, 'boolean'],
  ['tinyint', -5, -5, 'int'],
  ['smallint', 300, 300, 'int'],
  ['int', 2 ** 31 - 1, 2 ** 31 - 1, 'int'],
  ['bigint', long('9223372036854775807'), 9223372036854775807n, 'long'],
  ['bigint', long('42'), 42, 'long'],
  ['counter', long('-1'), -1, 'long'],
  ['float', 1.5, 1.5, 'float'],
  ['double', 2.25, 2.25, 'double'],
  ['decimal', long('-12.3400'), '-12.3400', 'string'],
  ['varint', long('123456789012345678901234567890'), '123456789012345678901234567890', 'string'],
  ['blob', Buffer.from('cafe', 'hex'), Buffer.from('cafe', 'hex'), 'bytes'],
  ['uuid', long('a3bb189e-8bf9-3888-9912-ace4e6543002'), 'a3bb189e-8bf9-3888-9912-ace4e6543002', { type: 'string', logicalType: 'uuid' }],
  ['timeuuid', long('b223c55e-6d07-11ea-7654-24e4fb3f20b9'), 'b223c55e-6d07-11ea-7654-24e4fb3f20b9', { type: 'string', logicalType: 'uuid' }],
  ['timestamp', new Date(1_700_000_000_123), 1_700_000_000_123, { type: 'long', logicalType: 'timestamp-millis' }],
  ['date', localDate, 19782, { type: 'int', logicalType: 'date' }],
  ['time', localTime, 3723000004, { type: 'long', logicalType: 'time-micros' }],
  ['inet', long('10.0.0.1'), '10.0.0.1', 'string'],
  ['duration', long('1mo2d3ns'), '1mo2d3ns', 'string'],
];

describe('CQL native types → Avro', () => {
  for (const [cql, input, expected, avro] of cases) {
    it(`${cql} maps to ${JSON.stringify(avro)} and round-trips ${String(expected)}`, () => {
      const t = parseCqlType(cql);
      // Every scalar carries its CQL type, so decimal/varint/inet/duration/tinyint survive Avro.
      const withCql = typeof avro === 'string' ? { type: avro, cql_type: cql } : { ...(avro as object), cql_type: cql };
      expect(avroTypeFor(t, 'c')).toEqual(withCql);
      const v = toAvroValue(t, input);
      expect(v).toEqual(expected);
      const type = avroType(['null', avroTypeFor(t, 'c')]);
      expect(type.fromBuffer(type.toBuffer(v))).toEqual(expected);
    });
  }
});

describe('CQL collections, UDTs and tuples → Avro', () => {
  const roundTrip = (cql: string, input: unknown, expected: unknown) => {
    const t: CqlType = parseCqlType(cql, udts, 'ks');
    const v = toAvroValue(t, input);
    expect(v).toEqual(expected);
    const type = avroType(avroTypeFor(t, 'col'));
    expect(type.fromBuffer(type.toBuffer(v))).toEqual(expected);
  };
  it('list and set become arrays', () => {
    roundTrip('list<int>', [3, 1, 3], [3, 1, 3]);
    roundTrip('frozen<set<text>>', new Set(['a', 'b']), ['a', 'b']);
  });
  it('map becomes an array of key/value records in server order', () => {
    roundTrip(
      'map<int, text>',
      new Map([
        [2, 'b'],
        [1, 'a'],
      ]),
      [
        { key: 2, value: 'b' },
        { key: 1, value: 'a' },
      ],
    );
  });
  it('nested frozen collections get distinct record names', () => {
    roundTrip('map<int, frozen<map<text, bigint>>>', new Map([[1, new Map([['x', long('5')]])]]), [{ key: 1, value: [{ key: 'x', value: 5 }] }]);
  });
  it('UDT becomes a record with optional fields', () => {
    roundTrip('frozen<addr>', { street: 'Main', no: null }, { street: 'Main', no: null });
  });
  it('tuple becomes a record f0..fn', () => {
    roundTrip('tuple<int, text>', { elements: [1, 'x'] }, { f0: 1, f1: 'x' });
  });
});

const table: TableModel = {
  keyspace: 'ks',
  table: 't',
  columns: [
    { name: 'pk', type: parseCqlType('int'), kind: 'partition_key' },
    { name: 'ck', type: parseCqlType('text'), kind: 'clustering' },
    { name: 's', type: parseCqlType('int'), kind: 'static' },
    { name: 'l', type: parseCqlType('list<int>'), kind: 'regular' },
    { name: 'm', type: parseCqlType('map<int, text>'), kind: 'regular' },
    { name: 'u', type: parseCqlType('addr', udts, 'ks'), kind: 'regular' },
    { name: 'v', type: parseCqlType('int'), kind: 'regular' },
  ],
  partitionKey: ['pk'],
  clusteringKey: ['ck'],
  clusteringOrder: ['ASC'],
  cdc: { ...DEFAULT_CDC_OPTIONS, enabled: true },
};

describe('table schemas', () => {
  it('key has pk then ck, all optional', () => {
    const s = keySchema(table) as { fields: { name: string; type: unknown; default: unknown }[]; namespace: string };
    expect(s.namespace).toBe('ks.t');
    expect(s.fields.map((f) => f.name)).toEqual(['pk', 'ck']);
    expect(s.fields.every((f) => f.default === null && Array.isArray(f.type))).toBe(true);
  });
  it('envelope parses in avsc, has cells and collection delta fields', () => {
    const s = envelopeSchema(table);
    const type = avroType(s) as unknown as { schema(): { fields: { name: string }[] } };
    expect(type.schema().fields.map((f) => f.name)).toEqual(['before', 'after', 'op', 'ts_ms', 'source', 'transaction']);
    const json = JSON.stringify(s);
    expect(json).toContain('"name":"v.Cell"');
    expect(json).toContain('"name":"list_keys"');
    expect(json).toContain('"name":"range_start"');
  });
  it('adding a column keeps BACKWARD compatibility (old data readable with new schema)', () => {
    const oldType = avroType(envelopeSchema(table));
    const grown: TableModel = { ...table, columns: [...table.columns, { name: 'w', type: parseCqlType('text'), kind: 'regular' }] };
    const newType = avroType(envelopeSchema(grown));
    const resolver = newType.createResolver(oldType);
    const src = {
      version: '1',
      connector: 'scylla',
      name: 'n',
      ts_ms: 1,
      ts_us: 1000,
      snapshot: 'false',
      db: 'ks',
      keyspace_name: 'ks',
      table_name: 't',
      change_kind: null,
      cdc_operation: null,
      ttl: null,
      range_start: null,
      range_end: null,
      range_start_inclusive: null,
      range_end_inclusive: null,
      stream_id: null,
      seq: null,
    };
    const old = { before: null, after: { pk: 1, ck: 'a', s: null, l: null, m: null, u: null, v: { value: 3 } }, op: 'u', ts_ms: 5, source: src, transaction: null };
    const decoded = newType.fromBuffer(oldType.toBuffer(old), resolver) as { after: Record<string, unknown> };
    expect(decoded.after.w).toBeNull();
    expect(decoded.after.v).toEqual({ value: 3 });
  });
  it('partition-key record encodes as the prefix of the key', () => {
    const k = avroType(keySchema(table));
    const p = avroType(partitionKeySchema(table));
    const full = k.toBuffer({ pk: 7, ck: 'zz' });
    const prefix = p.toBuffer({ pk: 7 });
    expect(full.subarray(0, prefix.length).equals(prefix)).toBe(true);
  });
});
