/**
 * Partition and range deletes kept as range tombstones, on the real stack. ScyllaDB's partition and
 * range tombstones shadow every older write to any row they cover, held by a replica or not; the
 * sink tombstones only the keys PostgreSQL holds when the delete applies, so without the range
 * tombstone a late older write of another key in the range would show. Every expected row below is
 * written out by hand from the bounds (a key just inside and just outside each bound).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { tombstonesPurged } from '../../../src/metrics/sink-metrics.js';
import { closeProducer, pgPool, produce, query, randomName, startSink, storedOffset, topicFixture, waitFor, type TopicFixture } from './sink-harness.js';

const schema = randomName('sink_range');

afterAll(async () => {
  await closeProducer();
  await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pgPool.end();
});

/** Partition key pk, clustering key (c1, c2), one value column. */
const clusteredSpec = {
  key: [
    { name: 'pk', type: 'string' },
    { name: 'c1', type: 'int' },
    { name: 'c2', type: 'int' },
  ],
  columns: [{ name: 'v', type: 'string' }],
  partitionKey: 1,
};
const clusteredFixture = () => topicFixture(clusteredSpec);

type Row = { pk: string; c1: number; c2: number; v: string | null };

type Send = (what: string, changes: ReturnType<TopicFixture['encode']>[]) => Promise<void>;

/** Runs `body` with a sink of its own on `fx`'s topic; `send` produces and waits until the sink committed all that was sent. */
async function withSink(fx: TopicFixture, env: Record<string, string>, body: (send: Send) => Promise<void>): Promise<void> {
  const group = randomName('g');
  const sink = startSink({ SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: group, ...env });
  await sink.started;
  let sent = 0;
  const send: Send = async (what, changes) => {
    await produce(fx.topic, changes);
    sent += changes.length;
    await waitFor(what, async () => (await storedOffset(schema, group, fx.topic).catch(() => undefined)) === BigInt(sent));
  };
  try {
    await body(send);
  } finally {
    await sink.proc.stop();
  }
}

const rowsOf = (fx: TopicFixture) => query<Row>(`SELECT pk, c1, c2, v FROM "${schema}"."${fx.spec.table}" ORDER BY pk, c1, c2`);

