import { describe, expect, it } from 'vitest';
import { buildChangeRecords, buildSnapshotRecord } from '../../../../src/source/core/build-envelope.js';
import { mergeCells } from '../../../../src/source/core/envelope-cells.js';
import { groupChangeRows } from '../../../../src/source/core/group-change-rows.js';
import { avroType } from '../../../../src/schema/avro-codec.js';
import { envelopeSchema, keySchema } from '../../../../src/schema/cql-to-avro.js';
import type { TableModel } from '../../../../src/schema/table-model.js';
import type { CdcLogRow } from '../../../../src/source/core/log-row.js';
import { T, T2, batch, row } from './fixtures.js';

const ctx = { sourceName: 'src', version: '0.1.0', nowMs: 42 };

function build(table: TableModel, rows: CdcLogRow[]) {
  const g = groupChangeRows(rows);
  expect(g.changes).toHaveLength(1);
  const recs = buildChangeRecords(table, g.changes[0]!, ctx);
  // every record must encode with the derived schemas
  const vt = avroType(envelopeSchema(table));
  const kt = avroType(keySchema(table));
  for (const r of recs) {
    expect(vt.isValid(r.value, { errorHook: (path) => expect.fail(`invalid at ${path.join('.')}`) })).toBe(true);
    expect(kt.isValid(r.key)).toBe(true);
  }
  return recs;
}

const src = (r: { value: Record<string, unknown> }) => r.value.source as Record<string, unknown>;
const after = (r: { value: Record<string, unknown> }) => r.value.after as Record<string, unknown>;
const before = (r: { value: Record<string, unknown> }) => r.value.before as Record<string, unknown>;

describe('buildChangeRecords: row ops', () => {
  it('INSERT → c with wrapped cells; untouched cells null; key and ts from cdc$time', () => {
    const [r, ...rest] = build(T, batch(row(2, 0, { pk: 1, ck: 2, v: 3, cdc$deleted_s: null })));
    expect(rest).toHaveLength(0);
    expect(r!.op).toBe('c');
    expect(r!.key).toEqual({ pk: 1, ck: 2 });
    expect(r!.partitionKey).toEqual({ pk: 1 });
    expect(after(r!)).toMatchObject({ pk: 1, ck: 2, v: { value: 3 }, s: null, m: null });
    expect(r!.value.before).toBeNull();
    expect(src(r!)).toMatchObject({
      ts_us: 1700000000000001,
      ts_ms: 1700000000000,
      change_kind: 'row',
      cdc_operation: 2,
      snapshot: 'false',
      connector: 'scylla',
      name: 'src',
      db: 'ks',
    });
    expect(r!.value.ts_ms).toBe(42);
  });
  it('UPDATE setting NULL → u with {value:null}', () => {
    const [r] = build(T, batch(row(1, 0, { pk: 1, ck: 2, cdc$deleted_v: true })));
    expect(r!.op).toBe('u');
    expect(after(r!).v).toEqual({ value: null });
  });
  it('UPDATE USING TTL records ttl; TTL-split rows of one statement merge into one event', () => {
    const recs = build(T, batch(row(1, 0, { pk: 1, ck: 2, cdc$deleted_s: true }), row(1, 1, { pk: 1, ck: 2, v: 0 }, { ttl: 5 })));
    // s is static but the row has a ck: in the log a static change has ck null; here both have ck, so one row event
    expect(recs).toHaveLength(1);
    expect(after(recs[0]!)).toMatchObject({ v: { value: 0 }, s: { value: null } });
    expect(src(recs[0]!).ttl).toBe(5);
    expect(src(recs[0]!).cell_ttls).toBeNull(); // the dead cell has no TTL: one TTL for what lives
  });
  it("one row written with two TTLs at one timestamp (a batch): cell_ttls gives each live cell its own, the marker its INSERT's", () => {
    // BEGIN BATCH INSERT INTO t (pk, ck, v) VALUES (1, 2, 0) USING TTL 3; UPDATE t SET st = st + {7} WHERE pk = 1 AND ck = 2; APPLY BATCH
    const recs = build(T, batch(row(1, 0, { pk: 1, ck: 2, st: new Set([7]) }), row(2, 1, { pk: 1, ck: 2, v: 0 }, { ttl: 3 })));
    expect(recs).toHaveLength(1);
    expect(src(recs[0]!).ttl).toBe(3); // the largest, as before
    expect(src(recs[0]!).cell_ttls).toEqual({ $marker: 3, v: 3 }); // st absent: no TTL
  });
  it('static + clustered write → static_row u (ck null) then row c', () => {
    const recs = build(T, batch(row(1, 0, { pk: 0, ck: null, s: 5 }), row(2, 1, { pk: 0, ck: 0, v: 1 })));
    expect(recs.map((r) => [r.op, src(r).change_kind])).toEqual([
      ['u', 'static_row'],
      ['c', 'row'],
    ]);
    expect(recs[0]!.key).toEqual({ pk: 0, ck: null });
    expect(after(recs[0]!)).toMatchObject({ pk: 0, ck: null, s: { value: 5 }, v: null });
    expect(src(recs[1]!).seq).toBe(1);
  });
  it('row delete → d with key in before, after null', () => {
    const [r] = build(T, batch(row(3, 0, { pk: 1, ck: 2 })));
    expect(r!.op).toBe('d');
    expect(r!.value.after).toBeNull();
    expect(before(r!)).toMatchObject({ pk: 1, ck: 2, v: null });
    expect(src(r!)).toMatchObject({ change_kind: 'row', cdc_operation: 3 });
  });
  it('service row delete (-3, per-row TTL expiry) → d row with the negative code', () => {
    const [r] = build(T, batch(row(-3, 0, { pk: 1, ck: 2 })));
    expect(r!.op).toBe('d');
    expect(src(r!)).toMatchObject({ change_kind: 'row', cdc_operation: -3 });
  });
  it('partition delete (4 and -4) → d partition_delete with null ck', () => {
    for (const op of [4, -4]) {
      const [r] = build(T, batch(row(op, 0, { pk: 1, ck: null })));
      expect(r!.op).toBe('d');
      expect(r!.key).toEqual({ pk: 1, ck: null });
      expect(src(r!)).toMatchObject({ change_kind: 'partition_delete', cdc_operation: op });
    }
  });
  it('partition delete on a table without clustering key → d (as the connector), kind partition_delete', () => {
    const [r] = build(T2, batch(row(4, 0, { pk: 9 })));
    expect(r!.op).toBe('d');
    expect(r!.key).toEqual({ pk: 9 });
    expect(before(r!)).toEqual({ pk: 9, v: null });
  });
});

