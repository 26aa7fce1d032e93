import { describe, expect, it } from 'vitest';
import { SchemaCache, decodeRecord, decodeRecords, type RawRecord } from '../../../../src/sink/core/decode-record.js';
import { withRefs } from '../../../../src/sink/core/decode-limits.js';
import { jobBytes, jobRecords } from '../../../../src/sink/core/job-bytes.js';
import { foldChanges } from '../../../../src/sink/core/fold.js';
import { packChange, unpackChange, unpackEach } from '../../../../src/sink/core/packed-change.js';
import { AppliedTally } from '../../../../src/sink/sink-stats.js';
import { routeByTopic } from '../../../../src/sink/core/topic-target.js';
import type { RowChange } from '../../../../src/sink/core/types.js';
import { avroType, envelope, frame, keyObject, keySchema, valueSchema, type TableSpec } from '../../../fixtures/sink/envelope.js';

const ref = { topic: 'cdc.scylla.users', partition: 2, offset: '41' };
const base = { ref, op: 'u', key: ['5b6962dd-3f90-4c93-8f61-eabfb69b8c77', null], tsUs: '1764460800000001', seq: 3, bytes: 259 };

/** Every shape of change the fold and the apply SQL read: unpacking must give it back exactly. */
const changes: RowChange[] = [
  { ...base, kind: 'upsert', cells: { name: { m: 'set', value: 'Ada' }, city: { m: 'set', value: null }, quote: { m: 'set', value: 'say "hi"\n\\ é 😀' } } },
  { ...base, kind: 'upsert', op: 'c', cells: {}, expiry: { cells: {}, marker: '1764460900000000' } },
  { ...base, kind: 'upsert', cells: { tags: { m: 'modify', add: '{"a"}', remove: null }, l: { m: 'modify', add: '{1}', remove: '{k}', listKeys: '{k1}' } } },
  {
    ...base,
    kind: 'upsert',
    cells: { l: { m: 'set', value: '{1,2}', listKeys: '{k1,k2}' }, n: { m: 'set', value: null, listKeys: null } },
    expiry: { cells: { l: '17' }, marker: null },
  },
  { ...base, kind: 'delete', op: 'd', cells: {} },
  { ...base, kind: 'partition_delete', op: 'd', cells: {} },
  { ...base, kind: 'range_delete', op: 'd', cells: {}, range: { start: { values: ['3'], inclusive: false }, end: { values: [], inclusive: true } } },
  { ...base, kind: 'static_row', cells: { s: { m: 'set', value: 'x' } } },
];

describe('packed changes (what the main thread holds from decode to commit)', () => {
  it('unpack to the very change that was packed, whatever its kind, cells, range or expiry', () => {
    for (const c of changes) {
      const p = packChange(c, { key: 1, value: 2 });
      expect(p).toMatchObject({ ref, kind: c.kind, bytes: 259, schemaIds: { key: 1, value: 2 }, table: '' });
      expect(unpackChange(p)).toStrictEqual(c);
    }
  });

  it('fold change by change as they are unpacked, as the whole batch would, each counted once', () => {
    const batch = changes.map((c, i) => ({ ...c, tsUs: String(10 + i) }));
    const packed = batch.map((c) => packChange(c, { key: 1, value: 2 }));
    const tally = new AppliedTally();
    const seen: string[] = [];
    const folded = foldChanges(
      unpackEach(packed, (c) => {
        seen.push(c.tsUs);
        tally.count(c);
      }),
    );
    expect(folded).toStrictEqual(foldChanges(batch));
    expect(seen).toEqual(batch.map((c) => c.tsUs));
    expect([tally.changes, tally.maxTs, tally.ops]).toEqual([8, 17n, { u: 4, c: 1, d: 3 }]);
  });

  it('hold one string for what the fold needs, not an object per cell', () => {
    const p = packChange(changes[0]!, { key: 1, value: 2 });
    const own = Object.entries(p).filter(([k, v]) => k !== 'ref' && k !== 'schemaIds' && typeof v === 'object' && v !== null);
    expect(own).toEqual([]);
    // An OVERWRITE cell is its value alone.
    expect(p.body).toContain('"name":"Ada","city":null');
  });
});

