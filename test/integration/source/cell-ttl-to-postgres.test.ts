/**
 * `USING TTL` expiry end to end (docs/sink.md "TTL expiry"): ScyllaDB logs nothing when cells or rows
 * expire, so the sink keeps each cell's and row marker's expiry and purges on a schedule. The
 * emulator stands in for ScyllaDB (it expires cells on read, and splits a write's log rows by TTL as
 * ScyllaDB does); Kafka, the registry and PostgreSQL are the real ones.
 *
 * Hard mode: the test drives the purge itself (SINK_TTL_PURGE_INTERVAL_MS=0 in the sink), so it sees
 * every row in PostgreSQL first, then checks reconcile against ScyllaDB after expiry and before the
 * purge (expired rows count as gone), then one purge round, whose exact result must equal what
 * ScyllaDB returns. Soft mode: the sink's own scheduled purge marks the expired row.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { ttlPurged } from '../../../src/metrics/sink-metrics.js';
import { TtlPurge } from '../../../src/sink/ttl-purge.js';
import { SourceService, topicFor } from '../../../src/source/source-service.js';
import { PG_URL } from '../../helpers/stack-env.js';
import { pgPool, query, randomName, startSink, waitFor } from '../sink/sink-harness.js';
import { emulator, sourceConfig, uniqueKs } from './harness.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const run = promisify(execFile);
const schemas = [randomName('ttlh'), randomName('ttls')];

afterAll(async () => {
  for (const s of schemas) await pgPool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await pgPool.end();
});

type Row = { id: number; a: string | null; b: string | null };

async function pipeline(schema: string, sinkEnv: Record<string, string>) {
  const { emu, cql } = await emulator();
  const ks = uniqueKs();
  await cql.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class':'SimpleStrategy','replication_factor':1}`);
  await cql.execute(`CREATE TABLE ${ks}.t (id int PRIMARY KEY, a text, b text) WITH cdc = {'enabled': true}`);
  const cfg = sourceConfig(emu, [`${ks}.t`]);
  const svc = new SourceService(cfg, createLogger('source', cfg.logLevel));
  await svc.start();
  const sink = startSink({
    SINK_TOPICS: topicFor(cfg.kafkaTopicTemplate, ks, 't'),
    KAFKA_TOPIC_TEMPLATE: cfg.kafkaTopicTemplate,
    PG_SCHEMA: schema,
    SINK_GROUP_ID: randomName('g'),
    ...sinkEnv,
  });
  await sink.started;
  const close = async () => {
    await sink.proc.stop();
    await svc.stop();
    await cql.shutdown();
    await emu.close();
  };
  return { emu, cql, ks, close };
}

const pgRows = (schema: string) => query<Row & { exp: boolean }>(`SELECT id, a, b, _cdc_cexp IS NOT NULL AS exp FROM "${schema}".t ORDER BY id`);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

describe('USING TTL expiry reaches PostgreSQL', () => {
  it('expired rows and cells go; rewritten rows, permanent cells and cells of one batch without TTL stay; reconcile agrees before the purge', async () => {
    const schema = schemas[0]!;
    const p = await pipeline(schema, { SINK_TTL_PURGE_INTERVAL_MS: '0' });
    try {
      const t = `${p.ks}.t`;
      await p.cql.execute(`INSERT INTO ${t} (id, a, b) VALUES (1, 'a1', 'b1') USING TTL 3`);
      await p.cql.execute(`INSERT INTO ${t} (id, a, b) VALUES (2, 'a2', 'b2') USING TTL 3`);
      await p.cql.execute(`INSERT INTO ${t} (id, a, b) VALUES (2, 'a2x', 'b2x')`); // rewritten without TTL: permanent
      await p.cql.execute(`INSERT INTO ${t} (id, a, b) VALUES (3, 'a3', 'b3')`);
      await p.cql.execute(`UPDATE ${t} USING TTL 3 SET a = 'tmp' WHERE id = 3`); // one cell of a permanent row
      await p.cql.execute(`UPDATE ${t} USING TTL 3 SET a = 'u4' WHERE id = 4`); // an UPDATE-made row: no marker
      // One timestamp, two TTLs on one row: the log splits it in two rows that the source merges
      // into one record; b must stay permanent (source.cell_ttls), the marker and a expire.
      await p.cql.execute(`BEGIN BATCH INSERT INTO ${t} (id, a) VALUES (5, 'p') USING TTL 3; UPDATE ${t} SET b = 'perm' WHERE id = 5; APPLY BATCH`);
      await p.cql.execute(`INSERT INTO ${t} (id, a, b) VALUES (6, 'a6', 'b6')`);

      // Every change applied (the sink does not purge here), with an expiry exactly where a TTL is.
      const before = [
        { id: 1, a: 'a1', b: 'b1', exp: true },
        { id: 2, a: 'a2x', b: 'b2x', exp: false },
        { id: 3, a: 'tmp', b: 'b3', exp: true },
        { id: 4, a: 'u4', b: null, exp: true },
        { id: 5, a: 'p', b: 'perm', exp: true },
        { id: 6, a: 'a6', b: 'b6', exp: false },
      ];
      await waitFor('every change in PostgreSQL', async () => same(await pgRows(schema).catch(() => []), before), 60_000);
      const last = `(SELECT max(x.v::bigint) FROM "${schema}".t, jsonb_each_text(_cdc_cexp) AS x(k, v))`;
      await waitFor('PostgreSQL past every expiry', async () => (await query<{ due: boolean }>(`SELECT extract(epoch FROM now()) * 1000000 > ${last} AS due`))[0]!.due, 30_000);

      // What ScyllaDB returns now.
      const expected: Row[] = [
        { id: 2, a: 'a2x', b: 'b2x' },
        { id: 3, a: null, b: 'b3' },
        { id: 5, a: null, b: 'perm' },
        { id: 6, a: 'a6', b: 'b6' },
      ];
      const read = async () =>
        (await p.cql.execute(`SELECT id, a, b FROM ${t}`)).rows
          .map((r) => ({ id: r['id'] as number, a: r['a'] as string | null, b: r['b'] as string | null }))
          .sort((x, y) => x.id - y.id);
      // The emulator dates a TTL from when it applies the write, a few ms after the write time the
      // sink's expiry counts from: on a loaded box its cells can outlive PostgreSQL's by that much.
      await waitFor('ScyllaDB past every expiry', async () => same(await read(), expected), 10_000).catch(() => undefined);
      expect(await read()).toEqual(expected);

      // reconcile before the purge: expired rows count as gone, expired cells as NULL.
      const dir = mkdtempSync(join(tmpdir(), 'ttl-reconcile-'));
      const report = join(dir, 'r.json');
      await run(process.execPath, ['--import', 'tsx', MAIN, 'reconcile', '--table', t, '--dry-run', '--report', report], {
        env: { PATH: process.env.PATH ?? '', PG_URL, PG_SCHEMA: schema, SCYLLA_CONTACT_POINTS: p.emu.contactPoint, SCYLLA_CONSISTENCY: 'ONE' },
        timeout: 120_000,
      }).catch((err: { code?: number; stderr?: string }) => {
        if (err.code !== 3) throw new Error(`reconcile failed (${err.code}): ${err.stderr ?? ''}`); // 3 = differences: the counts below say which
      });
      const r = JSON.parse(readFileSync(report, 'utf8')) as { counts: Record<string, number>; accuracy_percentage: number };
      expect(r.counts).toMatchObject({ source_rows: 4, target_rows: 4, missing_in_target: 0, extra_in_target: 0, mismatches: 0 });
      expect((await pgRows(schema)).length).toBe(6); // nothing purged yet

      const purge = new TtlPurge(pgPool, schema, { intervalMs: 0, softDelete: false }, createLogger('purge', 'silent'));
      expect((await purge.round()).get('t')).toEqual({ removed: 2, cells: 2 });
      expect(await pgRows(schema)).toEqual(expected.map((x) => ({ ...x, exp: false })));
      expect(await query(`SELECT id FROM "${schema}".t WHERE _cdc_expires_at IS NOT NULL`)).toEqual([]);
      // The removed keys are tombstoned at their newest write, so a late older change cannot revive them.
      expect((await query<{ id: number }>(`SELECT id FROM "${schema}"."_cdc_tombstones_t" ORDER BY id`)).map((x) => x.id)).toEqual([1, 4]);
      expect((await purge.round()).get('t')).toEqual({ removed: 0, cells: 0 });
    } finally {
      await p.close();
    }
  }, 240_000);

  it('soft mode: the scheduled purge marks the expired row (values kept), counts it, and a new write revives it', async () => {
    const schema = schemas[1]!;
    const p = await pipeline(schema, { SINK_TTL_PURGE_INTERVAL_MS: '300', SINK_DELETE_MODE: 'soft' });
    try {
      const t = `${p.ks}.t`;
      await p.cql.execute(`INSERT INTO ${t} (id, a, b) VALUES (1, 'a1', 'b1') USING TTL 2`);
      await p.cql.execute(`INSERT INTO ${t} (id, a, b) VALUES (2, 'a2', 'b2')`);
      const state = () => query<Row & { del: boolean }>(`SELECT id, a, b, _cdc_deleted_at IS NOT NULL AS del FROM "${schema}".t ORDER BY id`).catch(() => []);
      await waitFor(
        'the expired row marked, the other live',
        async () =>
          same(await state(), [
            { id: 1, a: 'a1', b: 'b1', del: true },
            { id: 2, a: 'a2', b: 'b2', del: false },
          ]),
        60_000,
      );
      const marked = (await ttlPurged.get()).values.find((v) => v.labels.action === 'marked' && v.labels.table === 't');
      expect(marked?.value).toBeGreaterThanOrEqual(1);

      await p.cql.execute(`INSERT INTO ${t} (id, a) VALUES (1, 'new')`);
      await waitFor(
        'the row revived by a newer write',
        async () =>
          same(await state(), [
            { id: 1, a: 'new', b: null, del: false },
            { id: 2, a: 'a2', b: 'b2', del: false },
          ]),
        60_000,
      );
    } finally {
      await p.close();
    }
  }, 180_000);
});