describe('buildChangeRecords: range deletes', () => {
  it('pairs start/end rows into one d with bounds and inclusivity', () => {
    const recs = build(T, batch(row(6, 0, { pk: 0, ck: 0 }), row(7, 1, { pk: 0, ck: 2 })));
    expect(recs).toHaveLength(1);
    expect(recs[0]!.op).toBe('d');
    expect(src(recs[0]!)).toMatchObject({ change_kind: 'range_delete', range_start: { ck: 0 }, range_end: { ck: 2 }, range_start_inclusive: false, range_end_inclusive: true });
    expect(recs[0]!.key).toEqual({ pk: 0, ck: null });
  });
  it('unbounded start (5 with ck null) and exclusive end (8)', () => {
    const [r] = build(T, batch(row(5, 0, { pk: 0, ck: null }), row(8, 1, { pk: 0, ck: 3 })));
    expect(src(r!)).toMatchObject({ range_start: null, range_start_inclusive: true, range_end: { ck: 3 }, range_end_inclusive: false });
  });
  it('two range deletes in one batch give two events', () => {
    const recs = build(T, batch(row(5, 0, { pk: 0, ck: 1 }), row(7, 1, { pk: 0, ck: 1 }), row(6, 2, { pk: 0, ck: 5 }), row(7, 3, { pk: 0, ck: null })));
    expect(recs.map((r) => src(r).range_start)).toEqual([{ ck: 1 }, { ck: 5 }]);
    expect(src(recs[1]!).range_end).toBeNull();
  });
});

