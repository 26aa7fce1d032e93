import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { SchemaCache, decodeRecord, type RawRecord } from '../../../../src/sink/core/decode-record.js';
import { splitOversized } from '../../../../src/sink/core/decode-limits.js';
import { deriveTableShape } from '../../../../src/sink/core/table-shape.js';
import { avroType, envelope, frame, keyObject, keySchema, valueSchema, type TableSpec } from '../../../fixtures/sink/envelope.js';
import { blockCountBomb, bombSchemas, framed, varint } from '../../../fixtures/sink/hostile.js';

const spec = (columns: TableSpec['columns']): TableSpec => ({ keyspace: 'ks', table: 't', key: [{ name: 'id', type: 'int' }], columns });
const ref = { topic: 'cdc.scylla.t', partition: 0, offset: '1' };

function cacheOf(texts: Record<number, unknown>): SchemaCache {
  return new SchemaCache((id) => (texts[id] === undefined ? undefined : typeof texts[id] === 'string' ? (texts[id] as string) : JSON.stringify(texts[id])));
}

function good(s: TableSpec, keyId = 1, valueId = 2): RawRecord {
  return {
    ref,
    key: frame(keyId, avroType(keySchema(s)), keyObject(s, { id: 1 })),
    value: frame(valueId, avroType(valueSchema(s)), envelope(s, { op: 'c', key: { id: 1 }, after: { v: { value: 'x' } }, tsUs: 1 })),
  };
}

describe('bounded Avro decoding', () => {
  const s = spec([{ name: 'v', type: 'string' }]);
  const cache = cacheOf({ 1: keySchema(s), 2: valueSchema(s), 3: bombSchemas.array, 4: bombSchemas.map });

  it('refuses an array or map block count larger than the bytes left, before allocating', () => {
    for (const id of [3, 4]) {
      const before = process.memoryUsage().heapUsed;
      const r = decodeRecord({ ref, key: good(s).key, value: framed(id, blockCountBomb()) }, cache);
      expect(r.ok).toBe(false);
      if (r.ok === false) {
        expect(r.failure.reason).toBe('undecodable');
        expect(r.failure.message).toMatch(/block count 2147483647 exceeds/);
      }
      expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
    }
  });

  it('still reads honest arrays and maps, in several blocks', () => {
    const arr = Buffer.concat([varint(2), varint(5), varint(6), varint(1), varint(7), varint(0)]);
    expect(avro.Type.forSchema(bombSchemas.array as avro.Schema).fromBuffer(arr)).toEqual({ a: [5, 6, 7] });
    const map = avro.Type.forSchema(bombSchemas.map as avro.Schema);
    expect(map.fromBuffer(map.toBuffer({ m: { a: 1, __proto__x: 2 } }))).toEqual({ m: { a: 1, __proto__x: 2 } });
  });

  it('refuses strings that are not UTF-8 instead of storing U+FFFD', () => {
    const t = avro.Type.forSchema({ type: 'record', name: 'S', fields: [{ name: 's', type: 'string' }] } as avro.Schema);
    expect(() => t.fromBuffer(Buffer.concat([varint(3), Buffer.from([0x61, 0xff, 0x62])]))).toThrow(/not valid UTF-8/);
    expect(t.fromBuffer(t.toBuffer({ s: 'a\uFFFDb ü' }))).toEqual({ s: 'a\uFFFDb ü' });
  });

  it('remembers a schema the Avro library cannot parse and dead-letters its records', () => {
    let reads = 0;
    const bad = new SchemaCache((id) => {
      reads++;
      return id === 9 ? JSON.stringify({ type: 'record', name: 'B', fields: [{ name: 'x', type: 'int', default: 'nope' }] }) : JSON.stringify(keySchema(s));
    });
    for (let i = 0; i < 2; i++) {
      const r = decodeRecord({ ref, key: frame(1, avroType(keySchema(s)), { id: 1 }), value: framed(9, Buffer.from([0])) }, bad);
      expect(r.ok === false && r.failure.reason).toBe('bad-schema');
    }
    expect(reads).toBe(2); // id 1 once, id 9 once: the failure is cached
  });

  it('refuses records above the size limit before decoding', () => {
    const small = good(s);
    const big: RawRecord = { ...small, ref: { ...ref, offset: '2' }, value: Buffer.alloc(5000) };
    const { fit, failed } = splitOversized([small, big], 4096);
    expect(fit).toEqual([small]);
    expect(failed).toMatchObject([{ ref: { offset: '2' }, reason: 'too-large' }]);
  });
});

describe('schemas the sink refuses', () => {
  it('a decimal whose scale is not a number', () => {
    const d = spec([
      { name: 'v', type: 'string' },
      { name: 'd', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 'NaN' } },
    ]);
    const r = decodeRecord(good(d), cacheOf({ 1: keySchema(d), 2: valueSchema(d) }));
    expect(r.ok === false && [r.failure.reason, r.failure.message]).toEqual(['unsupported', expect.stringMatching(/not a valid Avro decimal/)]);
  });

  it('a bookkeeping column name as a user column', () => {
    for (const name of ['_cdc_ts_us', '_cdc_cts', '_cdc_lk_v', '_CDC_x']) {
      const d = spec([
        { name: 'v', type: 'string' },
        { name, type: 'string' },
      ]);
      const r = decodeRecord(good(d), cacheOf({ 1: keySchema(d), 2: valueSchema(d) }));
      expect(r.ok === false && r.failure.reason).toBe('wrong-target');
    }
  });

  it('a 70-byte column name gets a shortened name and keeps its value', () => {
    const long = `c${'x'.repeat(69)}`;
    const d = spec([
      { name: 'v', type: 'string' },
      { name: long, type: 'string' },
    ]);
    const shape = deriveTableShape(keySchema(d) as never, valueSchema(d) as never).shape;
    const col = shape.valueColumns[1]!;
    expect(col.field).toBe(long);
    expect(Buffer.byteLength(col.name)).toBeLessThanOrEqual(63);
    expect(col.name).toMatch(/^cx+_[0-9a-f]{8}$/);
    const rec: RawRecord = {
      ref,
      key: frame(1, avroType(keySchema(d)), { id: 1 }),
      value: frame(2, avroType(valueSchema(d)), envelope(d, { op: 'c', key: { id: 1 }, after: { [long]: { value: 'kept' } }, tsUs: 1 })),
    };
    const r = decodeRecord(rec, cacheOf({ 1: keySchema(d), 2: valueSchema(d) }));
    expect(r.ok === true && r.change.cells[col.name]).toEqual({ m: 'set', value: 'kept' });
  });
});
