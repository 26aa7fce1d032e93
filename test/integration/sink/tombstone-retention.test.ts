/**
 * Tombstone retention, on the real stack: a deleted key is remembered for SINK_TOMBSTONE_RETENTION_MS
 * and then forgotten, as ScyllaDB drops a tombstone after gc_grace_seconds. While remembered, a late
 * older insert of the key is refused; once purged, a late insert older than the old delete comes
 * back (what ScyllaDB does for a write that reaches a replica after its tombstone was collected).
 * The scheduled purge runs in the sink; the decision is by the delete's write time, not by timing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { closeProducer, pgPool, produce, query, randomName, startSink, storedOffset, topicFixture, waitFor } from './sink-harness.js';

const schema = randomName('sink_tomb');

afterAll(async () => {
  await closeProducer();
  await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pgPool.end();
});

const MIN_US = 60_000_000;

describe('tombstone retention', () => {
  it('drops tombstones past retention only; a purged key accepts a late older write, a remembered one refuses it', async () => {
    const fx = await topicFixture({ key: [{ name: 'id', type: 'string' }], columns: [{ name: 'a', type: 'string' }] });
    const now = Date.now() * 1000;
    const group = randomName('g');
    const tomb = `"${schema}"."_cdc_tombstones_${fx.spec.table}"`;
    // Retention 30 min: 'old' was deleted 2 h ago (past it), 'new' 1 min ago (within it).
    const sink = startSink({
      SINK_TOPICS: fx.topic,
      PG_SCHEMA: schema,
      SINK_GROUP_ID: group,
      SINK_TOMBSTONE_RETENTION_MS: String(30 * 60_000),
      SINK_TOMBSTONE_PURGE_INTERVAL_MS: '1000',
    });
    await sink.started;
    try {
      await produce(fx.topic, [
        fx.encode({ op: 'c', key: { id: 'old' }, after: { a: { value: 'o1' } }, tsUs: now - 180 * MIN_US }),
        fx.encode({ op: 'd', key: { id: 'old' }, tsUs: now - 120 * MIN_US }),
        fx.encode({ op: 'c', key: { id: 'new' }, after: { a: { value: 'n1' } }, tsUs: now - 2 * MIN_US }),
        fx.encode({ op: 'd', key: { id: 'new' }, tsUs: now - 1 * MIN_US }),
      ]);
      await waitFor('deletes applied', async () => (await storedOffset(schema, group, fx.topic).catch(() => undefined)) === 4n);
      await waitFor('the tombstone past retention dropped', async () => {
        const ids = (await query<{ id: string }>(`SELECT id FROM ${tomb} ORDER BY id`)).map((r) => r.id);
        return ids.length === 1 ? ids : undefined;
      }).then((ids) => expect(ids).toEqual(['new']));

      // Late writes older than each key's delete.
      await produce(fx.topic, [
        fx.encode({ op: 'c', key: { id: 'old' }, after: { a: { value: 'late-old' } }, tsUs: now - 150 * MIN_US }),
        fx.encode({ op: 'c', key: { id: 'new' }, after: { a: { value: 'late-new' } }, tsUs: now - 90 * 1_000_000 }),
      ]);
      await waitFor('late writes applied or refused', async () => (await storedOffset(schema, group, fx.topic).catch(() => undefined)) === 6n);
      expect(await query(`SELECT id, a FROM "${schema}"."${fx.spec.table}" ORDER BY id`)).toEqual([{ id: 'old', a: 'late-old' }]);
    } finally {
      await sink.proc.stop();
    }
  }, 120_000);
});
