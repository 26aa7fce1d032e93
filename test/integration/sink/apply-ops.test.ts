/** End-state of every op kind through the real stack: inserts, partial updates, NULLs, deletes, partition and range deletes, collections, version guard. */
import { afterAll, describe, expect, it } from 'vitest';
import { avroType, envelope, frame, keyObject, valueSchema } from '../../fixtures/sink/envelope.js';
import { closeProducer, pgPool, produce, query, randomName, register, startSink, storedOffset, topicFixture, waitFor } from './sink-harness.js';

const schema = randomName('sink_ops');
const group = randomName('g');

describe('sink applies every op kind', () => {
  afterAll(async () => {
    await closeProducer();
    await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pgPool.end();
  });

  it('inserts, partial updates, deletes, partition/range deletes, collections, version guard', async () => {
    const fx = await topicFixture({
      key: [
        { name: 'pk', type: 'string' },
        { name: 'ck', type: 'int' },
      ],
      columns: [
        { name: 'Name', type: 'string' },
        { name: 'score', type: 'long' },
        { name: 'tags', type: { type: 'array', items: 'string' }, collection: 'set' },
        {
          name: 'attrs',
          type: {
            type: 'array',
            items: {
              type: 'record',
              name: 'attrs_Entry',
              fields: [
                { name: 'key', type: 'string' },
                { name: 'value', type: ['null', 'long'] },
              ],
            },
          },
          collection: 'map',
          removedItems: 'string',
        },
        { name: 'items', type: { type: 'array', items: 'string' }, collection: 'list' },
      ],
    });
    const t = 1_700_000_000_000_000;
    const lk = (n: number) => `0000000${n}-0000-1000-8000-000000000000`;
    const changes = [
      // a: insert, partial update (score only), set Name to NULL
      fx.encode({ op: 'c', key: { pk: 'a', ck: 1 }, after: { Name: { value: 'alice' }, score: { value: 1 } }, tsUs: t + 1 }),
      fx.encode({ op: 'u', key: { pk: 'a', ck: 1 }, after: { score: { value: 2 } }, tsUs: t + 2 }),
      fx.encode({ op: 'u', key: { pk: 'a', ck: 2 }, after: { Name: { value: 'a2' }, score: { value: 5 } }, tsUs: t + 3 }),
      fx.encode({ op: 'u', key: { pk: 'a', ck: 2 }, after: { Name: { value: null } }, tsUs: t + 4 }),
      // b: insert then delete; c: delete then insert (untouched column reset)
      fx.encode({ op: 'c', key: { pk: 'b', ck: 1 }, after: { Name: { value: 'bob' } }, tsUs: t + 5 }),
      fx.encode({ op: 'd', key: { pk: 'b', ck: 1 }, tsUs: t + 6 }),
      fx.encode({ op: 'c', key: { pk: 'c', ck: 1 }, after: { Name: { value: 'carol' }, score: { value: 9 } }, tsUs: t + 7 }),
      // p: three rows, range delete ck in [2, 3), then partition delete of q
      ...[1, 2, 3].map((ck) => fx.encode({ op: 'c', key: { pk: 'p', ck }, after: { score: { value: ck } }, tsUs: t + 10 })),
      fx.encode({
        op: 'd',
        key: { pk: 'p' },
        tsUs: t + 11,
        changeKind: 'range_delete',
        rangeStart: { ck: 2 },
        rangeStartInclusive: true,
        rangeEnd: { ck: 3 },
        rangeEndInclusive: false,
      }),
      ...[1, 2].map((ck) => fx.encode({ op: 'c', key: { pk: 'q', ck }, after: { score: { value: ck } }, tsUs: t + 10 })),
      fx.encode({ op: 'd', key: { pk: 'q' }, tsUs: t + 12, changeKind: 'partition_delete' }),
      // collections on s: overwrite, then deltas
      fx.encode({
        op: 'c',
        key: { pk: 's', ck: 1 },
        after: {
          tags: { value: ['x', 'y'], mode: 'OVERWRITE' },
          attrs: {
            value: [
              { key: 'k1', value: 1 },
              { key: 'k2', value: 2 },
            ],
            mode: 'OVERWRITE',
          },
          items: { value: ['first', 'second'], mode: 'OVERWRITE', list_keys: [lk(1), lk(2)] },
        },
        tsUs: t + 20,
      }),
    ];
    await produce(fx.topic, changes);
    const sink = startSink({ SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: group });
    await sink.started;
    try {
      await waitFor('first wave', async () => (await storedOffset(schema, group, fx.topic)) === BigInt(changes.length));
      const deltas = [
        fx.encode({
          op: 'u',
          key: { pk: 's', ck: 1 },
          after: {
            tags: { value: ['z'], mode: 'MODIFY', removed: ['x'] },
            attrs: { value: [{ key: 'k3', value: 3 }], mode: 'MODIFY', removed: ['k1'] },
            items: { value: ['third', 'zeroth'], mode: 'MODIFY', list_keys: [lk(3), lk(0)], removed: [lk(2)] },
          },
          tsUs: t + 21,
        }),
        // c: delete after insert then re-insert of only score: Name must be NULL
        fx.encode({ op: 'd', key: { pk: 'c', ck: 1 }, tsUs: t + 22 }),
        fx.encode({ op: 'c', key: { pk: 'c', ck: 1 }, after: { score: { value: 10 } }, tsUs: t + 23 }),
        // version guard: an older update of a (ts t+1.5) and a late older insert of deleted b
        fx.encode({ op: 'u', key: { pk: 'a', ck: 1 }, after: { score: { value: 999 } }, tsUs: t + 1 }),
        fx.encode({ op: 'c', key: { pk: 'b', ck: 1 }, after: { Name: { value: 'zombie' } }, tsUs: t + 5 }),
        // the range-deleted row is not resurrected by an older insert either
        fx.encode({ op: 'c', key: { pk: 'p', ck: 2 }, after: { score: { value: 77 } }, tsUs: t + 10 }),
      ];
      await produce(fx.topic, deltas);
      await waitFor('second wave', async () => (await storedOffset(schema, group, fx.topic)) === BigInt(changes.length + deltas.length));
      const rows = await query<Record<string, unknown>>(
        `SELECT pk, ck, "Name", score::int AS score, tags, attrs, items, _cdc_ts_us::text AS ts FROM "${schema}"."${fx.spec.table}" ORDER BY pk, ck`,
      );
      const byKey = Object.fromEntries(rows.map((r) => [`${r.pk}/${r.ck}`, r]));
      expect(Object.keys(byKey).sort()).toEqual(['a/1', 'a/2', 'c/1', 'p/1', 'p/3', 's/1']);
      expect(byKey['a/1']).toMatchObject({ Name: 'alice', score: 2 });
      expect(byKey['a/2']).toMatchObject({ Name: null, score: 5 });
      expect(byKey['c/1']).toMatchObject({ Name: null, score: 10 });
      expect(byKey['s/1']!.tags).toEqual(['y', 'z']);
      expect(byKey['s/1']!.attrs).toEqual({ k2: 2, k3: 3 });
      expect(byKey['s/1']!.items).toEqual(['zeroth', 'first', 'third']);
      expect(byKey['a/1']!.ts).toBe(String(t + 2));
    } finally {
      await sink.proc.stop();
    }
  });

  it('SINK_AUTO_EVOLVE=false: a column the schema gained is not added; the columns the table has are still written (on, the default: outages.test.ts)', async () => {
    const noEvolveGroup = randomName('g');
    const fx = await topicFixture({ key: [{ name: 'id', type: 'int' }], columns: [{ name: 'a', type: 'string' }] });
    const t = 1_700_000_000_000_000;
    const sink = startSink({ SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: noEvolveGroup, SINK_AUTO_EVOLVE: 'false' });
    await sink.started;
    try {
      await produce(fx.topic, [fx.encode({ op: 'c', key: { id: 1 }, after: { a: { value: 'one' } }, tsUs: t })]);
      await waitFor('v1 applied', async () => (await storedOffset(schema, noEvolveGroup, fx.topic)) === 1n, 60_000);
      const spec2 = { ...fx.spec, columns: [...fx.spec.columns, { name: 'extra', type: 'long' }] };
      const v2Schema = valueSchema(spec2);
      const v2id = await register(`${fx.topic}-value`, v2Schema);
      await produce(fx.topic, [
        {
          key: fx.encodeKey(keyObject(fx.spec, { id: 2 })),
          value: frame(v2id, avroType(v2Schema), envelope(spec2, { op: 'c', key: { id: 2 }, after: { a: { value: 'two' }, extra: { value: 20 } }, tsUs: t + 1 })),
        },
      ]);
      await waitFor('v2 applied', async () => (await storedOffset(schema, noEvolveGroup, fx.topic)) === 2n, 60_000);
      const columns = await query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name NOT LIKE '\\_cdc\\_%' ORDER BY ordinal_position`,
        [schema, fx.spec.table],
      );
      expect(columns.map((c) => c.column_name)).toEqual(['id', 'a']);
      expect(await query(`SELECT id, a FROM "${schema}"."${fx.spec.table}" ORDER BY id`)).toEqual([
        { id: 1, a: 'one' },
        { id: 2, a: 'two' },
      ]);
      expect((sink.proc.sink.status() as { dlq: Record<string, number> }).dlq).toEqual({});
    } finally {
      await sink.proc.stop();
    }
  });
});
