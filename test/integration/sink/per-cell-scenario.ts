/**
 * The out-of-order scenario of per-cell.test.ts (hard deletes) and soft-delete.test.ts
 * (SINK_DELETE_MODE=soft): the changes in Kafka order and ScyllaDB's result.
 */
import { produce, startSink, storedOffset, topicFixture, waitFor, type TopicFixture } from './sink-harness.js';

export const T = 1_700_000_000_000_000;

export type Ch = { op: 'c' | 'u' | 'd'; pk: string; ck?: number; after?: Record<string, string | null>; at: number; kind?: 'partition_delete' };

// In Kafka order; `at` is the write time offset (µs) from T.
export const scenario: Ch[] = [
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
export const expected = [
  { pk: 'p', ck: 1, a: null, b: 'b2', c: null, ts: String(T + 30) },
  { pk: 'p', ck: 3, a: null, b: null, c: 'c3', ts: String(T + 25) },
  { pk: 'r1', ck: 1, a: 'a2', b: 'b2', c: null, ts: String(T + 30) },
  { pk: 'r3', ck: 1, a: null, b: 'new', c: null, ts: String(T + 30) },
  { pk: 'r4', ck: 1, a: null, b: 'b2', c: null, ts: String(T + 30) },
  { pk: 'r5', ck: 1, a: null, b: null, c: null, ts: String(T + 40) },
];

export function encode(fx: TopicFixture, c: Ch) {
  const after = c.after ? Object.fromEntries(Object.entries(c.after).map(([k, v]) => [k, { value: v }])) : undefined;
  return fx.encode({
    op: c.op,
    key: c.ck === undefined ? { pk: c.pk } : { pk: c.pk, ck: c.ck },
    ...(after ? { after } : {}),
    tsUs: T + c.at,
    ...(c.kind ? { changeKind: c.kind } : {}),
  });
}

export const spec = {
  key: [
    { name: 'pk', type: 'string' },
    { name: 'ck', type: 'int' },
  ],
  columns: ['a', 'b', 'c'].map((name) => ({ name, type: 'string' })),
};

/**
 * Runs the scenario through one sink (env added to the schema and group): once one change per
 * transaction (`single`), once all in one batch (`folded`); resolves when both are applied, then
 * `check` runs before the sink stops.
 */
export async function runScenario(
  schema: string,
  group: string,
  env: Record<string, string>,
  check: (fx: { single: TopicFixture; folded: TopicFixture }) => Promise<void>,
): Promise<void> {
  const single = await topicFixture(spec);
  const folded = await topicFixture(spec);
  const sink = startSink({ SINK_TOPICS: `${single.topic},${folded.topic}`, PG_SCHEMA: schema, SINK_GROUP_ID: group, SINK_BATCH_MAX_WAIT_MS: '300', ...env });
  await sink.started;
  try {
    await produce(
      folded.topic,
      scenario.map((c) => encode(folded, c)),
    );
    for (const [i, c] of scenario.entries()) {
      await produce(single.topic, [encode(single, c)]);
      await waitFor(`change ${i}`, async () => (await storedOffset(schema, group, single.topic)) === BigInt(i + 1));
    }
    await waitFor('folded batch', async () => (await storedOffset(schema, group, folded.topic)) === BigInt(scenario.length));
    await check({ single, folded });
  } finally {
    await sink.proc.stop();
  }
}
