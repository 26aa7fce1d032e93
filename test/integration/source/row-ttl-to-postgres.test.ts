/**
 * Per-row TTL expiry end to end: rows of per-row-TTL tables (ScyllaDB 2026.2+,
 * docs/cql/cql-extensions.md "Per-row TTL") expire in the emulator, whose expiry pass logs them as
 * service deletes (cdc$operation -3 row / -4 partition, cdc/log.cc); the real source turns them
 * into delete records and the real sink deletes the rows from PostgreSQL. Rows that have not
 * expired, and a row whose expiry time was moved away before it came, stay.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { SourceService, topicFor } from '../../../src/source/source-service.js';
import { pgPool, query, randomName, startSink, waitFor } from '../sink/sink-harness.js';
import { emulator, sourceConfig, uniqueKs } from './harness.js';

const schema = randomName('rowttl');

afterAll(async () => {
  await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pgPool.end();
});

describe('per-row TTL expiry reaches PostgreSQL', () => {
  it('expired rows are deleted from the target tables; the others stay', async () => {
    const { emu, cql } = await emulator({ rowTtlPeriodMs: 200 });
    let svc: SourceService | undefined;
    let sink: ReturnType<typeof startSink> | undefined;
    try {
      const ks = uniqueKs();
      for (const ddl of [
        `CREATE KEYSPACE ${ks} WITH replication = {'class':'SimpleStrategy','replication_factor':1}`,
        `CREATE TABLE ${ks}.r (id int, ck int, v text, exp timestamp TTL, PRIMARY KEY (id, ck)) WITH cdc = {'enabled': true}`,
        `CREATE TABLE ${ks}.p (id int PRIMARY KEY, v text, exp timestamp TTL) WITH cdc = {'enabled': true}`,
      ])
        await cql.execute(ddl);
      const cfg = sourceConfig(emu, [`${ks}.r`, `${ks}.p`]);
      svc = new SourceService(cfg, createLogger('source', cfg.logLevel));
      await svc.start();
      const topics = ['r', 'p'].map((t) => topicFor(cfg.kafkaTopicTemplate, ks, t));
      sink = startSink({ SINK_TOPICS: topics.join(','), KAFKA_TOPIC_TEMPLATE: cfg.kafkaTopicTemplate, PG_SCHEMA: schema, SINK_GROUP_ID: randomName('g') });
      await sink.started;

      // Long enough for every row to reach PostgreSQL first, so the test sees each one vanish.
      const soon = new Date(Date.now() + 8_000);
      const later = new Date(Date.now() + 3_600_000);
      const p = { prepare: true };
      for (const ck of [1, 2, 3, 4]) {
        await cql.execute(`INSERT INTO ${ks}.r (id, ck, v, exp) VALUES (1, ?, ?, ?)`, [ck, `r${ck}`, ck % 2 === 1 ? soon : later], p);
      }
      for (const id of [7, 8, 9]) await cql.execute(`INSERT INTO ${ks}.p (id, v, exp) VALUES (?, ?, ?)`, [id, `p${id}`, id === 8 ? later : soon], p);
      // Row 9 is kept alive: its expiry time moves an hour away before it comes.
      await cql.execute(`UPDATE ${ks}.p SET exp = ? WHERE id = 9`, [later], p);

      const rows = async (table: string, cols: string): Promise<string> =>
        (await query<Record<string, number>>(`SELECT ${cols} FROM "${schema}"."${table}" ORDER BY ${cols}`))
          .map((x) =>
            cols
              .split(', ')
              .map((c) => x[c])
              .join('/'),
          )
          .join(',');
      await waitFor('every row in PostgreSQL', async () => (await rows('r', 'id, ck')) === '1/1,1/2,1/3,1/4' && (await rows('p', 'id')) === '7,8,9');
      expect(Date.now()).toBeLessThan(soon.getTime()); // seen before any expiry, so the deletes below are the expiry's

      await waitFor('expired rows gone from PostgreSQL', async () => (await rows('r', 'id, ck')) === '1/2,1/4' && (await rows('p', 'id')) === '8,9', 40_000);
      // The base tables agree: the emulator's expiry pass deleted exactly these rows.
      expect((await cql.execute(`SELECT ck FROM ${ks}.r WHERE id = 1`)).rows.map((x) => x['ck'])).toEqual([2, 4]);
      expect((await cql.execute(`SELECT id FROM ${ks}.p`)).rows.map((x) => x['id'] as number).sort()).toEqual([8, 9]);
      // The rows left carry their values (the deletes touched nothing else).
      expect(await query(`SELECT id, v FROM "${schema}".p ORDER BY id`)).toEqual([
        { id: 8, v: 'p8' },
        { id: 9, v: 'p9' },
      ]);
    } finally {
      await sink?.proc.stop();
      await svc?.stop();
      await cql.shutdown();
      await emu.close();
    }
  }, 120_000);
});