describe('buildChangeRecords: collections and UDTs', () => {
  const tu = (n: number) => `${n.toString(16).padStart(8, '0')}-0000-1000-8000-000000000000`;
  it('map add → MODIFY with elements', () => {
    const [r] = build(T, batch(row(1, 0, { pk: 0, ck: 0, m: new Map([[1, 'a']]) })));
    expect(after(r!).m).toEqual({ value: [{ key: 1, value: 'a' }], mode: 'MODIFY', removed: null });
  });
  it('map remove → MODIFY with removed keys and empty value', () => {
    const [r] = build(T, batch(row(1, 0, { pk: 0, ck: 0, cdc$deleted_elements_m: new Set([1, 2]) })));
    expect(after(r!).m).toEqual({ value: [], mode: 'MODIFY', removed: [1, 2] });
  });
  it('map overwrite → OVERWRITE with the new value; clear → OVERWRITE null', () => {
    const [a] = build(T, batch(row(1, 0, { pk: 0, ck: 0, m: new Map([[1, 'a']]), cdc$deleted_m: true })));
    expect(after(a!).m).toEqual({ value: [{ key: 1, value: 'a' }], mode: 'OVERWRITE', removed: null });
    const [b] = build(T, batch(row(1, 0, { pk: 0, ck: 0, cdc$deleted_m: true })));
    expect(after(b!).m).toEqual({ value: null, mode: 'OVERWRITE', removed: null });
  });
  it('list append carries timeuuid keys; list remove lists the keys', () => {
    const [a] = build(
      T,
      batch(
        row(1, 0, {
          pk: 0,
          ck: 0,
          l: new Map([
            [tu(1), 'x'],
            [tu(2), 'y'],
          ]),
        }),
      ),
    );
    expect(after(a!).l).toEqual({ value: ['x', 'y'], mode: 'MODIFY', removed: null, list_keys: [tu(1), tu(2)] });
    const [b] = build(T, batch(row(1, 0, { pk: 0, ck: 0, cdc$deleted_elements_l: new Set([tu(1)]) })));
    expect(after(b!).l).toEqual({ value: [], mode: 'MODIFY', removed: [tu(1)], list_keys: [] });
  });
  it('set add/remove', () => {
    const [a] = build(T, batch(row(1, 0, { pk: 0, ck: 0, st: new Set([4]), cdc$deleted_elements_st: new Set([5]) })));
    expect(after(a!).st).toEqual({ value: [4], mode: 'MODIFY', removed: [5] });
  });
  it('UDT field update and field deletion → MODIFY with removed field names', () => {
    const [r] = build(T, batch(row(1, 0, { pk: 0, ck: 0, u: { street: 'Main', no: null, zip: null }, cdc$deleted_elements_u: new Set([2]) })));
    expect(after(r!).u).toEqual({ value: { street: 'Main', no: null, zip: null }, mode: 'MODIFY', removed: ['zip'] });
  });
  it('INSERT with TTL and a collection (3 rows) merges into one c with an OVERWRITE', () => {
    const recs = build(
      T,
      batch(row(2, 0, { pk: 0, ck: 0 }, { ttl: 5 }), row(1, 1, { pk: 0, ck: 0, cdc$deleted_m: true }), row(1, 2, { pk: 0, ck: 0, m: new Map([[1, 'a']]) }, { ttl: 5 })),
    );
    expect(recs).toHaveLength(1);
    expect(recs[0]!.op).toBe('c');
    expect(after(recs[0]!).m).toEqual({ value: [{ key: 1, value: 'a' }], mode: 'OVERWRITE', removed: null });
    expect(src(recs[0]!).ttl).toBe(5);
  });
  it('mergeCells: MODIFY + MODIFY concatenates', () => {
    expect(mergeCells({ value: [1], mode: 'MODIFY', removed: [2] }, { value: [3], mode: 'MODIFY', removed: null })).toEqual({
      value: [1, 3],
      mode: 'MODIFY',
      removed: [2],
      list_keys: undefined,
    });
  });
});

describe('buildChangeRecords: images', () => {
  it('pre-image fills before (deleted flag = NULL); post-image merges into an insert', () => {
    const rows = batch(
      row(0, 0, { pk: 0, ck: 0, v: 0, cdc$deleted_s: true }),
      row(2, 1, { pk: 0, ck: 0, st: new Set([1]), cdc$deleted_st: true }),
      row(9, 2, { pk: 0, ck: 0, v: 0, s: null, st: new Set([1]) }),
    );
    const [r] = build(T, rows);
    expect(before(r!)).toMatchObject({ pk: 0, ck: 0, v: { value: 0 }, s: { value: null }, m: null });
    expect(after(r!)).toMatchObject({ v: { value: 0 }, s: { value: null }, st: { value: [1], mode: 'OVERWRITE' } });
  });
  it('row delete with pre-image carries the old row in before', () => {
    const [r] = build(T, batch(row(0, 0, { pk: 0, ck: 0, v: 7 }), row(3, 1, { pk: 0, ck: 0 })));
    expect(before(r!)).toMatchObject({ v: { value: 7 } });
  });
});

describe('buildSnapshotRecord', () => {
  it('emits r with every column wrapped', () => {
    const r = buildSnapshotRecord(T, { pk: 1, ck: 1, v: 2, s: null, m: new Map([[1, 'a']]), l: ['q'], st: null, u: null }, ctx, 5_000_000);
    expect(r.op).toBe('r');
    expect(after(r)).toMatchObject({ v: { value: 2 }, s: { value: null }, l: { value: ['q'], mode: 'OVERWRITE', list_keys: null } });
    expect(src(r)).toMatchObject({ snapshot: 'true', ts_us: 5_000_000 });
    expect(avroType(envelopeSchema(T)).isValid(r.value)).toBe(true);
  });
});
