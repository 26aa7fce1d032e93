/** Fencing of a stale owner, PostgreSQL connections killed mid-stream, auto-evolve on a new column. */
import { afterAll, describe, expect, it } from 'vitest';
import { OffsetStore } from '../../../src/sink/offset-store.js';
import { createOffsetsTableSql, createSchemaSql } from '../../../src/sink/core/ddl-sql.js';
import { avroType, frame, keyObject, valueSchema, envelope } from '../../fixtures/sink/envelope.js';
import { closeProducer, pgPool, produce, query, randomName, register, startSink, storedOffset, topicFixture, waitFor } from './sink-harness.js';

const schema = randomName('sink_faults');

describe('faults', () => {
  afterAll(async () => {
    await closeProducer();
    await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pgPool.end();
  });

  it('fences a stale owner: its commit updates nothing once a newer owner claimed', async () => {
    await pgPool.query(createSchemaSql(schema));
    await pgPool.query(createOffsetsTableSql(schema));
    const store = new OffsetStore(schema, 'fence-group');
    const stale = await store.claim(pgPool, 'topic-a', 0);
    const fresh = await store.claim(pgPool, 'topic-a', 0);
    expect(fresh.generation).toBeGreaterThan(stale.generation);
    const client = await pgPool.connect();
    try {
      await client.query('BEGIN');
      expect(await store.commit(client, [{ topic: 'topic-a', partition: 0, next: 10n, generation: stale.generation, prev: null }])).toBe(false);
      await client.query('ROLLBACK');
      await client.query('BEGIN');
      expect(await store.commit(client, [{ topic: 'topic-a', partition: 0, next: 20n, generation: fresh.generation, prev: null }])).toBe(true);
      await client.query('COMMIT');
      // The same batch again, as after a COMMIT that succeeded while the client lost the connection:
      // the stored offset is no longer the one it moves from, so it is fenced, not applied twice.
      await client.query('BEGIN');
      expect(await store.commit(client, [{ topic: 'topic-a', partition: 0, next: 20n, generation: fresh.generation, prev: null }])).toBe(false);
      await client.query('ROLLBACK');
      await client.query('BEGIN');
      expect(await store.commit(client, [{ topic: 'topic-a', partition: 0, next: 25n, generation: fresh.generation, prev: 20n }])).toBe(true);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await storedOffset(schema, 'fence-group', 'topic-a')).toBe(25n);
  });

  it('a running sink that is fenced rejoins and still applies everything once', async () => {
    const group = randomName('g');
    const fx = await topicFixture({ key: [{ name: 'id', type: 'int' }], columns: [{ name: 'n', type: 'long' }] });
    const t = 1_700_000_000_000_000;
    const sink = startSink({ SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: group, SINK_SESSION_TIMEOUT_MS: '6000' });
    await sink.started;
    try {
      await produce(
        fx.topic,
        [1, 2, 3].map((id) => fx.encode({ op: 'c', key: { id }, after: { n: { value: id } }, tsUs: t + id })),
      );
      await waitFor('first', async () => (await storedOffset(schema, group, fx.topic)) === 3n);
      // Another owner takes the partition behind the sink's back.
      await pgPool.query(`UPDATE "${schema}"._cdc_offsets SET generation = generation + 1 WHERE group_id = $1`, [group]);
      await produce(
        fx.topic,
        [4, 5].map((id) => fx.encode({ op: 'c', key: { id }, after: { n: { value: id } }, tsUs: t + id })),
      );
      await waitFor('after fence', async () => (await storedOffset(schema, group, fx.topic)) === 5n, 40_000);
      const rows = await query<{ id: number; n: string }>(`SELECT id, n::text FROM "${schema}"."${fx.spec.table}" ORDER BY id`);
      expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
      const status = sink.proc.sink.status() as { assigned: { generation: string }[] };
      expect(Number(status.assigned[0]!.generation)).toBeGreaterThanOrEqual(3);
    } finally {
      await sink.proc.stop();
    }
  });

  it('survives PostgreSQL connections being killed mid-stream: nothing lost or doubled', async () => {
    const group = randomName('g');
    const app = randomName('sinkapp');
    const fx = await topicFixture({ key: [{ name: 'id', type: 'int' }], columns: [{ name: 'n', type: 'long' }] });
    const t = 1_700_000_000_000_000;
    const sink = startSink({ SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: group, PG_APPLICATION_NAME: app, SINK_BATCH_SIZE: '200', SINK_RETRY_MAX_MS: '500' });
    await sink.started;
    const total = 6000;
    try {
      const msgs = [];
      for (let i = 0; i < total; i++) msgs.push(fx.encode({ op: 'u', key: { id: i % 500 }, after: { n: { value: i } }, tsUs: t + i }));
      const producing = produce(fx.topic, msgs);
      let kills = 0;
      while ((await storedOffset(schema, group, fx.topic)) !== BigInt(total) && kills < 200) {
        const r = await query<{ n: number }>(`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1`, [app]);
        kills += r[0]!.n;
        await new Promise((res) => setTimeout(res, 150));
        if (kills >= 5) break;
      }
      await producing;
      expect(kills).toBeGreaterThan(0);
      await waitFor('all applied', async () => (await storedOffset(schema, group, fx.topic)) === BigInt(total), 40_000);
      const rows = await query<{ id: number; n: string }>(`SELECT id, n::text FROM "${schema}"."${fx.spec.table}" ORDER BY id`);
      expect(rows).toHaveLength(500);
      for (const r of rows) expect(Number(r.n)).toBe(total - 500 + r.id);
    } finally {
      await sink.proc.stop();
    }
  });

  it('adds a column when the value schema evolves (SINK_AUTO_EVOLVE)', async () => {
    const group = randomName('g');
    const fx = await topicFixture({ key: [{ name: 'id', type: 'int' }], columns: [{ name: 'a', type: 'string' }] });
    const t = 1_700_000_000_000_000;
    const sink = startSink({ SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: group });
    await sink.started;
    try {
      await produce(fx.topic, [fx.encode({ op: 'c', key: { id: 1 }, after: { a: { value: 'x' } }, tsUs: t + 1 })]);
      await waitFor('v1', async () => (await storedOffset(schema, group, fx.topic)) === 1n);
      const spec2 = { ...fx.spec, columns: [...fx.spec.columns, { name: 'b', type: { type: 'long', logicalType: 'timestamp-micros' } }] };
      const v2 = valueSchema(spec2);
      const v2id = await register(`${fx.topic}-value`, v2);
      const value = frame(v2id, avroType(v2), envelope(spec2, { op: 'u', key: { id: 1 }, after: { b: { value: 1_700_000_000_123_456n } }, tsUs: t + 2 }));
      await produce(fx.topic, [{ key: fx.encodeKey(keyObject(fx.spec, { id: 1 })), value }]);
      await waitFor('v2', async () => (await storedOffset(schema, group, fx.topic)) === 2n);
      const rows = await query<{ a: string; b: string; t: string }>(
        `SELECT a, to_char(b AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS b, pg_typeof(b)::text AS t FROM "${schema}"."${fx.spec.table}"`,
      );
      expect(rows).toEqual([{ a: 'x', b: '2023-11-14 22:13:20.123456', t: 'timestamp with time zone' }]);
    } finally {
      await sink.proc.stop();
    }
  });
});
