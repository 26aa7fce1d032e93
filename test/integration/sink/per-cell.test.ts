/**
 * Per-cell last-write-wins (ScyllaDB semantics) through the real stack: changes arriving out of
 * write-time order (LWT ballots, replays, snapshot/stream overlap) end where Scylla ends. Each
 * scenario runs twice: one change per transaction (the SQL guard) and all changes in one batch (the
 * fold), and both must give Scylla's result.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { closeProducer, pgPool, produce, query, randomName, startSink, storedOffset, topicFixture, waitFor, type TopicFixture } from './sink-harness.js';

const schema = randomName('sink_cell');
const group = randomName('g');
const T = 1_700_000_000_000_000;

type Ch = { op: 'c' | 'u' | 'd'; pk: string; ck?: number; after?: Record<string, string | null>; at: number; kind?: 'partition_delete' };

// In Kafka order; `at` is the write time offset (µs) from T.
const scenario: Ch[] = [
  // r1: newer change to a, then an older change to b (different column) and an older one to a.
  { op: 'c', pk: 'r1', ck: 1, after: { a: 'a1', b: 'b1' }, at: 10 },
  { op: 'u', pk: 'r1', ck: 1, after: { a: 'a2' }, at: 30 },
  { op: 'u', pk: 'r1', ck: 1, after: { b: 'b2' }, at: 20 },
  { op: 'u', pk: 'r1', ck: 1, after: { a: 'stale' }, at: 25 },
  // r2: delete at 20, then an older cell write (15): stays deleted.
  { op: 'c', pk: 'r2', ck: 1, after: { a: 'x' }, at: 10 },
  { op: 'd', pk: 'r2', ck: 1, at: 20 },
  { op: 'u', pk: 'r2', ck: 1, after: { b: 'late' }, at: 15 },
  // r3: delete at 20, then a newer UPDATE of b (30): only b comes back.
  { op: 'c', pk: 'r3', ck: 1, after: { a: 'x', b: 'y' }, at: 10 },
  { op: 'd', pk: 'r3', ck: 1, at: 20 },
  { op: 'u', pk: 'r3', ck: 1, after: { b: 'new' }, at: 30 },
  // r4: a delete older than a later cell write arrives last: the newer cell survives, the rest goes;
  // then that cell is set to null: no marker, no live cell → the row is gone.
  { op: 'c', pk: 'r4', ck: 1, after: { a: 'a', b: 'b' }, at: 10 },
  { op: 'u', pk: 'r4', ck: 1, after: { b: 'b2' }, at: 30 },
  { op: 'd', pk: 'r4', ck: 1, at: 20 },
  { op: 'c', pk: 'r4', ck: 2, after: { a: 'a', b: 'b' }, at: 10 },
  { op: 'u', pk: 'r4', ck: 2, after: { b: 'b2' }, at: 30 },
  { op: 'd', pk: 'r4', ck: 2, at: 20 },
  { op: 'u', pk: 'r4', ck: 2, after: { b: null }, at: 40 },
  // r5: an INSERT's row marker newer than a late delete keeps the row, even with every cell null.
  { op: 'c', pk: 'r5', ck: 1, after: { a: 'a' }, at: 30 },
  { op: 'd', pk: 'r5', ck: 1, at: 20 },
  { op: 'u', pk: 'r5', ck: 1, after: { a: null }, at: 40 },
  // p: a late partition delete (20): row 1 keeps its newer cell b, row 2 goes, an older write to
  // row 2 (18) stays deleted, a newer one to row 3 (25) lives.
  { op: 'c', pk: 'p', ck: 1, after: { a: 'a', b: 'b' }, at: 10 },
  { op: 'u', pk: 'p', ck: 1, after: { b: 'b2' }, at: 30 },
  { op: 'c', pk: 'p', ck: 2, after: { a: 'a' }, at: 15 },
  { op: 'd', pk: 'p', at: 20, kind: 'partition_delete' },
  { op: 'u', pk: 'p', ck: 2, after: { c: 'late' }, at: 18 },
  { op: 'u', pk: 'p', ck: 3, after: { c: 'c3' }, at: 25 },
];

// ScyllaDB's result (hand-derived; cells: value@time; a row shows when a marker or a cell is live).
const expected = [
  { pk: 'p', ck: 1, a: null, b: 'b2', c: null, ts: String(T + 30) },
  { pk: 'p', ck: 3, a: null, b: null, c: 'c3', ts: String(T + 25) },
  { pk: 'r1', ck: 1, a: 'a2', b: 'b2', c: null, ts: String(T + 30) },
  { pk: 'r3', ck: 1, a: null, b: 'new', c: null, ts: String(T + 30) },
  { pk: 'r4', ck: 1, a: null, b: 'b2', c: null, ts: String(T + 30) },
  { pk: 'r5', ck: 1, a: null, b: null, c: null, ts: String(T + 40) },
];

function encode(fx: TopicFixture, c: Ch) {
  const after = c.after ? Object.fromEntries(Object.entries(c.after).map(([k, v]) => [k, { value: v }])) : undefined;
  return fx.encode({ op: c.op, key: c.ck === undefined ? { pk: c.pk } : { pk: c.pk, ck: c.ck }, ...(after ? { after } : {}), tsUs: T + c.at, ...(c.kind ? { changeKind: c.kind } : {}) });
}

const spec = { key: [{ name: 'pk', type: 'string' }, { name: 'ck', type: 'int' }], columns: ['a', 'b', 'c'].map((name) => ({ name, type: 'string' })) };

describe('per-cell version guard', () => {
  afterAll(async () => {
    await closeProducer();
    await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pgPool.end();
  });

  it('out-of-order changes end equal to ScyllaDB, applied one by one and folded in one batch', async () => {
    const single = await topicFixture(spec);
    const folded = await topicFixture(spec);
    const sink = startSink({ SINK_TOPICS: `${single.topic},${folded.topic}`, PG_SCHEMA: schema, SINK_GROUP_ID: group, SINK_BATCH_MAX_WAIT_MS: '300' });
    await sink.started;
    try {
      await produce(folded.topic, scenario.map((c) => encode(folded, c)));
      for (const [i, c] of scenario.entries()) {
        await produce(single.topic, [encode(single, c)]);
        await waitFor(`change ${i}`, async () => (await storedOffset(schema, group, single.topic)) === BigInt(i + 1));
      }
      await waitFor('folded batch', async () => (await storedOffset(schema, group, folded.topic)) === BigInt(scenario.length));
      for (const fx of [single, folded]) {
        const rows = await query(`SELECT pk, ck, a, b, c, _cdc_ts_us::text AS ts FROM "${schema}"."${fx.spec.table}" ORDER BY pk, ck`);
        expect(rows, fx === single ? 'one change per transaction' : 'folded').toEqual(expected);
      }
      // Per-cell times are kept: r1's b was written at 20, its a at 30 (= the row's time, implied).
      const [cts] = await query<{ cts: Record<string, number | null> }>(`SELECT _cdc_cts AS cts FROM "${schema}"."${single.spec.table}" WHERE pk = 'r1'`);
      expect(cts!.cts).toMatchObject({ b: T + 20, c: null });
      expect(cts!.cts).not.toHaveProperty('a');
    } finally {
      await sink.proc.stop();
    }
  });

  it('migrates a table made before per-cell times: rows without _cdc_cts count every cell at _cdc_ts_us', async () => {
    const fx = await topicFixture(spec);
    const g = randomName('g');
    const tbl = `"${schema}"."${fx.spec.table}"`;
    await pgPool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await pgPool.query(`CREATE TABLE ${tbl} (pk text NOT NULL, ck integer NOT NULL, a text, b text, c text, _cdc_ts_us bigint, PRIMARY KEY (pk, ck))`);
    await pgPool.query(`INSERT INTO ${tbl} VALUES ('old', 1, 'a', 'b', NULL, ${T + 50}), ('tool', 1, 'x', NULL, NULL, NULL)`);
    const sink = startSink({ SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: g });
    await sink.started;
    try {
      const changes: Ch[] = [
        { op: 'u', pk: 'old', ck: 1, after: { a: 'older' }, at: 40 }, // older than the row: dropped
        { op: 'u', pk: 'old', ck: 1, after: { b: 'newer' }, at: 60 },
        { op: 'u', pk: 'old', ck: 1, after: { a: 'still older' }, at: 45 }, // a is at 50: dropped
        { op: 'u', pk: 'tool', ck: 1, after: { b: 'y' }, at: 1 }, // no time at all: applies
      ];
      await produce(fx.topic, changes.map((c) => encode(fx, c)));
      await waitFor('applied', async () => (await storedOffset(schema, g, fx.topic)) === BigInt(changes.length));
      const rows = await query(`SELECT pk, a, b, _cdc_ts_us::text AS ts, _cdc_cts AS cts FROM ${tbl} ORDER BY pk`);
      expect(rows).toEqual([
        { pk: 'old', a: 'a', b: 'newer', ts: String(T + 60), cts: { _marker: T + 50, a: T + 50, c: T + 50 } },
        { pk: 'tool', a: 'x', b: 'y', ts: String(T + 1), cts: { _marker: null, a: null, c: null } },
      ]);
    } finally {
      await sink.proc.stop();
    }
  });
});
