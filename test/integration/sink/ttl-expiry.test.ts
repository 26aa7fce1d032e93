/**
 * TTL expiry under the version guard, on the real stack (records produced with source.ttl /
 * source.cell_ttls as the source writes them): a cell's expiry follows the write that set it, so a
 * later write without TTL makes it permanent, and a late older change (TTL or not) changes neither
 * the value nor its expiry. Once applied one record per batch, once folded in one batch: both must
 * end with the same `_cdc_cexp`. Then one purge round removes exactly what ScyllaDB would no
 * longer return.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { TtlPurge } from '../../../src/sink/ttl-purge.js';
import { closeProducer, pgPool, produce, query, randomName, startSink, storedOffset, staticTableFixture, topicFixture, waitFor } from './sink-harness.js';

const schema = randomName('sink_ttl');
const mappedSchema = randomName('sink_ttl_map');

afterAll(async () => {
  await closeProducer();
  await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pgPool.query(`DROP SCHEMA IF EXISTS "${mappedSchema}" CASCADE`);
  await pgPool.end();
});

const S = 1_000_000;

describe('TTL expiry under the per-cell version guard', () => {
  for (const mode of ['one by one', 'folded'] as const) {
    it(`expiries follow the winning write (${mode})`, async () => {
      const fx = await topicFixture({
        key: [{ name: 'id', type: 'string' }],
        columns: [
          { name: 'a', type: 'string' },
          { name: 'b', type: 'string' },
          { name: 'tags', type: { type: 'array', items: 'string' }, collection: 'set' },
        ],
      });
      const t = Date.now() * 1000; // write times near now, so expiries are real times
      const changes = [
        // g: INSERT with TTL 1 h; a rewritten later without TTL; a late older UPDATE with TTL 1 s loses.
        fx.encode({ op: 'c', key: { id: 'g' }, after: { a: { value: 'x' }, b: { value: 'y' } }, tsUs: t, ttl: 3600 }),
        fx.encode({ op: 'u', key: { id: 'g' }, after: { a: { value: 'z' } }, tsUs: t + 10 }),
        fx.encode({ op: 'u', key: { id: 'g' }, after: { a: { value: 'old' } }, tsUs: t + 5, ttl: 1 }),
        // h: a late older TTL write does not change a newer cell's expiry; its other cell (new) applies with its own.
        fx.encode({ op: 'u', key: { id: 'h' }, after: { a: { value: 'new' } }, tsUs: t + 10, ttl: 7200 }),
        fx.encode({ op: 'u', key: { id: 'h' }, after: { a: { value: 'old' }, b: { value: 'hb' } }, tsUs: t + 5, ttl: 3600 }),
        // k: written 20 s ago with TTL 2: expired already; m: permanent marker, b expired (cell_ttls).
        fx.encode({ op: 'c', key: { id: 'k' }, after: { a: { value: 'k' } }, tsUs: t - 20 * S, ttl: 2 }),
        fx.encode({ op: 'c', key: { id: 'm' }, after: { a: { value: 'perm' }, b: { value: 'gone' } }, tsUs: t - 20 * S, ttl: 2, cellTtls: { b: 2 } }),
        // s: a permanent set gets elements with a TTL: the column stays permanent (elements are not timed one by one).
        fx.encode({ op: 'c', key: { id: 's' }, after: { tags: { value: ['x'], mode: 'OVERWRITE' } }, tsUs: t }),
        fx.encode({ op: 'u', key: { id: 's' }, after: { tags: { value: ['y'], mode: 'MODIFY' } }, tsUs: t + 1, ttl: 5 }),
        // n: a set made only of TTL'd elements expires with them.
        fx.encode({ op: 'u', key: { id: 'n' }, after: { tags: { value: ['y'], mode: 'MODIFY' } }, tsUs: t - 20 * S, ttl: 5 }),
      ];
      const group = randomName('g');
      const sink = startSink({ SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: group, SINK_TTL_PURGE_INTERVAL_MS: '0' });
      await sink.started;
      try {
        if (mode === 'folded') await produce(fx.topic, changes);
        else
          for (const [i, c] of changes.entries()) {
            await produce(fx.topic, [c]);
            await waitFor(`change ${i} applied alone`, async () => (await storedOffset(schema, group, fx.topic).catch(() => undefined)) === BigInt(i + 1));
          }
        await waitFor('every change applied', async () => (await storedOffset(schema, group, fx.topic).catch(() => undefined)) === BigInt(changes.length));
        const cexp = async () =>
          Object.fromEntries(
            (
              await query<{ id: string; a: string | null; b: string | null; tags: string[] | null; e: Record<string, number> | null }>(
                `SELECT id, a, b, tags, _cdc_cexp AS e FROM "${schema}"."${fx.spec.table}" ORDER BY id`,
              )
            ).map((r) => [r.id, r]),
          );
        const rows = await cexp();
        expect(rows['g']).toEqual({ id: 'g', a: 'z', b: 'y', tags: null, e: { _marker: t + 3600 * S, b: t + 3600 * S } });
        expect(rows['h']).toEqual({ id: 'h', a: 'new', b: 'hb', tags: null, e: { a: t + 10 + 7200 * S, b: t + 5 + 3600 * S } });
        expect(rows['m']!.e).toEqual({ b: t - 18 * S });
        expect(rows['s']).toEqual({ id: 's', a: null, b: null, tags: ['x', 'y'], e: null });
        expect(rows['n']!.e).toEqual({ tags: t - 15 * S });

        const purge = new TtlPurge(pgPool, schema, { intervalMs: 0, softDelete: false }, createLogger('purge', 'silent'));
        expect((await purge.round()).get(fx.spec.table)).toEqual({ removed: 2, cells: 1 });
        const after = await cexp();
        expect(Object.keys(after)).toEqual(['g', 'h', 'm', 's']);
        expect(after['m']).toEqual({ id: 'm', a: 'perm', b: null, tags: null, e: null });
      } finally {
        await sink.proc.stop();
      }
    }, 120_000);
  }

  it("static cells: a TTL'd static write gives every row of the partition its expiry; a later one without TTL removes it", async () => {
    const fx = await staticTableFixture();
    const t = Date.now() * 1000;
    const group = randomName('g');
    const sink = startSink({ SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: group, SINK_TTL_PURGE_INTERVAL_MS: '0' });
    await sink.started;
    const rows = () =>
      query<{ ck: number; st: string | null; e: Record<string, number> | null; due: boolean }>(
        `SELECT ck, st, _cdc_cexp AS e, _cdc_expires_at IS NOT NULL AS due FROM "${schema}"."${fx.spec.table}" ORDER BY ck`,
      );
    try {
      const first = [
        ...[1, 2].map((ck) => fx.encode({ op: 'c', key: { pk: 'p', ck }, after: { v: { value: `v${ck}` } }, tsUs: t })),
        fx.encode({ op: 'u', key: { pk: 'p', ck: null }, after: { st: { value: 'shared' } }, tsUs: t + 1, changeKind: 'static_row', ttl: 3600 }),
      ];
      await produce(fx.topic, first);
      await waitFor('static write applied', async () => (await storedOffset(schema, group, fx.topic).catch(() => undefined)) === 3n);
      expect(await rows()).toEqual([1, 2].map((ck) => ({ ck, st: 'shared', e: { st: t + 1 + 3600 * S }, due: true })));
      await produce(fx.topic, [fx.encode({ op: 'u', key: { pk: 'p', ck: null }, after: { st: { value: 'kept' } }, tsUs: t + 2, changeKind: 'static_row' })]);
      await waitFor('second static write applied', async () => (await storedOffset(schema, group, fx.topic).catch(() => undefined)) === 4n);
      expect(await rows()).toEqual([1, 2].map((ck) => ({ ck, st: 'kept', e: null, due: false })));
    } finally {
      await sink.proc.stop();
    }
  }, 120_000);

  it('the scheduled purge reaches a table SINK_TABLE_MAP put in another schema', async () => {
    const fx = await topicFixture({ key: [{ name: 'id', type: 'string' }], columns: [{ name: 'a', type: 'string' }] });
    const t = Date.now() * 1000;
    const sink = startSink({
      SINK_TOPICS: fx.topic,
      PG_SCHEMA: schema,
      SINK_GROUP_ID: randomName('g'),
      SINK_TABLE_MAP: `${fx.spec.keyspace}.${fx.spec.table}=${mappedSchema}.mapped`,
      SINK_TTL_PURGE_INTERVAL_MS: '300',
    });
    await sink.started;
    try {
      await produce(fx.topic, [
        fx.encode({ op: 'c', key: { id: 'old' }, after: { a: { value: 'x' } }, tsUs: t - 20 * S, ttl: 2 }),
        fx.encode({ op: 'c', key: { id: 'live' }, after: { a: { value: 'y' } }, tsUs: t }),
      ]);
      // The purge tombstones what it removes: proof the expired row was applied, then purged.
      await waitFor('the expired row purged from the mapped table', async () => {
        const ids = (await query<{ id: string }>(`SELECT id FROM "${mappedSchema}".mapped ORDER BY id`).catch(() => [])).map((r) => r.id);
        const tomb = (await query<{ id: string }>(`SELECT id FROM "${mappedSchema}"."_cdc_tombstones_mapped"`).catch(() => [])).map((r) => r.id);
        return ids.join() === 'live' && tomb.join() === 'old';
      });
    } finally {
      await sink.proc.stop();
    }
  }, 120_000);
});
