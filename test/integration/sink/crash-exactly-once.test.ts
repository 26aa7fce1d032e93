/** kill -9 of a child sink mid-stream, restart: every key ends at its last change, offsets at the end. */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { closeProducer, pgPool, produce, query, randomName, sinkEnv, storedOffset, topicFixture, waitFor } from './sink-harness.js';

const schema = randomName('sink_crash');
const group = randomName('g');

function spawnSink(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sink'], { env: { ...process.env, ...sinkEnv(env) }, stdio: 'ignore' });
}

describe('exactly once across kill -9', () => {
  afterAll(async () => {
    await closeProducer();
    await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pgPool.end();
  });

  it('applies a backlog exactly once with a crash in the middle', async () => {
    const partitions = 3;
    const fx = await topicFixture({ key: [{ name: 'id', type: 'long' }], columns: [{ name: 'counter', type: 'long' }, { name: 'note', type: 'string' }] }, partitions);
    const keys = 600;
    const perKey = 20;
    const t = 1_700_000_000_000_000;
    const msgs: { key: Buffer; value: Buffer; partition: number }[] = [];
    for (let i = 0; i < perKey; i++) {
      for (let k = 0; k < keys; k++) {
        const after: Record<string, unknown> = { counter: { value: i } };
        if (i % 5 === 0) after.note = { value: `n${i}` };
        const c = k % 50 === 0 && i === perKey - 1 ? fx.encode({ op: 'd', key: { id: k }, tsUs: t + i * 1000 + k }) : fx.encode({ op: 'u', key: { id: k }, after, tsUs: t + i * 1000 + k });
        msgs.push({ ...c, partition: k % partitions });
      }
    }
    await produce(fx.topic, msgs);
    const env = { SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: group, SINK_BATCH_SIZE: '300', SINK_WORKERS: '1', SINK_SESSION_TIMEOUT_MS: '6000' };
    const total = async () => {
      let s = 0n;
      for (let p = 0; p < partitions; p++) s += (await storedOffset(schema, group, fx.topic, p)) ?? 0n;
      return s;
    };
    const first = spawnSink(env);
    const started = Date.now();
    await waitFor('some progress', async () => (await total()) > 0n, 40_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const mid = await total();
    const second = spawnSink(env);
    try {
      await waitFor('all applied', async () => (await total()) === BigInt(msgs.length), 50_000);
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(`crash test: ${msgs.length} changes, killed at ${mid}, done in ${seconds.toFixed(1)} s`);
    expect(mid).toBeLessThan(BigInt(msgs.length));
    const rows = await query<{ id: string; counter: string; note: string; ts: string }>(`SELECT id::text, counter::text, note, _cdc_ts_us::text AS ts FROM "${schema}"."${fx.spec.table}" ORDER BY id::bigint`);
    const expected = [];
    for (let k = 0; k < keys; k++) if (k % 50 !== 0) expected.push({ id: String(k), counter: String(perKey - 1), note: 'n15', ts: String(t + (perKey - 1) * 1000 + k) });
    expect(rows).toEqual(expected);
    expect(second.exitCode).toBe(0);
  });
});