describe('range tombstones', () => {
  it('a partition delete refuses late older writes of keys PostgreSQL never held; newer ones and other partitions apply', async () => {
    const fx = await clusteredFixture();
    const T = 1_700_000_000_000_000;
    const put = (pk: string, c1: number, c2: number, at: number) => fx.encode({ op: 'c', key: { pk, c1, c2 }, after: { v: { value: `${pk}${c1}${c2}@${at - T}` } }, tsUs: at });
    await withSink(fx, {}, async (send) => {
      await send('held rows applied', [put('p1', 1, 1, T - 10), put('p1', 1, 2, T - 10)]);
      await send('partition delete applied', [fx.encode({ op: 'd', key: { pk: 'p1' }, tsUs: T, changeKind: 'partition_delete' })]);
      expect(await rowsOf(fx)).toEqual([]);
      await send('late writes applied or refused', [
        put('p1', 5, 5, T - 5), // never held, older than the delete: refused
        put('p1', 7, 7, T), // same write time as the delete: the tombstone wins the tie
        put('p1', 1, 1, T - 1), // held and tombstoned key, older: refused (row tombstone)
        put('p1', 6, 6, T + 5), // newer than the delete: applies
        put('p2', 5, 5, T - 5), // another partition: applies
      ]);
      expect(await rowsOf(fx)).toEqual([
        { pk: 'p1', c1: 6, c2: 6, v: 'p166@5' },
        { pk: 'p2', c1: 5, c2: 5, v: 'p255@-5' },
      ]);
    });
  }, 120_000);

  it('a range delete refuses exactly the keys its bounds cover: inclusive, exclusive, prefix and open bounds', async () => {
    const fx = await clusteredFixture();
    const T = 1_700_000_000_000_000;
    const range = (pk: string, start: Record<string, number> | null, startIncl: boolean, end: Record<string, number> | null, endIncl: boolean) =>
      fx.encode({ op: 'd', key: { pk }, tsUs: T, changeKind: 'range_delete', rangeStart: start, rangeStartInclusive: startIncl, rangeEnd: end, rangeEndInclusive: endIncl });
    const late = (pk: string, c1: number, c2: number, at = T - 5) => fx.encode({ op: 'u', key: { pk, c1, c2 }, after: { v: { value: `${pk}/${c1}/${c2}` } }, tsUs: at });
    await withSink(fx, {}, async (send) => {
      // PostgreSQL holds one row of each partition, inside its range, so the deletes have something to remove too.
      await send('held rows applied', [late('pa', 3, 3, T - 10), late('pb', 1, 7, T - 10), late('pc', 0, 0, T - 10)]);
      await send('range deletes applied', [
        range('pa', { c1: 2 }, true, { c1: 4 }, false), // c1 >= 2 AND c1 < 4 (prefix bounds)
        range('pb', { c1: 1, c2: 5 }, false, { c1: 2, c2: 3 }, true), // (c1, c2) > (1, 5) AND (c1, c2) <= (2, 3)
        range('pc', null, true, { c1: 3 }, true), // c1 <= 3 (no start)
        range('pc', { c1: 7 }, false, null, true), // c1 > 7 (no end)
      ]);
      expect(await rowsOf(fx)).toEqual([]);
      await send('late writes applied or refused', [
        late('pa', 1, 9), // below the inclusive start: applies
        late('pa', 2, 0), // on the inclusive start's prefix: refused
        late('pa', 3, 9), // inside: refused
        late('pa', 3, 1, T + 1), // inside but newer than the delete: applies
        late('pa', 4, 0), // on the exclusive end's prefix: applies
        late('pb', 1, 5), // the exclusive start itself: applies
        late('pb', 1, 4), // below it: applies
        late('pb', 1, 6), // just above it: refused
        late('pb', 2, 0), // inside: refused
        late('pb', 2, 3), // the inclusive end itself: refused
        late('pb', 2, 4), // just above it: applies
        late('pc', 3, 100), // under c1 <= 3: refused
        late('pc', 4, 0), // between the two ranges: applies
        late('pc', 7, 100), // c1 = 7, not > 7: applies
        late('pc', 8, 0), // c1 > 7: refused
        late('pd', 3, 3), // a partition without deletes: applies
      ]);
      const expected = [
        { pk: 'pa', c1: 1, c2: 9, v: 'pa/1/9' },
        { pk: 'pa', c1: 3, c2: 1, v: 'pa/3/1' },
        { pk: 'pa', c1: 4, c2: 0, v: 'pa/4/0' },
        { pk: 'pb', c1: 1, c2: 4, v: 'pb/1/4' },
        { pk: 'pb', c1: 1, c2: 5, v: 'pb/1/5' },
        { pk: 'pb', c1: 2, c2: 4, v: 'pb/2/4' },
        { pk: 'pc', c1: 4, c2: 0, v: 'pc/4/0' },
        { pk: 'pc', c1: 7, c2: 100, v: 'pc/7/100' },
        { pk: 'pd', c1: 3, c2: 3, v: 'pd/3/3' },
      ];
      expect(await rowsOf(fx)).toEqual(expected);
      // One interval per delete; a replay of one raises nothing and adds no row.
      await send('a replayed range delete applied', [range('pa', { c1: 2 }, true, { c1: 4 }, false)]);
      expect(await rowsOf(fx)).toEqual(expected);
      const kept = await query<{ pk: string; n: string }>(`SELECT pk, count(*) AS n FROM "${schema}"."_cdc_range_tombstones_${fx.spec.table}" GROUP BY pk ORDER BY pk`);
      expect(kept).toEqual([
        { pk: 'pa', n: '1' },
        { pk: 'pb', n: '1' },
        { pk: 'pc', n: '2' },
      ]);
    });
  }, 120_000);

  it('on DESC clustering columns, refuses exactly the keys each CQL range names, from the bounds ScyllaDB logs in clustering order', async () => {
    const T = 1_700_000_000_000_000;
    type B = Record<string, number> | null;
    // Each case: the CQL condition (the model), then the bounds as ScyllaDB logs them for it
    // (statement_restrictions.cc reverse_if_reqd: the last restricted column's range swaps when DESC).
    type Case = [string, (c1: number, c2: number) => boolean, B, boolean, B, boolean];
    const fixtures: [string[], Case[]][] = [
      [
        ['c2'],
        [
          ['c1 = 2 AND c2 > 3', (a, b) => a === 2 && b > 3, { c1: 2 }, true, { c1: 2, c2: 3 }, false],
          ['c1 = 2 AND c2 >= 2 AND c2 < 4', (a, b) => a === 2 && b >= 2 && b < 4, { c1: 2, c2: 4 }, false, { c1: 2, c2: 2 }, true],
          ['c1 > 1 AND c1 <= 2', (a) => a > 1 && a <= 2, { c1: 1 }, false, { c1: 2 }, true],
          ['c1 = 1 AND c2 <= 2', (a, b) => a === 1 && b <= 2, { c1: 1, c2: 2 }, true, { c1: 1 }, true],
        ],
      ],
      [
        ['c1'],
        [
          ['c1 > 1', (a) => a > 1, null, true, { c1: 1 }, false],
          ['c1 >= 2 AND c1 < 3', (a) => a >= 2 && a < 3, { c1: 3 }, false, { c1: 2 }, true],
          ['c1 = 2 AND c2 > 3', (a, b) => a === 2 && b > 3, { c1: 2, c2: 3 }, false, { c1: 2 }, true],
          ['c1 <= 1', (a) => a <= 1, { c1: 1 }, true, null, true],
        ],
      ],
      [
        ['c1', 'c2'],
        [
          ['c1 = 2 AND c2 < 3', (a, b) => a === 2 && b < 3, { c1: 2, c2: 3 }, false, { c1: 2 }, true],
          ['c1 < 3 AND c1 > 1', (a) => a < 3 && a > 1, { c1: 3 }, false, { c1: 1 }, false],
        ],
      ],
    ];
    const grid = [1, 2, 3].flatMap((c1) => [1, 2, 3, 4, 5].map((c2) => [c1, c2] as const));
    for (const [descending, cases] of fixtures) {
      const fx = await topicFixture({ ...clusteredSpec, descending });
      const late = (pk: string, c1: number, c2: number) => fx.encode({ op: 'u', key: { pk, c1, c2 }, after: { v: { value: `${pk}/${c1}/${c2}` } }, tsUs: T - 5 });
      await withSink(fx, {}, async (send) => {
        await send(
          'range deletes applied',
          cases.map(([where, , start, startIncl, end, endIncl]) =>
            fx.encode({
              op: 'd',
              key: { pk: where },
              tsUs: T,
              changeKind: 'range_delete',
              rangeStart: start,
              rangeStartInclusive: startIncl,
              rangeEnd: end,
              rangeEndInclusive: endIncl,
            }),
          ),
        );
        // Keys PostgreSQL never held, older than the deletes: only the range tombstones refuse them.
        await send(
          'late writes applied or refused',
          cases.flatMap(([where]) => grid.map(([c1, c2]) => late(where, c1, c2))),
        );
        const expected = cases.flatMap(([where, covers]) => grid.filter(([c1, c2]) => !covers(c1, c2)).map(([c1, c2]) => ({ pk: where, c1, c2, v: `${where}/${c1}/${c2}` })));
        const order = (r: Row) => `${r.pk}|${r.c1}|${r.c2}`;
        expect({ descending, rows: (await rowsOf(fx)).sort((a, b) => order(a).localeCompare(order(b))) }).toEqual({
          descending,
          rows: expected.sort((a, b) => order(a).localeCompare(order(b))),
        });
      });
    }
  }, 120_000);

  it('retention drops range tombstones (counted with the row tombstones of the table); then a late older write applies', async () => {
    const fx = await clusteredFixture();
    const now = Date.now() * 1000;
    const MIN = 60_000_000;
    const purged = async () => (await tombstonesPurged.get()).values.find((v) => v.labels.table === fx.spec.table)?.value ?? 0;
    const before = await purged();
    const put = (pk: string, c1: number, at: number) => fx.encode({ op: 'c', key: { pk, c1, c2: 0 }, after: { v: { value: `${pk}${c1}` } }, tsUs: at });
    const rangeFrom1 = (pk: string, at: number) => fx.encode({ op: 'd', key: { pk }, tsUs: at, changeKind: 'range_delete', rangeStart: { c1: 1 }, rangeStartInclusive: true });
    // Retention 30 min: the delete of 'old' was 2 h ago (past it), the one of 'new' 1 min ago (within it).
    const retention = { SINK_TOMBSTONE_RETENTION_MS: String(30 * 60_000), SINK_TOMBSTONE_PURGE_INTERVAL_MS: '1000' };
    await withSink(fx, retention, async (send) => {
      await send('deletes applied', [put('old', 1, now - 180 * MIN), rangeFrom1('old', now - 120 * MIN), rangeFrom1('new', now - MIN)]);
      const ranges = () => query<{ pk: string }>(`SELECT pk FROM "${schema}"."_cdc_range_tombstones_${fx.spec.table}" ORDER BY pk`);
      const rowTombs = () => query<{ pk: string }>(`SELECT pk FROM "${schema}"."_cdc_tombstones_${fx.spec.table}" ORDER BY pk`);
      await waitFor('the tombstones past retention dropped', async () => ((await ranges()).length === 1 && (await rowTombs()).length === 0 ? true : undefined));
      expect(await ranges()).toEqual([{ pk: 'new' }]);
      // The held row's tombstone and the range tombstone of 'old', under the table's name (counted
      // once the round's statements return, so wait for the count, then check it is exactly that).
      await waitFor('the purge counted', async () => (await purged()) - before >= 2);
      expect((await purged()) - before).toBe(2);

      await send('late writes applied or refused', [put('old', 1, now - 150 * MIN), put('old', 2, now - 150 * MIN), put('new', 2, now - 90 * 1_000_000)]);
      expect(await rowsOf(fx)).toEqual([
        { pk: 'old', c1: 1, c2: 0, v: 'old1' },
        { pk: 'old', c1: 2, c2: 0, v: 'old2' },
      ]);
    });
  }, 120_000);
});
