/**
 * Per-cell last-write-wins (ScyllaDB semantics) through the real stack: changes arriving out of
 * write-time order (LWT ballots, replays, snapshot/stream overlap) end where Scylla ends. Each
 * scenario runs twice: one change per transaction (the SQL guard) and all changes in one batch (the
 * fold), and both must give Scylla's result.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { T, encode, expected, runScenario, spec, type Ch } from './per-cell-scenario.js';
import { closeProducer, pgPool, produce, query, randomName, startSink, storedOffset, topicFixture, waitFor } from './sink-harness.js';

const schema = randomName('sink_cell');
const group = randomName('g');

describe('per-cell version guard', () => {
  afterAll(async () => {
    await closeProducer();
    await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pgPool.end();
  });

  it('out-of-order changes end equal to ScyllaDB, applied one by one and folded in one batch', async () => {
    await runScenario(schema, group, {}, async ({ single, folded }) => {
      for (const fx of [single, folded]) {
        const rows = await query(`SELECT pk, ck, a, b, c, _cdc_ts_us::text AS ts FROM "${schema}"."${fx.spec.table}" ORDER BY pk, ck`);
        expect(rows, fx === single ? 'one change per transaction' : 'folded').toEqual(expected);
      }
      // Per-cell times are kept: r1's b was written at 20, its a at 30 (= the row's time, implied).
      const [cts] = await query<{ cts: Record<string, number | null> }>(`SELECT _cdc_cts AS cts FROM "${schema}"."${single.spec.table}" WHERE pk = 'r1'`);
      expect(cts!.cts).toMatchObject({ b: T + 20, c: null });
      expect(cts!.cts).not.toHaveProperty('a');
    });
  });

  it('migrates a table made before per-cell times: rows without _cdc_cts count every cell at _cdc_ts_us', async () => {
    const fx = await topicFixture(spec);
    const g = randomName('g');
    const tbl = `"${schema}"."${fx.spec.table}"`;
    await pgPool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await pgPool.query(`CREATE TABLE ${tbl} (pk text NOT NULL, ck integer NOT NULL, a text, b text, c text, _cdc_ts_us bigint, PRIMARY KEY (pk, ck))`);
    await pgPool.query(`INSERT INTO ${tbl} VALUES ('old', 1, 'a', 'b', NULL, ${T + 50}), ('tool', 1, 'x', NULL, NULL, NULL)`);
    const sink = startSink({ SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: g });
    await sink.started;
    try {
      const changes: Ch[] = [
        { op: 'u', pk: 'old', ck: 1, after: { a: 'older' }, at: 40 }, // older than the row: dropped
        { op: 'u', pk: 'old', ck: 1, after: { b: 'newer' }, at: 60 },
        { op: 'u', pk: 'old', ck: 1, after: { a: 'still older' }, at: 45 }, // a is at 50: dropped
        { op: 'u', pk: 'tool', ck: 1, after: { b: 'y' }, at: 1 }, // no time at all: applies
      ];
      await produce(
        fx.topic,
        changes.map((c) => encode(fx, c)),
      );
      await waitFor('applied', async () => (await storedOffset(schema, g, fx.topic)) === BigInt(changes.length));
      const rows = await query(`SELECT pk, a, b, _cdc_ts_us::text AS ts, _cdc_cts AS cts FROM ${tbl} ORDER BY pk`);
      expect(rows).toEqual([
        { pk: 'old', a: 'a', b: 'newer', ts: String(T + 60), cts: { _marker: T + 50, a: T + 50, c: T + 50 } },
        { pk: 'tool', a: 'x', b: 'y', ts: String(T + 1), cts: { _marker: null, a: null, c: null } },
      ]);
    } finally {
      await sink.proc.stop();
    }
  });
});
