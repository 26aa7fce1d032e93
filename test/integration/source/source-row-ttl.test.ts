/**
 * Per-row TTL (ScyllaDB 2026.2+, docs/cql/cql-extensions.md): an expired row is deleted by a
 * background pass that logs service deletes, cdc$operation -3 (row) or -4 (partition, table
 * without clustering key). The source turns both into delete records ('d') with the key of the
 * expired row, so expiry reaches the sink like any delete; rows not yet expired stay.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { SourceService, topicFor } from '../../../src/source/source-service.js';
import { emulator, readTopic, sourceConfig, uniqueKs } from './harness.js';

describe('per-row TTL expiry', () => {
  it('service deletes -3/-4 become delete records for exactly the expired rows', async () => {
    const { emu, cql } = await emulator({ rowTtlPeriodMs: 200 });
    let svc: SourceService | undefined;
    try {
      const ks = uniqueKs();
      for (const ddl of [
        `CREATE KEYSPACE ${ks} WITH replication = {'class':'SimpleStrategy','replication_factor':1}`,
        `CREATE TABLE ${ks}.r (id int, ck int, v int, exp timestamp TTL, PRIMARY KEY (id, ck)) WITH cdc = {'enabled': true}`,
        `CREATE TABLE ${ks}.p (id int PRIMARY KEY, v int, exp timestamp TTL) WITH cdc = {'enabled': true}`,
      ])
        await cql.execute(ddl);
      const cfg = sourceConfig(emu, [`${ks}.r`, `${ks}.p`]);
      svc = new SourceService(cfg, createLogger('source', cfg.logLevel));
      await svc.start();
      const soon = new Date(Date.now() + 1000);
      const later = new Date(Date.now() + 3_600_000);
      for (const [ck, exp] of [
        [1, soon],
        [2, later],
        [3, soon],
      ] as const) {
        await cql.execute(`INSERT INTO ${ks}.r (id, ck, v, exp) VALUES (1, ?, ?, ?)`, [ck, ck, exp], { prepare: true });
      }
      for (const [id, exp] of [
        [7, soon],
        [8, later],
      ] as const) {
        await cql.execute(`INSERT INTO ${ks}.p (id, v, exp) VALUES (?, ?, ?)`, [id, id, exp], { prepare: true });
      }
      const deletes = (recs: Awaited<ReturnType<typeof readTopic>>) => recs.filter((x) => x.value.op === 'd');
      const r = await readTopic(topicFor(cfg.kafkaTopicTemplate, ks, 'r'), (x) => deletes(x).length >= 2, 30_000);
      const p = await readTopic(topicFor(cfg.kafkaTopicTemplate, ks, 'p'), (x) => deletes(x).length >= 1, 30_000);
      expect(r.filter((x) => x.value.op === 'c')).toHaveLength(3);
      expect(
        deletes(r)
          .map((x) => [x.key.ck, x.value.source.cdc_operation])
          .sort(),
      ).toEqual([
        [1, -3],
        [3, -3],
      ]);
      expect(deletes(p).map((x) => [x.key.id, x.value.source.cdc_operation])).toEqual([[7, -4]]);
      // The rows that have not expired are still in the base table.
      expect((await cql.execute(`SELECT ck FROM ${ks}.r WHERE id = 1`)).rows.map((x) => x['ck'])).toEqual([2]);
      expect((await cql.execute(`SELECT id FROM ${ks}.p`)).rows.map((x) => x['id'])).toEqual([8]);
    } finally {
      await svc?.stop();
      await cql.shutdown();
      await emu.close();
    }
  }, 90_000);
});
