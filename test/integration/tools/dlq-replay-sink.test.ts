/**
 * The operator's loop end to end: a record PostgreSQL rejects is dead-lettered by the running sink,
 * the cause is fixed, `dlq replay` sends it back through the sink path, and it is applied once —
 * a second replay finds nothing to do.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { closeProducer, createTopic, kafka, pgPool, produce, query, randomName, startSink, storedOffset, topicFixture, waitFor } from '../sink/sink-harness.js';
import { SCHEMA_REGISTRY_URL } from '../../helpers/stack-env.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const run = promisify(execFile);
const schema = randomName('replay');
const group = randomName('g');
const dlqTopic = randomName('dlq');

async function dlq(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', MAIN, 'dlq', ...args], {
    env: { PATH: process.env.PATH ?? '', SCHEMA_REGISTRY_URL, DLQ_TOPIC: dlqTopic, SINK_GROUP_ID: group, SINK_TOPICS: '^cdc\\.sinktest\\..+' },
    timeout: 90_000,
  });
  return stdout;
}

afterAll(async () => {
  await closeProducer();
  await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pgPool.end();
});

describe('dlq replay through the sink', () => {
  it('applies a fixed poison record exactly once', async () => {
    await createTopic(dlqTopic, 1);
    const fx = await topicFixture({ key: [{ name: 'id', type: 'int' }], columns: [{ name: 'v', type: 'string' }] });
    const t = 1_700_000_000_000_000;
    await pgPool.query(`CREATE SCHEMA "${schema}"`);
    await pgPool.query(`CREATE TABLE "${schema}"."${fx.spec.table}" (id integer PRIMARY KEY, v text CONSTRAINT no_poison CHECK (v <> 'poison'))`);
    const msgs = [1, 2, 3].map((id) => fx.encode({ op: 'c', key: { id }, after: { v: { value: id === 2 ? 'poison' : `v${id}` } }, tsUs: t + id }));
    await produce(fx.topic, msgs);
    const sink = startSink({ SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: group, DLQ_TOPIC: dlqTopic, SINK_BATCH_MAX_WAIT_MS: '50' });
    await sink.started;
    try {
      await waitFor('first pass', async () => (await storedOffset(schema, group, fx.topic)) === 3n);
      expect((await query<{ id: number }>(`SELECT id FROM "${schema}"."${fx.spec.table}" ORDER BY id`)).map((r) => r.id)).toEqual([1, 3]);
      expect(await dlq(['list'])).toMatch(/constraint-violation/);

      await pgPool.query(`ALTER TABLE "${schema}"."${fx.spec.table}" DROP CONSTRAINT no_poison`); // the fix
      expect(await dlq(['replay'])).toContain('replayed 1 record(s)');
      await waitFor('replayed row', async () => (await query(`SELECT 1 FROM "${schema}"."${fx.spec.table}" WHERE id = 2 AND v = 'poison'`)).length === 1);
      expect(await dlq(['replay'])).toContain('0 record(s) to replay');
      // The replayed record is one more record on the topic (plus its transaction marker), consumed once.
      const admin = kafka.admin();
      await admin.connect();
      const high = BigInt((await admin.fetchTopicOffsets(fx.topic))[0]!.high);
      await admin.disconnect();
      expect(high).toBe(5n);
      await waitFor('offsets past the replay', async () => (await storedOffset(schema, group, fx.topic)) === high);
      expect((await query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}"."${fx.spec.table}"`))[0]!.n).toBe(3);
    } finally {
      await sink.proc.stop();
    }
  });
});
