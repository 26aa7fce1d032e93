/**
 * Backpressure: while PostgreSQL cannot take a batch (the target table locked by another session),
 * the sink stops fetching once SINK_MAX_INFLIGHT_BYTES of uncommitted records are held, instead of
 * reading the whole backlog into memory; once the lock goes, it resumes and applies everything once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { closeProducer, pgPool, produce, query, randomName, startSink, storedOffset, topicFixture, waitFor } from './sink-harness.js';

const schema = randomName('sink_bp');
const group = randomName('g');

afterAll(async () => {
  await closeProducer();
  await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pgPool.end();
});

describe('backpressure', () => {
  it('pauses above SINK_MAX_INFLIGHT_BYTES while PostgreSQL is blocked, then applies every record once', async () => {
    const fx = await topicFixture({ key: [{ name: 'id', type: 'int' }], columns: [{ name: 'v', type: 'string' }] });
    const t = 1_700_000_000_000_000;
    const pad = 'x'.repeat(900);
    const first = [fx.encode({ op: 'c', key: { id: 0 }, after: { v: { value: 'first' } }, tsUs: t })];
    await produce(fx.topic, first);
    const bound = 64 * 1024;
    const sink = startSink({ SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: group, SINK_MAX_INFLIGHT_BYTES: String(bound), SINK_BATCH_SIZE: '100' });
    await sink.started;
    const blocker = await pgPool.connect();
    try {
      await waitFor('table created and first record applied', async () => (await storedOffset(schema, group, fx.topic)) === 1n);
      await blocker.query('BEGIN');
      await blocker.query(`LOCK TABLE "${schema}"."${fx.spec.table}" IN ACCESS EXCLUSIVE MODE`);
      // ~5.6 MB of backlog, about 90× the bound and well beyond one fetch.
      const backlog = Array.from({ length: 6000 }, (_, i) => fx.encode({ op: 'c', key: { id: i + 1 }, after: { v: { value: `${pad}${i}` } }, tsUs: t + i + 1 }));
      for (let i = 0; i < backlog.length; i += 500) await produce(fx.topic, backlog.slice(i, i + 500)); // under the broker's 1 MB request limit
      const paused = await waitFor('partition paused', async () => {
        const s = sink.proc.sink.status() as { pausedPartitions: number; inflightBytes: number };
        return s.pausedPartitions === 1 ? s : undefined;
      });
      // Held while paused: the bound plus at most one fetch (maxBytesPerPartition, 2 MiB) — never the
      // whole backlog, which is what an unbounded reader would hold by now.
      await new Promise((r) => setTimeout(r, 2000));
      const held = sink.proc.sink.status() as { inflightBytes: number; pausedPartitions: number };
      expect(held.pausedPartitions).toBe(1);
      expect(paused.inflightBytes).toBeGreaterThan(bound);
      expect(held.inflightBytes).toBeLessThan(bound + 3 * 1024 * 1024);
      expect(backlog.reduce((n, m) => n + m.value.length, 0)).toBeGreaterThan(bound + 5 * 1024 * 1024);
      expect(await storedOffset(schema, group, fx.topic)).toBe(1n);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
    }
    await waitFor('everything applied after the lock', async () => (await storedOffset(schema, group, fx.topic)) === 6001n, 120_000);
    const rows = await query<{ n: string; d: string }>(`SELECT count(*)::text AS n, count(DISTINCT id)::text AS d FROM "${schema}"."${fx.spec.table}"`);
    expect(rows[0]).toEqual({ n: '6001', d: '6001' });
    expect((sink.proc.sink.status() as { pausedPartitions: number }).pausedPartitions).toBe(0);
    await sink.proc.stop();
  });
});
