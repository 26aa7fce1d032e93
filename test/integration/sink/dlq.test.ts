/** Each poison kind goes to the DLQ with its bytes and headers; neighbours commit. */
import { afterAll, describe, expect, it } from 'vitest';
import { DLQ_HEADER } from '../../../src/sink/core/dlq-headers.js';
import { closeProducer, createTopic, kafka, pgPool, produce, query, randomName, startSink, storedOffset, topicFixture, waitFor } from './sink-harness.js';

const schema = randomName('sink_dlq');
const group = randomName('g');
const dlqTopic = randomName('dlq');

async function readDlq(expected: number): Promise<{ value: Buffer | null; key: Buffer | null; headers: Record<string, string> }[]> {
  const consumer = kafka.consumer({ groupId: randomName('dlqreader') });
  const out: { value: Buffer | null; key: Buffer | null; headers: Record<string, string> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [dlqTopic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      out.push({ key: message.key, value: message.value, headers });
    },
  });
  await waitFor('dead letters', async () => out.length >= expected);
  await consumer.disconnect();
  return out;
}

describe('dead-letter queue', () => {
  afterAll(async () => {
    await closeProducer();
    await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pgPool.end();
  });

  it('isolates bad magic, unknown schema, undecodable, missing key and PG type/constraint violations', async () => {
    await createTopic(dlqTopic, 1);
    const fx = await topicFixture({
      key: [{ name: 'id', type: 'int' }],
      columns: [
        { name: 'v', type: 'string' },
        { name: 'd', type: { type: 'int', logicalType: 'date' } },
      ],
    });
    const t = 1_700_000_000_000_000;
    const good = (id: number) => fx.encode({ op: 'c', key: { id }, after: { v: { value: `v${id}` } }, tsUs: t + id });
    const badMagic = Buffer.from([9, 0, 0, 0, 1, 2, 3]);
    const unknownId = Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0]), Buffer.from([1, 2, 3])]);
    const undecodable = Buffer.concat([good(0).value.subarray(0, 5), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]);
    // a CHECK constraint of the pre-made target table rejects it inside PostgreSQL (bisection)
    const pgBad = fx.encode({ op: 'c', key: { id: 7 }, after: { v: { value: 'poison' } }, tsUs: t + 7 });
    const farDate = fx.encode({ op: 'c', key: { id: 10 }, after: { d: { value: 2_000_000_000 } }, tsUs: t + 10 });
    const nulInText = fx.encode({ op: 'c', key: { id: 8 }, after: { v: { value: 'a\u0000b' } }, tsUs: t + 8 });
    const msgs = [
      good(1),
      { key: good(2).key, value: badMagic },
      good(3),
      { key: good(4).key, value: unknownId },
      { key: good(5).key, value: undecodable },
      { key: null, value: good(6).value },
      pgBad,
      nulInText,
      good(9),
      farDate,
      good(11),
    ];
    await produce(fx.topic, msgs);
    await pgPool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await pgPool.query(`CREATE TABLE "${schema}"."${fx.spec.table}" (id integer PRIMARY KEY, v text CHECK (v <> 'poison'), d date)`);
    const sink = startSink({ SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: group, DLQ_TOPIC: dlqTopic });
    await sink.started;
    try {
      await waitFor('offsets', async () => (await storedOffset(schema, group, fx.topic)) === BigInt(msgs.length));
      const ids = (await query<{ id: number }>(`SELECT id FROM "${schema}"."${fx.spec.table}" ORDER BY id`)).map((r) => r.id);
      expect(ids).toEqual([1, 3, 9, 11]);
      const dead = await readDlq(7);
      expect(dead).toHaveLength(7);
      const byOffset = Object.fromEntries(dead.map((d) => [d.headers[DLQ_HEADER.offset], d]));
      expect(byOffset['1']!.headers[DLQ_HEADER.reason]).toBe('bad-magic-byte');
      expect(byOffset['1']!.value).toEqual(badMagic);
      expect(byOffset['3']!.headers[DLQ_HEADER.reason]).toBe('unknown-schema');
      expect(byOffset['4']!.headers[DLQ_HEADER.reason]).toBe('undecodable');
      expect(byOffset['5']!.headers[DLQ_HEADER.reason]).toBe('missing-key');
      expect(byOffset['6']!.headers[DLQ_HEADER.reason]).toBe('constraint-violation');
      expect(byOffset['6']!.headers[DLQ_HEADER.exceptionClass]).toBe('PostgreSQL 23514');
      expect(byOffset['6']!.headers[DLQ_HEADER.stage]).toBe('TASK_PUT');
      expect(byOffset['6']!.key).toEqual(pgBad.key);
      expect(byOffset['7']!.headers[DLQ_HEADER.reason]).toBe('type-violation');
      expect(byOffset['9']!.headers[DLQ_HEADER.reason]).toBe('type-violation');
      expect(byOffset['9']!.headers[DLQ_HEADER.stage]).toBe('TRANSFORMATION');
      for (const d of dead) {
        expect(d.headers[DLQ_HEADER.topic]).toBe(fx.topic);
        expect(d.headers[DLQ_HEADER.partition]).toBe('0');
        expect(d.headers[DLQ_HEADER.message]).toBeTruthy();
        expect(d.headers[DLQ_HEADER.exceptionClass]).toBeTruthy();
      }
    } finally {
      await sink.proc.stop();
    }
  });
});
