/**
 * Health that means progress, on the real stack: the sink is made to stall for real (a transaction
 * holds an EXCLUSIVE lock on its target table, so the apply blocks), and must say so: /readyz 503
 * naming the partition, `health` failing on the sink, cdc_sink_stalled 1. Releasing the lock lets
 * the apply finish and everything must come back.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/free-port.js';
import { runCli } from '../../helpers/cli.js';
import { PG_URL } from '../../helpers/stack-env.js';
import { closeProducer, pgPool, produce, randomName, readyz, startSink, storedOffset, topicFixture, waitFor } from './sink-harness.js';

const schema = randomName('sink_stall');

async function stalledMetric(port: number): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = /^cdc_sink_stalled (\d+)$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('stalled replication', () => {
  afterAll(async () => {
    await closeProducer();
    await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pgPool.end();
  });

  it('a sink whose applies block is not ready, with the reason, until it moves again', async () => {
    const fx = await topicFixture({ key: [{ name: 'id', type: 'int' }], columns: [{ name: 'v', type: 'string' }] });
    const group = randomName('g');
    const port = await freePort();
    const sink = startSink({
      SINK_TOPICS: fx.topic,
      PG_SCHEMA: schema,
      SINK_GROUP_ID: group,
      METRICS_PORT: String(port),
      METRICS_HOST: '127.0.0.1',
      SINK_STALL_TIMEOUT_MS: '3000',
      SINK_TOPIC_REFRESH_MS: '500',
    });
    await sink.started;
    const locker = new pg.Client({ connectionString: PG_URL });
    await locker.connect();
    try {
      await produce(fx.topic, [fx.encode({ op: 'c', key: { id: 1 }, after: { v: { value: 'a' } }, tsUs: 1 })]);
      await waitFor('first record applied', async () => (await storedOffset(schema, group, fx.topic)) === 1n);
      // Idle with nothing to apply, for longer than the timeout: still ready.
      await new Promise((r) => setTimeout(r, 4000));
      expect((await readyz(port)).status).toBe(200);
      expect(await stalledMetric(port)).toBe(0);

      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${schema}"."${fx.spec.table}" IN EXCLUSIVE MODE`);
      await produce(fx.topic, [fx.encode({ op: 'u', key: { id: 1 }, after: { v: { value: 'b' } }, tsUs: 2 })]);
      const stalled = await waitFor(
        'readyz 503 with the stall',
        async () => {
          const r = await readyz(port);
          return r.status === 503 && r.body.reasons?.some((x) => x.startsWith(`${fx.topic}/0: stalled:`)) ? r : undefined;
        },
        60_000,
      );
      expect(stalled.body.reasons!.join('\n')).toMatch(/1 records to apply but the committed offset has stayed at 1 for \d+ s \(SINK_STALL_TIMEOUT_MS=3000\)/);
      expect(await stalledMetric(port)).toBe(1);
      const health = await runCli(['health', '--json'], { PG_URL, SINK_STATUS_URL: `http://127.0.0.1:${port}`, SOURCE_STATUS_URL: `http://127.0.0.1:${await freePort()}` });
      expect(health.code).toBe(1);
      const probes = JSON.parse(health.out) as { name: string; ok: boolean; detail: string }[];
      expect(probes.find((p) => p.name === 'sink')).toMatchObject({ ok: false, detail: expect.stringContaining('stalled') });
      expect(await storedOffset(schema, group, fx.topic)).toBe(1n); // really stalled, not just slow to report

      await locker.query('ROLLBACK');
      await waitFor('the blocked apply committed', async () => (await storedOffset(schema, group, fx.topic)) === 2n, 60_000);
      await waitFor('ready again', async () => (await readyz(port)).status === 200, 30_000);
      expect(await stalledMetric(port)).toBe(0);
    } finally {
      await locker.end().catch(() => undefined);
      await sink.proc.stop();
    }
  });
});
