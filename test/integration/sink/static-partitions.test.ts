/**
 * Partitions that hold only static cells, on the real stack (records as the source writes them:
 * change_kind static_row with the clustering key null). ScyllaDB returns such a partition as one
 * row; PostgreSQL's primary key cannot hold the null clustering key, so the partition's static
 * cells live in `_cdc_static_<table>` (one row per partition) as well as on each clustering row.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { closeProducer, pgPool, produce, query, randomName, startSink, storedOffset, staticTableFixture, waitFor } from './sink-harness.js';

const schema = randomName('sink_static');

afterAll(async () => {
  await closeProducer();
  await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pgPool.end();
});

describe('static-only partitions', () => {
  it('get a row per partition in _cdc_static_<table>, follow static writes and partition deletes, and refuse a late older static write', async () => {
    const fx = await staticTableFixture();
    const t = Date.now() * 1000;
    const group = randomName('g');
    const statics = () => query<{ pk: string; st: string | null; v: string | null }>(`SELECT pk, st, v FROM "${schema}"."_cdc_static_${fx.spec.table}" ORDER BY pk`);
    const rows = () => query<{ pk: string; ck: number; st: string | null; v: string | null }>(`SELECT pk, ck, st, v FROM "${schema}"."${fx.spec.table}" ORDER BY pk, ck`);
    const sink = startSink({ SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: group });
    await sink.started;
    let sent = 0;
    const send = async (what: string, changes: ReturnType<typeof fx.encode>[]) => {
      await produce(fx.topic, changes);
      sent += changes.length;
      await waitFor(what, async () => (await storedOffset(schema, group, fx.topic).catch(() => undefined)) === BigInt(sent));
    };
    try {
      // only: static cells and no clustering row; both: static cells and two rows; gone: its only static cell is later set to null.
      await send('first writes applied', [
        fx.encode({ op: 'u', key: { pk: 'only', ck: null }, after: { st: { value: 's-only' } }, tsUs: t, changeKind: 'static_row' }),
        ...[1, 2].map((ck) => fx.encode({ op: 'c', key: { pk: 'both', ck }, after: { v: { value: `v${ck}` } }, tsUs: t })),
        fx.encode({ op: 'u', key: { pk: 'both', ck: null }, after: { st: { value: 's-both' } }, tsUs: t + 1, changeKind: 'static_row' }),
        fx.encode({ op: 'u', key: { pk: 'gone', ck: null }, after: { st: { value: 'brief' } }, tsUs: t, changeKind: 'static_row' }),
      ]);
      expect(await statics()).toEqual([
        { pk: 'both', st: 's-both', v: null },
        { pk: 'gone', st: 'brief', v: null },
        { pk: 'only', st: 's-only', v: null },
      ]);
      expect(await rows()).toEqual([
        { pk: 'both', ck: 1, st: 's-both', v: 'v1' },
        { pk: 'both', ck: 2, st: 's-both', v: 'v2' },
      ]);

      await send('null static and a partition delete applied', [
        fx.encode({ op: 'u', key: { pk: 'gone', ck: null }, after: { st: { value: null } }, tsUs: t + 2, changeKind: 'static_row' }),
        fx.encode({ op: 'd', key: { pk: 'both', ck: null }, tsUs: t + 10, changeKind: 'partition_delete' }),
        // older than the partition delete: ScyllaDB's partition tombstone shadows it
        fx.encode({ op: 'u', key: { pk: 'both', ck: null }, after: { st: { value: 'late' } }, tsUs: t + 5, changeKind: 'static_row' }),
      ]);
      expect(await statics()).toEqual([{ pk: 'only', st: 's-only', v: null }]);
      expect(await rows()).toEqual([]);

      await send('a newer static write after the delete applied', [
        fx.encode({ op: 'u', key: { pk: 'both', ck: null }, after: { st: { value: 'again' } }, tsUs: t + 20, changeKind: 'static_row' }),
      ]);
      expect(await statics()).toEqual([
        { pk: 'both', st: 'again', v: null },
        { pk: 'only', st: 's-only', v: null },
      ]);
    } finally {
      await sink.proc.stop();
    }
  }, 120_000);
});
