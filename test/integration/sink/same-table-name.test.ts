/**
 * The sink names a target table after the Scylla table alone, so ks1.users and ks2.users on two
 * topics (`cdc.{keyspace}.{table}`, or the Scylla connector's `<prefix>.<keyspace>.<table>`) would
 * merge into one PostgreSQL table. The first keyspace claims the table (its comment records
 * `ks.table`); the other's records are dead-lettered (wrong-target), by the same process and,
 * from the comment, by a fresh one. The same holds where SINK_TABLE_MAP's patterns, each fine
 * alone, put both onto one table.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { closeProducer, pgPool, produce, query, randomName, startSink, storedOffset, topicFixture, waitFor } from './sink-harness.js';

const schema = randomName('sink_same');
const crm = randomName('crm');

describe('tables of one name in two keyspaces', () => {
  afterAll(async () => {
    await closeProducer();
    for (const s of [schema, crm]) await pgPool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await pgPool.end();
  });

  it.each([
    { how: 'by default', map: () => ({}), at: schema },
    { how: 'through two SINK_TABLE_MAP patterns', map: (ks1: string, ks2: string) => ({ SINK_TABLE_MAP: `${ks1}.*=${crm}.{table},${ks2}.*=${crm}.{table}` }), at: crm },
  ])('never merge into one PostgreSQL table ($how)', async ({ map, at }) => {
    const table = randomName('users');
    const spec = { table, key: [{ name: 'id', type: 'int' as const }], columns: [{ name: 'v', type: 'string' as const }] };
    const [ks1, ks2] = [randomName('ka'), randomName('kb')];
    const one = await topicFixture({ ...spec, keyspace: ks1 });
    const two = await topicFixture({ ...spec, keyspace: ks2 });
    const env = { PG_SCHEMA: schema, DLQ_TOPIC: randomName('dlq'), ...map(ks1, ks2) };
    const group = randomName('g');
    let sink = startSink({ ...env, SINK_TOPICS: `${one.topic},${two.topic}`, SINK_GROUP_ID: group });
    await sink.started;
    try {
      await produce(one.topic, [one.encode({ op: 'c', key: { id: 1 }, after: { v: { value: ks1 } }, tsUs: 1 })]);
      await waitFor('ks1 applied', async () => (await storedOffset(schema, group, one.topic)) === 1n);
      await produce(two.topic, [two.encode({ op: 'c', key: { id: 2 }, after: { v: { value: ks2 } }, tsUs: 2 })]);
      await waitFor('ks2 passed', async () => (await storedOffset(schema, group, two.topic)) === 1n);
      expect((sink.proc.sink.status() as { dlq: Record<string, number> }).dlq).toEqual({ 'wrong-target': 1 });
      await sink.proc.stop();

      // A fresh process (nothing in memory) reads the claim from the table's comment.
      const group2 = randomName('g');
      sink = startSink({ ...env, SINK_TOPICS: two.topic, SINK_GROUP_ID: group2 });
      await sink.started;
      await waitFor('ks2 passed again', async () => (await storedOffset(schema, group2, two.topic)) === 1n);
      expect((sink.proc.sink.status() as { dlq: Record<string, number> }).dlq).toEqual({ 'wrong-target': 1 });
      expect(await query(`SELECT id, v FROM "${at}"."${table}"`)).toEqual([{ id: 1, v: ks1 }]);
      const [c] = await query<{ c: string }>(`SELECT obj_description('"${at}"."${table}"'::regclass, 'pg_class') AS c`);
      expect(c!.c).toBe(`scylla-pg-cdc replicates ${ks1}.${table}`);
    } finally {
      await sink.proc.stop();
    }
  });
});
