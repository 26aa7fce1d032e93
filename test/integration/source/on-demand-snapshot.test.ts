/**
 * `scylla-pg-cdc snapshot --table` on a running pipeline (real source and sink, Kafka, registry,
 * PostgreSQL, the Scylla emulator): rows the stream never delivered (written before a
 * CDC_START=now start) reach PostgreSQL, while both tables keep streaming and a writer keeps
 * updating the snapshotted rows; PostgreSQL ends equal to the emulator's tables.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type cassandra from 'cassandra-driver';
import { createLogger } from '../../../src/log/logger.js';
import { SourceService, topicFor } from '../../../src/source/source-service.js';
import type { SnapshotRequestProgress } from '../../../src/source/core/snapshot-request.js';
import { runSnapshot } from '../../../src/tools/snapshot.js';
import { pgPool, query, randomName, startSink, waitFor } from '../sink/sink-harness.js';
import { emulator, readTopic, sourceConfig, uniqueKs } from './harness.js';
import { cli, cliEnv, streamMovedDuringSnapshot } from './snapshot-helpers.js';

const schema = randomName('ondemand');

afterAll(async () => {
  await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pgPool.end();
});

const scyllaRows = async (cql: cassandra.Client, table: string): Promise<string> =>
  JSON.stringify((await cql.execute(`SELECT id, v, note FROM ${table}`)).rows.map((r) => [r['id'], r['v'], r['note']]).sort((x, y) => (x[0] as number) - (y[0] as number)));
const pgRows = async (table: string): Promise<string> =>
  JSON.stringify(
    (await query<{ id: number; v: number | null; note: string | null }>(`SELECT id, v, note FROM "${schema}"."${table}" ORDER BY id`)).map((r) => [r.id, r.v, r.note]),
  );
const pgCount = async (table: string, where: string): Promise<number> =>
  Number((await query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}"."${table}" WHERE ${where}`))[0]!.n);

describe('on-demand snapshot beside the stream', () => {
  it('brings the rows the stream never delivered, keeps both tables streaming, and ends equal to ScyllaDB', async () => {
    const { emu, cql } = await emulator();
    let svc: SourceService | undefined;
    let sink: ReturnType<typeof startSink> | undefined;
    let writing = true;
    let writer: Promise<void> = Promise.resolve();
    try {
      const ks = uniqueKs();
      await cql.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class':'SimpleStrategy','replication_factor':1}`);
      for (const t of ['a', 'b']) await cql.execute(`CREATE TABLE ${ks}.${t} (id int PRIMARY KEY, v int, note text) WITH cdc = {'enabled': true}`);
      const p = { prepare: true };
      // Before the source starts with CDC_START=now: the stream never delivers these.
      const OLD = 3000;
      for (let i = 0; i < OLD; i++) await cql.execute(`INSERT INTO ${ks}.a (id, v, note) VALUES (?, 0, ?)`, [i, `old${i}`], p);
      for (let i = 0; i < 50; i++) await cql.execute(`INSERT INTO ${ks}.b (id, v, note) VALUES (?, 0, 'old')`, [i], p);
      await new Promise((r) => setTimeout(r, 1_000)); // CDC_START=now lies after every write above

      const tables = [`${ks}.a`, `${ks}.b`];
      const cfg = sourceConfig(emu, tables, { CDC_START: 'now', SOURCE_MAX_BATCH_RECORDS: '20' });
      svc = new SourceService(cfg, createLogger('source', cfg.logLevel), { signalPollMs: 300 });
      await svc.start();
      const topics = ['a', 'b'].map((t) => topicFor(cfg.kafkaTopicTemplate, ks, t));
      sink = startSink({ SINK_TOPICS: topics.join(','), KAFKA_TOPIC_TEMPLATE: cfg.kafkaTopicTemplate, PG_SCHEMA: schema, SINK_GROUP_ID: randomName('g') });
      await sink.started;

      // The writer: new rows in both tables, and updates of old rows of `a` (the newest value must win).
      let n = 0;
      writer = (async () => {
        while (writing) {
          n++;
          await cql.execute(`INSERT INTO ${ks}.b (id, v, note) VALUES (?, ?, 'new')`, [10_000 + n, n], p);
          await cql.execute(`INSERT INTO ${ks}.a (id, v, note) VALUES (?, ?, 'new')`, [10_000 + n, n], p);
          await cql.execute(`UPDATE ${ks}.a SET v = ? WHERE id = ?`, [n, n % 500], p);
          await new Promise((r) => setTimeout(r, 15));
        }
      })();

      await waitFor('the stream delivering both tables', async () => (await pgCount('b', 'id >= 10000')) >= 5 && (await pgCount('a', 'id >= 10000')) >= 5, 60_000);
      // Rows of `a` the writer never touched are not there: only a snapshot can bring them.
      expect(await pgCount('a', 'id >= 500 AND id < 10000')).toBe(0);
      expect(await pgCount('b', 'id < 10000')).toBe(0);

      // A table outside SCYLLA_TABLES is refused (exit 2) before anything is written.
      await expect(runSnapshot({ argv: ['--table', `${ks}.nope`], env: cliEnv(tables, cfg.sourceName) })).rejects.toMatchObject({ exitCode: 2 });
      await expect(runSnapshot({ argv: ['--table', `${ks}.a`, '--bogus'], env: cliEnv(tables, cfg.sourceName) })).rejects.toMatchObject({ exitCode: 2 });

      expect(await cli(runSnapshot, ['--table', `${ks}.a`], cliEnv(tables, cfg.sourceName))).toMatch(/snapshot of .*\.a requested/);
      const listed = JSON.parse(await cli(runSnapshot, ['--list', '--json'], cliEnv(tables, cfg.sourceName))) as { id: string; table: string }[];
      expect(listed.map((r) => r.table)).toEqual([`${ks}.a`]);
      const id = listed[0]!.id;

      const progress = () => ((svc!.status() as { snapshots: SnapshotRequestProgress[] }).snapshots ?? []).find((s) => s.id === id);
      await waitFor('every slot done with the request', async () => progress()?.done === true, 120_000);
      expect(progress()).toMatchObject({ table: `${ks}.a`, slotsDone: 4, slots: 4 });
      expect(progress()!.rangesDone).toBe(progress()!.ranges);
      // the table kept streaming throughout (/readyz)
      expect(svc.notReadyReasons()).toEqual([]);

      writing = false;
      await writer;
      const scyA = await scyllaRows(cql, `${ks}.a`);
      const scyB = await scyllaRows(cql, `${ks}.b`);
      await waitFor('PostgreSQL equal to ScyllaDB for a', async () => (await pgRows('a')) === scyA, 60_000).catch(() => undefined);
      expect(await pgRows('a')).toBe(scyA);
      // b was not snapshotted: its old rows are still missing, its streamed rows all there
      const streamedB = JSON.stringify(JSON.parse(scyB).filter((r: number[]) => r[0]! >= 10_000));
      await waitFor('b streamed', async () => (await pgRows('b')) === streamedB, 60_000).catch(() => undefined);
      expect(await pgRows('b')).toBe(streamedB);

      // In Kafka: each old row once as a snapshot record.
      const recs = await readTopic(topics[0]!, (rs) => rs.filter((r) => r.value.op === 'r' && (r.key['id'] as number) < OLD).length >= OLD, 60_000);
      const snapIds = recs.filter((r) => r.value.op === 'r').map((r) => r.key['id'] as number);
      const old = snapIds.filter((i) => i < OLD);
      expect(old.length).toBe(OLD);
      expect(new Set(old).size).toBe(OLD);
      // The stream of `a` did not stop while its slot read the table: in the committed checkpoint
      // history, a slot's stream position moved between two checkpoints of the unfinished snapshot.
      expect(await streamMovedDuringSnapshot(cfg.sourceName, `${ks}.a`, id)).toBe(true);
    } finally {
      writing = false;
      await writer.catch(() => undefined);
      await sink?.proc.stop();
      await svc?.stop();
      await cql.shutdown();
      await emu.close();
    }
  }, 300_000);
});
