/**
 * Records shaped exactly like scylla-cdc-source-connector's (legacy cells, Connect names, Confluent
 * AvroConverter schemas in test/fixtures/connector/*.avsc) are applied.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { avroType, frame } from '../../fixtures/sink/envelope.js';
import { closeProducer, createTopic, pgPool, produce, query, randomName, register, startSink, storedOffset, waitFor } from './sink-harness.js';

const schema = randomName('sink_conn');
const group = randomName('g');
const load = (f: string) => JSON.parse(readFileSync(new URL(`../../fixtures/connector/${f}`, import.meta.url), 'utf8')) as unknown;

describe('connector-shaped records', () => {
  afterAll(async () => {
    await closeProducer();
    await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pgPool.end();
  });

  it('applies inserts, partial updates and deletes written by the Scylla connector via AvroConverter', async () => {
    const table = randomName('orders');
    const topic = `shop.ks.${table}`;
    await createTopic(topic);
    const keyS = load('orders.key.avsc');
    const valS = load('orders.value.avsc');
    const keyId = await register(`${topic}-key`, keyS);
    const valId = await register(`${topic}-value`, valS);
    const kt = avroType(keyS);
    const vt = avroType(valS);
    const cols = ['customer', 'amount', 'placed_at', 'ship_date', 'qty', 'price', 'paid', 'note', 'blob', 'ratio'];
    const row = (key: { order_id: string; line: number }, cells: Record<string, unknown>) => {
      const o: Record<string, unknown> = { ...key };
      for (const c of cols) o[c] = c in cells ? { value: cells[c] } : null;
      return o;
    };
    const source = (tsUs: bigint) => ({
      version: '1.2.3',
      connector: 'scylla',
      name: 'shop',
      ts_ms: tsUs / 1000n,
      snapshot: 'false',
      db: 'ks',
      sequence: null,
      ts_us: tsUs,
      ts_ns: null,
      keyspace_name: 'ks',
      table_name: table,
    });
    const t = 1_700_000_000_000_000n;
    const key = { order_id: 'o-1', line: 1 };
    const rec = (op: string, tsUs: bigint, before: unknown, after: unknown, k = key) => ({
      key: frame(keyId, kt, k),
      value: frame(valId, vt, { source: source(tsUs), before, after, op, ts_ms: 1_700_000_100_000n, transaction: null, ts_us: null, ts_ns: null }),
    });
    await produce(topic, [
      rec(
        'c',
        t + 1n,
        null,
        row(key, {
          customer: 'ann',
          amount: 9_007_199_254_740_993n,
          placed_at: 1_700_000_000_123n,
          ship_date: 19_700,
          qty: 3,
          price: '12.50',
          paid: false,
          note: 'tab\there',
          blob: Buffer.from([0, 1, 255]),
          ratio: 0.5,
        }),
      ),
      rec('u', t + 2n, null, row(key, { paid: true, note: null })),
      rec('c', t + 3n, null, row({ order_id: 'o-2', line: 1 }, { customer: 'bob' }), { order_id: 'o-2', line: 1 }),
      rec('d', t + 4n, row({ order_id: 'o-2', line: 1 }, {}), null, { order_id: 'o-2', line: 1 }),
    ]);
    const sink = startSink({ SINK_TOPICS: '^shop\\.ks\\..+', PG_SCHEMA: schema, SINK_GROUP_ID: group });
    await sink.started;
    try {
      await waitFor('applied', async () => (await storedOffset(schema, group, topic)) === 4n);
      const rows = await query(
        `SELECT order_id, line, customer, amount::text, placed_at = '2023-11-14T22:13:20.123Z'::timestamptz AS placed_ok, ship_date::text, qty, price, paid, note, encode(blob, 'hex') AS blob, ratio FROM "${schema}"."${table}"`,
      );
      expect(rows).toEqual([
        {
          order_id: 'o-1',
          line: 1,
          customer: 'ann',
          amount: '9007199254740993',
          placed_ok: true,
          ship_date: '2023-12-09',
          qty: 3,
          price: '12.50',
          paid: true,
          note: null,
          blob: '0001ff',
          ratio: 0.5,
        },
      ]);
      const types = await query<{ column_name: string; data_type: string }>(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
        [schema, table],
      );
      expect(Object.fromEntries(types.map((r) => [r.column_name, r.data_type]))).toMatchObject({
        placed_at: 'timestamp with time zone',
        ship_date: 'date',
        qty: 'smallint',
        amount: 'bigint',
        blob: 'bytea',
        paid: 'boolean',
        ratio: 'double precision',
      });
    } finally {
      await sink.proc.stop();
    }
  });
});
