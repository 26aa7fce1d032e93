/**
 * Range deletes on tables with DESC clustering columns, end to end: the emulator logs each range in
 * clustering order as ScyllaDB does (statement_restrictions.cc `reverse_if_reqd`, cdc/log.cc
 * `range_delete`), the real source marks the DESC columns in its schema, and the real sink must
 * delete exactly the rows the CQL statement names. Every table gets the same deletes (inclusive,
 * exclusive, open-ended, prefix, two in one partition, a delete and an insert at one write time in
 * one batch); the expected contents come from a model that applies each statement's CQL condition
 * to the rows written, and the emulator's own table is checked against the same model.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { SourceService, topicFor } from '../../../src/source/source-service.js';
import { pgPool, query, randomName, startSink, waitFor } from '../sink/sink-harness.js';
import { emulator, sourceConfig, uniqueKs } from './harness.js';

const schema = randomName('rangedesc');

afterAll(async () => {
  await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pgPool.end();
});

type Key = number[];
interface Delete {
  where: string;
  covers: (k: Key) => boolean;
}

const del = (where: string, covers: (k: Key) => boolean): Delete => ({ where, covers });

/** Deletes of a table keyed (a, b): one partition per entry. */
const TWO_COLUMNS: Delete[][] = [
  [del('a = 2 AND b > 2', ([a, b]) => a === 2 && b! > 2)],
  [del('a = 2 AND b >= 2 AND b < 4', ([a, b]) => a === 2 && b! >= 2 && b! < 4)],
  [del('a = 1 AND b <= 2', ([a, b]) => a === 1 && b! <= 2)],
  [del('a > 1 AND a <= 2', ([a]) => a! > 1 && a! <= 2)],
  [del('a >= 3', ([a]) => a! >= 3)],
  [del('a < 2', ([a]) => a! < 2)],
  [del('a = 3', ([a]) => a === 3)],
  [del('a = 2 AND b > 1 AND b <= 3', ([a, b]) => a === 2 && b! > 1 && b! <= 3), del('a > 2', ([a]) => a! > 2)],
];

/** Deletes of a table keyed (ck). */
const ONE_COLUMN: Delete[][] = [
  [del('ck > 2', ([c]) => c! > 2)],
  [del('ck >= 2 AND ck < 4', ([c]) => c! >= 2 && c! < 4)],
  [del('ck <= 2', ([c]) => c! <= 2)],
  [del('ck > 1 AND ck < 4', ([c]) => c! > 1 && c! < 4)],
  [del('ck >= 4', ([c]) => c! >= 4), del('ck < 2', ([c]) => c! < 2)],
];

interface TableCase {
  name: string;
  ck: string[];
  order: string;
  grid: Key[];
  deletes: Delete[][];
}

const grid2: Key[] = [1, 2, 3].flatMap((a) => [1, 2, 3, 4].map((b) => [a, b]));
const TABLES: TableCase[] = [
  { name: 'asc_asc', ck: ['a', 'b'], order: 'a ASC, b ASC', grid: grid2, deletes: TWO_COLUMNS },
  { name: 'desc_desc', ck: ['a', 'b'], order: 'a DESC, b DESC', grid: grid2, deletes: TWO_COLUMNS },
  { name: 'asc_desc', ck: ['a', 'b'], order: 'a ASC, b DESC', grid: grid2, deletes: TWO_COLUMNS },
  { name: 'desc_asc', ck: ['a', 'b'], order: 'a DESC, b ASC', grid: grid2, deletes: TWO_COLUMNS },
  { name: 'one_desc', ck: ['ck'], order: 'ck DESC', grid: [1, 2, 3, 4, 5].map((c) => [c]), deletes: ONE_COLUMN },
];

const rowText = (pk: number, k: Key, v: string) => `${pk}/${k.join('/')}=${v}`;