const spec: TableSpec = {
  keyspace: 'ks',
  table: 'users',
  key: [{ name: 'id', type: { type: 'string', logicalType: 'uuid' } }],
  columns: [
    { name: 'name', type: 'string' },
    { name: 'tags', type: { type: 'array', items: 'string' }, collection: 'set' },
  ],
};
const schemas = new Map<number, string>([
  [1, JSON.stringify(keySchema(spec))],
  [2, JSON.stringify(valueSchema(spec))],
]);
const kt = avroType(keySchema(spec));
const vt = avroType(valueSchema(spec));
const id = '123e4567-e89b-12d3-a456-426614174000';

describe('the decode worker posts packed changes by record index', () => {
  it('decode → refs of the job → route → unpack gives what decodeRecord gives', () => {
    const cache = new SchemaCache((n) => schemas.get(n));
    const records: RawRecord[] = [0, 1, 2].map((i) => ({
      ref: { topic: 'cdc.scylla.users', partition: 1, offset: String(10 + i) },
      key: frame(1, kt, keyObject(spec, { id })),
      value:
        i === 1
          ? null // a Kafka tombstone: skipped, so indices and offsets differ after it
          : frame(2, vt, envelope(spec, { op: 'u', key: { id }, after: { name: { value: `n${i}` }, tags: { value: ['a'], mode: 'MODIFY', removed: null } }, tsUs: 5 + i })),
    }));
    // The worker's side: the records as the job carries them, bytes only (job-bytes.ts).
    const posted = decodeRecords(jobRecords(jobBytes(records)), cache);
    expect(posted.changes.map((c) => c.at)).toEqual([0, 2]);
    expect(posted.changes[0]).not.toHaveProperty('ref');
    expect(posted.changes[0]!.schemaIds).toBe(posted.changes[1]!.schemaIds); // one object per job
    expect(posted.changes[0]!.claimed).toBe(posted.changes[1]!.claimed);
    const routed = routeByTopic(withRefs(posted, records), 'cdc.scylla.{table}');
    expect(routed.skipped).toBe(1);
    expect(routed.changes.map((c) => c.ref)).toEqual([records[0]!.ref, records[2]!.ref]);
    expect(routed.changes[1]!.ref).toBe(records[2]!.ref); // the caller's ref, not a copy
    for (const [i, c] of routed.changes.entries()) {
      const r = decodeRecord(records[i * 2]!, cache);
      if (r.ok !== true) throw new Error('expected a change');
      const { table: _t, claimed: _c, schemaIds: _s, ...full } = r.change;
      expect(c.table).toBe('users');
      expect(unpackChange(c)).toStrictEqual(full);
    }
  });

  it("a failure names its record by index, and gets that record's ref back", () => {
    const cache = new SchemaCache((n) => schemas.get(n));
    const good = (i: number): RawRecord => ({
      ref: { topic: 'cdc.scylla.users', partition: 2, offset: String(20 + i) },
      key: frame(1, kt, keyObject(spec, { id })),
      value: frame(2, vt, envelope(spec, { op: 'c', key: { id }, after: { name: { value: 'x' }, tags: { value: null } }, tsUs: 1 })),
    });
    const records = [good(0), { ...good(1), value: Buffer.from([9, 0, 0, 0, 2, 0]) }, { ...good(2), key: Buffer.from([0, 0, 0, 0, 77, 0]) }, good(3)];
    const posted = decodeRecords(jobRecords(jobBytes(records)), cache);
    expect(posted.failed.map((f) => [f.at, f.reason])).toEqual([
      [1, 'bad-magic-byte'],
      [2, 'unknown-schema'],
    ]);
    expect(posted.failed[0]).not.toHaveProperty('ref');
    const out = withRefs(posted, records);
    expect(out.failed.map((f) => f.ref)).toEqual([records[1]!.ref, records[2]!.ref]);
    expect(out.changes.map((c) => c.ref)).toEqual([records[0]!.ref, records[3]!.ref]);
    expect(out.changes[0]!.kind).toBe('upsert');
  });
});
