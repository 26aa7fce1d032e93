import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SchemaCache, decodeRecord } from '../../../../src/sink/core/decode-record.js';
import { deriveTableShape } from '../../../../src/sink/core/table-shape.js';
import { avroType, envelope, frame, keyObject, keySchema, valueSchema, type TableSpec } from '../../../fixtures/sink/envelope.js';

const spec: TableSpec = {
  keyspace: 'ks',
  table: 'users',
  key: [
    { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'ck', type: 'long' },
  ],
  columns: [
    { name: 'name', type: 'string' },
    { name: 'balance', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
    { name: 'tags', type: { type: 'array', items: 'string' }, collection: 'set' },
  ],
};
const schemas = new Map<number, string>([
  [1, JSON.stringify(keySchema(spec))],
  [2, JSON.stringify(valueSchema(spec))],
]);
const cache = new SchemaCache((id) => schemas.get(id));
const kt = avroType(keySchema(spec));
const vt = avroType(valueSchema(spec));
const ref = { topic: 'cdc.scylla.users', partition: 0, offset: '7' };
const id = '123e4567-e89b-12d3-a456-426614174000';

describe('decode + envelope → change', () => {
  it('maps the type map: uuid, bigint key, numeric(p,s), text[]', () => {
    const s = deriveTableShape(keySchema(spec) as never, valueSchema(spec) as never).shape;
    expect(s.keyColumns.map((c) => c.pgType)).toEqual(['uuid', 'bigint']);
    expect(s.valueColumns.map((c) => [c.name, c.pgType, c.collection ?? ''])).toEqual([
      ['name', 'text', ''],
      ['balance', 'numeric(10,2)', ''],
      ['tags', 'text[]', 'set'],
    ]);
  });

  it('distinguishes untouched cells from cells set to NULL, keeps int64 keys exact', () => {
    const r = decodeRecord(
      {
        ref,
        key: frame(1, kt, keyObject(spec, { id, ck: 9_007_199_254_740_993n })),
        value: frame(2, vt, envelope(spec, { op: 'u', key: { id, ck: 1n }, after: { name: { value: null }, balance: { value: Buffer.from([0x04, 0xd2]) } }, tsUs: 5n })),
      },
      cache,
    );
    expect(r.ok).toBe(true);
    if (r.ok !== true) return;
    expect(r.change).toMatchObject({
      claimed: { keyspace: 'ks', table: 'users' },
      kind: 'upsert',
      key: [id, '9007199254740993'],
      tsUs: '5',
      cells: { name: { m: 'set', value: null }, balance: { m: 'set', value: '12.34' } },
    });
    expect(r.change.cells.tags).toBeUndefined();
  });

  it('reads MODIFY deltas and range-delete bounds', () => {
    const m = decodeRecord(
      {
        ref,
        key: frame(1, kt, keyObject(spec, { id, ck: 1 })),
        value: frame(2, vt, envelope(spec, { op: 'u', key: { id, ck: 1 }, after: { tags: { value: ['a'], mode: 'MODIFY', removed: ['b'] } }, tsUs: 5 })),
      },
      cache,
    );
    expect(m.ok === true && m.change.cells.tags).toEqual({ m: 'modify', add: '{"a"}', remove: '{"b"}' });
    const rd = decodeRecord(
      {
        ref,
        key: frame(1, kt, keyObject(spec, { id })),
        value: frame(2, vt, envelope(spec, { op: 'd', key: { id }, changeKind: 'range_delete', rangeStart: { ck: 3 }, rangeStartInclusive: false, tsUs: 6 })),
      },
      cache,
    );
    expect(rd.ok === true && rd.change).toMatchObject({
      kind: 'range_delete',
      key: [id, null],
      range: { start: { values: ['3'], inclusive: false }, end: { values: [], inclusive: true } },
    });
  });

  it('classifies poison: bad magic, unknown schema, undecodable, missing key; skips tombstones', () => {
    const key = frame(1, kt, keyObject(spec, { id, ck: 1 }));
    const reason = (value: Buffer | null, k: Buffer | null = key) => {
      const r = decodeRecord({ ref, key: k, value }, cache);
      return r.ok === false ? r.failure.reason : r.ok;
    };
    expect(reason(Buffer.from([1, 0, 0, 0, 2, 0]))).toBe('bad-magic-byte');
    expect(reason(Buffer.from([0, 0, 0, 0, 99, 0]))).toBe('unknown-schema');
    expect(reason(Buffer.from([0, 0, 0, 0, 2, 0xff, 0xff, 0xff]))).toBe('undecodable');
    expect(reason(frame(2, vt, envelope(spec, { op: 'c', key: { id, ck: 1 }, after: {}, tsUs: 1 })), null)).toBe('missing-key');
    expect(reason(null)).toBe('skip');
  });

  it("reads the connector's AvroConverter schemas (Connect names, legacy cells)", () => {
    const ks = JSON.parse(readFileSync(new URL('../../../fixtures/connector/orders.key.avsc', import.meta.url), 'utf8'));
    const vs = JSON.parse(readFileSync(new URL('../../../fixtures/connector/orders.value.avsc', import.meta.url), 'utf8'));
    const s = deriveTableShape(ks, vs).shape;
    expect(Object.fromEntries(s.valueColumns.map((c) => [c.name, c.pgType]))).toEqual({
      customer: 'text',
      amount: 'bigint',
      placed_at: 'timestamptz',
      ship_date: 'date',
      qty: 'smallint',
      price: 'text',
      paid: 'boolean',
      note: 'text',
      blob: 'bytea',
      ratio: 'double precision',
    });
  });
});