describe('range deletes on DESC clustering columns reach PostgreSQL as ScyllaDB applies them', () => {
  it('every table ends with exactly the rows the model keeps, in PostgreSQL and in the emulator', async () => {
    const { emu, cql } = await emulator();
    let svc: SourceService | undefined;
    let sink: ReturnType<typeof startSink> | undefined;
    try {
      const ks = uniqueKs();
      await cql.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class':'SimpleStrategy','replication_factor':1}`);
      for (const t of TABLES) {
        await cql.execute(
          `CREATE TABLE ${ks}.${t.name} (pk int, ${t.ck.map((c) => `${c} int`).join(', ')}, v text, PRIMARY KEY (pk, ${t.ck.join(', ')})) WITH CLUSTERING ORDER BY (${t.order}) AND cdc = {'enabled': true}`,
        );
      }
      const cfg = sourceConfig(
        emu,
        TABLES.map((t) => `${ks}.${t.name}`),
      );
      svc = new SourceService(cfg, createLogger('source', cfg.logLevel));
      await svc.start();
      const topics = TABLES.map((t) => topicFor(cfg.kafkaTopicTemplate, ks, t.name));
      sink = startSink({ SINK_TOPICS: topics.join(','), KAFKA_TOPIC_TEMPLATE: cfg.kafkaTopicTemplate, PG_SCHEMA: schema, SINK_GROUP_ID: randomName('g') });
      await sink.started;

      const p = { prepare: true };
      const model = new Map<string, Map<string, string>>(); // table → "pk/key" → v
      for (const t of TABLES) {
        const rows = new Map<string, string>();
        model.set(t.name, rows);
        const cols = `pk, ${t.ck.join(', ')}, v`;
        const marks = `?, ${t.ck.map(() => '?').join(', ')}, ?`;
        const insert = async (pk: number, k: Key, v: string) => {
          await cql.execute(`INSERT INTO ${ks}.${t.name} (${cols}) VALUES (${marks})`, [pk, ...k, v], p);
          rows.set(`${pk}/${k.join('/')}`, v);
        };
        const pks = [...t.deletes.keys()];
        for (const pk of pks) for (const k of t.grid) await insert(pk, k, 'first');
        for (const pk of pks) {
          for (const d of t.deletes[pk]!) {
            await cql.execute(`DELETE FROM ${ks}.${t.name} WHERE pk = ? AND ${d.where}`, [pk], p);
            for (const k of t.grid) if (d.covers(k)) rows.delete(`${pk}/${k.join('/')}`);
          }
          // A key the deletes covered comes back when written again; one they left is overwritten.
          const covered = t.grid.find((k) => t.deletes[pk]!.some((d) => d.covers(k)))!;
          const left = t.grid.find((k) => !t.deletes[pk]!.some((d) => d.covers(k)))!;
          await insert(pk, covered, 'again');
          await insert(pk, left, 'again');
        }
        // A delete and an insert inside its range at one write time, one batch: the delete wins the tie.
        const tie = pks.length;
        const inside = t.grid.find((k) => t.deletes[0]![0]!.covers(k))!;
        const outside = t.grid.find((k) => !t.deletes[0]![0]!.covers(k))!;
        const ts = Date.now() * 1000;
        await cql.execute(
          `BEGIN UNLOGGED BATCH
             INSERT INTO ${ks}.${t.name} (${cols}) VALUES (${tie}, ${inside.join(', ')}, 'tie') USING TIMESTAMP ${ts};
             INSERT INTO ${ks}.${t.name} (${cols}) VALUES (${tie}, ${outside.join(', ')}, 'tie') USING TIMESTAMP ${ts};
             DELETE FROM ${ks}.${t.name} USING TIMESTAMP ${ts} WHERE pk = ${tie} AND ${t.deletes[0]![0]!.where};
           APPLY BATCH`,
        );
        rows.set(`${tie}/${outside.join('/')}`, 'tie');
        // Last in every partition: once PostgreSQL has it, it has all that came before it there.
        for (const pk of [...pks, tie])
          await insert(
            pk,
            t.ck.map(() => 9),
            'end',
          );
      }

      const expected = (name: string) => [...model.get(name)!].map(([k, v]) => `${k}=${v}`).sort();
      const inPg = async (t: TableCase) =>
        (await query<Record<string, number | string>>(`SELECT pk, ${t.ck.join(', ')}, v FROM "${schema}"."${t.name}"`))
          .map((r) =>
            rowText(
              r['pk'] as number,
              t.ck.map((c) => r[c] as number),
              r['v'] as string,
            ),
          )
          .sort();
      const all = async () => Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t.name, await inPg(t)] as const)));
      const want = Object.fromEntries(TABLES.map((t) => [t.name, expected(t.name)]));
      const ends = (t: TableCase) => query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}"."${t.name}" WHERE v = 'end'`).then((r) => Number(r[0]!.n));
      await waitFor(
        'the last write of every partition in PostgreSQL',
        async () => (await Promise.all(TABLES.map(async (t) => (await ends(t)) === t.deletes.length + 1))).every(Boolean),
        60_000,
      );
      expect(await all()).toEqual(want);
      // The model is ScyllaDB's answer: the emulator's tables agree with it.
      for (const t of TABLES) {
        const rs = await cql.execute(`SELECT pk, ${t.ck.join(', ')}, v FROM ${ks}.${t.name}`);
        expect(
          rs.rows
            .map((r) =>
              rowText(
                r['pk'] as number,
                t.ck.map((c) => r[c] as number),
                r['v'] as string,
              ),
            )
            .sort(),
        ).toEqual(expected(t.name));
      }
    } finally {
      await sink?.proc.stop();
      await svc?.stop();
      await cql.shutdown();
      await emu.close();
    }
  }, 180_000);
});
