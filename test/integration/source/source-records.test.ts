/**
 * End to end against the emulator + real Kafka + Apicurio: every op kind becomes the record of
 * schemas/README.md, pre/post-images are attached, collections and UDTs carry deltas, an
 * ALTER TABLE ADD while running is picked up without restart, and an initial snapshot is
 * followed by streaming.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type cassandra from 'cassandra-driver';
import { createLogger } from '../../../src/log/logger.js';
import { SourceService, topicFor } from '../../../src/source/source-service.js';
import type { EmulatorHandle } from '../../support/scylla-emulator/index.js';
import { emulator, readTopic, sourceConfig, uniqueKs, waitFor, type Decoded } from './harness.js';

let emu: EmulatorHandle;
let cql: cassandra.Client;
const ks = uniqueKs();

beforeAll(async () => {
  ({ emu, cql } = await emulator());
  await cql.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class':'SimpleStrategy','replication_factor':1}`);
  await cql.execute(`CREATE TYPE ${ks}.addr (street text, no int, zip text)`);
  await cql.execute(
    `CREATE TABLE ${ks}.t (pk int, ck int, v text, s int static, m map<int,text>, l list<text>, st set<int>, u addr, d decimal, ts timestamp, PRIMARY KEY (pk, ck)) WITH cdc = {'enabled': true}`,
  );
  await cql.execute(`CREATE TABLE ${ks}.img (pk int PRIMARY KEY, a int, b text) WITH cdc = {'enabled': true, 'preimage': 'full', 'postimage': true}`);
});

afterAll(async () => {
  await cql?.shutdown();
  await emu?.close();
});

const src = (r: Decoded) => r.value.source;

describe('source records', () => {
  it('emits every op kind, images, collections and a new column after ALTER TABLE', async () => {
    const cfg = sourceConfig(emu, [`${ks}.t`, `${ks}.img`]);
    const svc = new SourceService(cfg, createLogger('source', cfg.logLevel));
    await svc.start();
    try {
      const p = { prepare: true };
      await cql.execute(`INSERT INTO ${ks}.t (pk, ck, v, d, ts) VALUES (1, 1, 'a', 12.3400, '2024-01-02T03:04:05.678Z')`);
      await cql.execute(`UPDATE ${ks}.t USING TTL 100 SET v = 'b' WHERE pk = 1 AND ck = 1`);
      await cql.execute(`UPDATE ${ks}.t SET v = null WHERE pk = 1 AND ck = 1`);
      await cql.execute(`UPDATE ${ks}.t SET s = 7 WHERE pk = 1`);
      await cql.execute(`UPDATE ${ks}.t SET m = m + {1: 'x', 2: 'y'}, st = st + {5} WHERE pk = 2 AND ck = 1`);
      await cql.execute(`UPDATE ${ks}.t SET m = m - {1} WHERE pk = 2 AND ck = 1`);
      await cql.execute(`UPDATE ${ks}.t SET l = l + ['p', 'q'] WHERE pk = 2 AND ck = 2`);
      await cql.execute(`UPDATE ${ks}.t SET u.street = 'Main', u.zip = null WHERE pk = 2 AND ck = 3`);
      await cql.execute(`DELETE FROM ${ks}.t WHERE pk = 1 AND ck = 1`);
      await cql.execute(`DELETE FROM ${ks}.t WHERE pk = 3 AND ck > 1 AND ck <= 4`);
      await cql.execute(`DELETE FROM ${ks}.t WHERE pk = 4`);
      await cql.execute(`INSERT INTO ${ks}.img (pk, a, b) VALUES (1, 1, 'one')`, [], p);
      await cql.execute(`UPDATE ${ks}.img SET a = 2 WHERE pk = 1`, [], p);
      const topic = topicFor(cfg.kafkaTopicTemplate, ks, 't');
      const recs = await readTopic(topic, (r) => r.length >= 11);
      const kinds = recs.map((r) => [r.value.op, src(r).change_kind, src(r).cdc_operation]);
      // One record per statement above, no more: 11 statements on t.
      const order = (x: unknown[]) => JSON.stringify(x);
      expect(kinds.map(order).sort()).toEqual(
        [
          ['c', 'row', 2],
          ['u', 'row', 1],
          ['u', 'row', 1],
          ['u', 'static_row', 1],
          ['u', 'row', 1],
          ['u', 'row', 1],
          ['u', 'row', 1],
          ['u', 'row', 1],
          ['d', 'row', 3],
          ['d', 'range_delete', 6],
          ['d', 'partition_delete', 4],
        ]
          .map(order)
          .sort(),
      );
      // per-partition order (one Kafka partition per Scylla partition): insert, ttl update, null, delete
      const pk1 = recs.filter((r) => r.key.pk === 1 && r.key.ck === 1).map((r) => r.value.op);
      expect(pk1).toEqual(['c', 'u', 'u', 'd']);
      expect(new Set(recs.filter((r) => r.key.pk === 1).map((r) => r.partition)).size).toBe(1);
      const insert = recs.find((r) => r.key.pk === 1 && r.value.op === 'c')!;
      expect(insert.value.after).toMatchObject({ pk: 1, ck: 1, v: { value: 'a' }, d: { value: '12.3400' }, ts: { value: Date.parse('2024-01-02T03:04:05.678Z') }, m: null });
      expect(src(insert)).toMatchObject({ connector: 'scylla', name: cfg.sourceName, keyspace_name: ks, table_name: 't', snapshot: 'false' });
      expect(typeof src(insert).ts_us).toBe('number');
      const ttl = recs.find((r) => r.key.pk === 1 && src(r).ttl === 100);
      expect(ttl?.value.after).toMatchObject({ v: { value: 'b' } });
      const nulled = recs.filter((r) => r.key.pk === 1 && r.value.op === 'u' && src(r).change_kind === 'row')[1]!;
      expect(nulled.value.after).toMatchObject({ v: { value: null } });
      const range = recs.find((r) => src(r).change_kind === 'range_delete')!;
      expect(src(range)).toMatchObject({ range_start: { ck: 1 }, range_end: { ck: 4 }, range_start_inclusive: false, range_end_inclusive: true });
      const mapAdd = recs.find(
        (r) =>
          r.key.pk === 2 && r.key.ck === 1 && (r.value.after?.m as { mode?: string } | null)?.mode === 'MODIFY' && (r.value.after?.m as { removed?: unknown }).removed === null,
      )!;
      expect(mapAdd.value.after).toMatchObject({
        m: {
          value: [
            { key: 1, value: 'x' },
            { key: 2, value: 'y' },
          ],
        },
        st: { value: [5], mode: 'MODIFY' },
      });
      const mapDel = recs.find((r) => r.key.pk === 2 && r.key.ck === 1 && Array.isArray((r.value.after?.m as { removed?: unknown } | null)?.removed))!;
      expect(mapDel.value.after).toMatchObject({ m: { mode: 'MODIFY', removed: [1] } });
      const list = recs.find((r) => r.key.pk === 2 && r.key.ck === 2)!;
      const l = list.value.after!.l as { value: string[]; list_keys: string[] };
      expect(l.value).toEqual(['p', 'q']);
      expect(l.list_keys).toHaveLength(2);
      const udt = recs.find((r) => r.key.pk === 2 && r.key.ck === 3)!;
      expect(udt.value.after!.u).toMatchObject({ value: { street: 'Main' }, mode: 'MODIFY', removed: ['zip'] });

      const imgs = await readTopic(topicFor(cfg.kafkaTopicTemplate, ks, 'img'), (r) => r.length >= 2);
      const up = imgs.find((r) => r.value.op === 'u')!;
      expect(up.value.before).toMatchObject({ pk: 1, a: { value: 1 }, b: { value: 'one' } });
      const ins = imgs.find((r) => r.value.op === 'c')!;
      expect(ins.value.after).toMatchObject({ a: { value: 1 }, b: { value: 'one' } });

      // ALTER TABLE ADD while running: new column arrives without restart, under a new schema version
      await cql.execute(`ALTER TABLE ${ks}.t ADD extra text`);
      await cql.execute(`INSERT INTO ${ks}.t (pk, ck, extra) VALUES (9, 9, 'new')`);
      const after = await readTopic(topic, (r) => r.some((x) => x.key.pk === 9));
      const rec9 = after.find((x) => x.key.pk === 9)!;
      expect(rec9.value.after).toMatchObject({ extra: { value: 'new' } });
      const versions = (await (await fetch(`${cfg.schemaRegistryUrl}/subjects/${topic}-value/versions`)).json()) as number[];
      expect(versions).toHaveLength(2); // the table's first schema and the one after ADD extra
      const healthy = await waitFor(() => (svc.healthy() ? true : undefined), 10_000, 'healthy');
      expect(healthy).toBe(true);
    } finally {
      await svc.stop();
    }
  });

  it('snapshots existing rows (op r), then streams new changes', async () => {
    await cql.execute(`CREATE TABLE ${ks}.snap (pk int, ck int, v int, PRIMARY KEY (pk, ck)) WITH cdc = {'enabled': true}`);
    for (let i = 0; i < 40; i++) await cql.execute(`INSERT INTO ${ks}.snap (pk, ck, v) VALUES (?, ?, ?)`, [i % 10, i, i], { prepare: true });
    const cfg = sourceConfig(emu, [`${ks}.snap`], { SNAPSHOT_MODE: 'initial', SOURCE_MAX_BATCH_RECORDS: '7', CDC_CONFIDENCE_WINDOW_MS: '300' });
    const svc = new SourceService(cfg, createLogger('source', cfg.logLevel));
    await svc.start();
    try {
      const topic = topicFor(cfg.kafkaTopicTemplate, ks, 'snap');
      const snap = await readTopic(topic, (r) => r.filter((x) => x.value.op === 'r').length >= 40);
      const reads = snap.filter((x) => x.value.op === 'r');
      expect(reads).toHaveLength(40);
      expect(new Set(reads.map((r) => `${r.key.pk}/${r.key.ck}`)).size).toBe(40);
      expect(src(reads[0]!).snapshot).toBe('true');
      await cql.execute(`INSERT INTO ${ks}.snap (pk, ck, v) VALUES (100, 1, 1)`);
      const all = await readTopic(topic, (r) => r.some((x) => x.key.pk === 100));
      expect(all.filter((x) => x.key.pk === 100 && x.value.op === 'c')).toHaveLength(1);
    } finally {
      await svc.stop();
    }
  });

  it('stops start-up with exit code 2 naming a missing table or one without CDC', async () => {
    await cql.execute(`CREATE TABLE ${ks}.nocdc (pk int PRIMARY KEY, v int)`);
    for (const [table, pattern] of [
      [`${ks}.missing`, /missing does not exist/],
      [`${ks}.nocdc`, /nocdc does not have CDC enabled/],
    ] as const) {
      const cfg = sourceConfig(emu, [table]);
      const svc = new SourceService(cfg, createLogger('source', 'silent'));
      const err = await svc.start().then(
        () => undefined,
        (e: unknown) => e as { exitCode?: number; message: string },
      );
      await svc.stop();
      expect(err?.exitCode).toBe(2);
      expect(err?.message).toMatch(pattern);
    }
  });
});
